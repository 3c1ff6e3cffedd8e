"""A test OpenID issuer: its own RSA key, its JWKS served over HTTP on localhost, and
tokens shaped like Cognito's (ID and access). The staff API fetches and checks the keys
exactly as in production; only the issuer is ours."""

from __future__ import annotations

import http.server
import json
import threading
import time
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


class TestIssuer:
    def __init__(self, client_id: str = "desk-client") -> None:
        self.key, self.kid, self.client_id = new_key(), "test-key-1", client_id
        jwk = json.loads(RSAAlgorithm.to_jwk(self.key.public_key()))
        jwks = json.dumps({"keys": [{**jwk, "kid": self.kid, "alg": "RS256", "use": "sig"}]})

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                data = jwks.encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/pool-1"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def token(self, groups: list[str], username: str = "clerk1", use: str = "access",
              key: rsa.RSAPrivateKey | None = None, kid: str | None = None,
              **overrides: Any) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {"iss": self.url, "sub": f"sub-{username}",
                                  "token_use": use, "cognito:groups": groups,
                                  "username": username, "iat": now, "exp": now + 3600}
        claims["client_id" if use == "access" else "aud"] = self.client_id
        claims.update(overrides)
        claims = {k: v for k, v in claims.items() if v is not None}
        return jwt.encode(claims, key or self.key, algorithm="RS256",
                          headers={"kid": kid or self.kid})
