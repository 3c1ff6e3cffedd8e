"""A test OpenID issuer: its own RSA key, its JWKS served over HTTP on localhost, and
tokens shaped like Cognito's (ID and access). The staff API fetches and checks the keys
exactly as in production; only the issuer is ours."""

from __future__ import annotations

import base64
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


def forged(issuer: TestIssuer) -> dict[str, str | None]:
    """Tokens the staff API must refuse (401), by what is wrong with them."""
    now = int(time.time())
    none_token = ".".join([_b64({"alg": "none", "typ": "JWT", "kid": issuer.kid}),
                           _b64({"iss": issuer.url, "client_id": issuer.client_id,
                                 "token_use": "access", "exp": now + 600,
                                 "cognito:groups": ["clerk", "manager"]}), ""])
    return {
        "missing": None,
        "expired": issuer.token(["clerk", "manager"], exp=now - 120),
        "other audience": issuer.token(["clerk", "manager"], client_id="another-app"),
        "other audience (id token)": issuer.token(["clerk", "manager"], use="id",
                                                  aud="another-app"),
        "other issuer": issuer.token(["clerk", "manager"], iss="https://evil.example/pool"),
        "other key": issuer.token(["clerk", "manager"], key=new_key()),
        "unknown key id": issuer.token(["clerk", "manager"], key=new_key(), kid="other-kid"),
        "alg none": none_token,
        "no token_use": issuer.token(["clerk", "manager"], token_use=None),
        "garbage": "not.a.token",
    }


def _b64(data: dict[str, Any]) -> str:
    raw = json.dumps(data).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
