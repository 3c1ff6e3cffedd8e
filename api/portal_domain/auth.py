"""Staff sign-in, checked by the staff API itself: an OpenID Connect token from the
configured issuer (Amazon Cognito in production, cognito-local on a developer's machine).

The same path runs locally and in production (`chalice local` enforces no authorizer):
the token's signature is checked against the issuer's published keys (JWKS, fetched and
cached by PyJWT), then its issuer, its audience (ID token `aud`, or access token
`client_id`), its expiry and its `token_use`. Only RS256 is accepted, so `alg: none` and
HMAC tricks are refused before any key is looked at. Roles come from the groups claim:

    clerk                 all cases: enter, grade, assign, reply, follow up, close
    department-<slug>     the cases of that department (portal_contracts DEPARTMENTS)
    manager               figures and canned replies, and all cases to read

Configuration (environment): STAGE, OIDC_ISSUER, OIDC_CLIENT_ID, optional OIDC_JWKS_URL
and OIDC_GROUPS_CLAIM. It fails closed: without STAGE, an issuer or a client id every
request is refused (503 not_configured) and the log says what is missing. Only an
explicit STAGE=local trusts the local issuer; any other stage refuses an issuer on
localhost and the keys of the local issuer (LOCAL_ISSUER_KEY_IDS): a token minted on a
laptop never works there.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import jwt

from portal_contracts.messages import DEPARTMENTS

from .errors import ApiError
from .model import Case

# Key ids cognito-local signs with (its key is public: it ships inside the npm package).
LOCAL_ISSUER_KEY_IDS = ("CognitoLocal",)
LOCAL = "local"  # the one stage that trusts the local issuer, and only when STAGE says so

log = logging.getLogger(__name__)


class Unauthorized(ApiError):
    def __init__(self, message: str) -> None:
        super().__init__(401, "unauthorized", message,
                         headers={"WWW-Authenticate": 'Bearer realm="staff"'})


class Forbidden(ApiError):
    def __init__(self, message: str = "Your role may not do this.") -> None:
        super().__init__(403, "forbidden", message)


class ConfigError(RuntimeError):
    """The sign-in settings of a stage are unsafe or incomplete."""


class NotConfigured(ApiError):
    """What every request gets while the sign-in settings are unsafe or incomplete."""

    def __init__(self) -> None:
        super().__init__(503, "not_configured", "Staff sign-in is not configured on this "
                         "server, so every request is refused; the administrator finds the "
                         "reason in the function's log.")


@dataclass(frozen=True)
class Staff:
    """Who is signed in: their user name (recorded with every change) and roles."""

    username: str
    roles: frozenset[str]
    department: str | None = None  # the department name, for the department role

    def may(self, *roles: str) -> bool:
        return bool(self.roles & set(roles))

    def sees(self, case: Case) -> bool:
        """A department sees its own cases; clerks and managers see all."""
        return self.may("clerk", "manager") or (
            self.department is not None and case.department == self.department)


@dataclass(frozen=True)
class AuthSettings:
    issuer: str
    client_id: str
    jwks_url: str
    stage: str  # no default: trusting the local issuer is said, never assumed
    groups_claim: str = "cognito:groups"
    refused_key_ids: tuple[str, ...] = field(default=LOCAL_ISSUER_KEY_IDS)

    @classmethod
    def from_env(cls) -> AuthSettings:
        """The settings the environment gives; ConfigError names every missing one."""
        issuer = os.environ.get("OIDC_ISSUER", "").strip().rstrip("/")
        client = os.environ.get("OIDC_CLIENT_ID", "").strip()
        stage = os.environ.get("STAGE", "").strip()
        missing = [name for name, value in (("STAGE", stage), ("OIDC_ISSUER", issuer),
                                            ("OIDC_CLIENT_ID", client)) if not value]
        if missing:
            raise ConfigError(", ".join(missing) + " must be set for the staff API (STAGE is "
                              "local, dev or prod; only STAGE=local trusts the local issuer)")
        settings = cls(issuer, client,
                       os.environ.get("OIDC_JWKS_URL") or f"{issuer}/.well-known/jwks.json",
                       stage, os.environ.get("OIDC_GROUPS_CLAIM", "cognito:groups"),
                       () if stage == LOCAL else LOCAL_ISSUER_KEY_IDS)
        settings.check()
        return settings

    def check(self) -> None:
        if not self.stage:
            raise ConfigError("STAGE must be set for the staff API")
        if not self.issuer or not self.client_id:
            raise ConfigError("OIDC_ISSUER and OIDC_CLIENT_ID must be set for the staff API")
        if self.stage != LOCAL:
            for name, url in (("OIDC_ISSUER", self.issuer), ("OIDC_JWKS_URL", self.jwks_url)):
                host = urlsplit(url).hostname or ""
                if urlsplit(url).scheme != "https" or host in ("localhost", "127.0.0.1", "::1"):
                    raise ConfigError(f"stage {self.stage}: {name} must be an https address, "
                                      f"not {url!r} (the local issuer is for development)")
            if not set(LOCAL_ISSUER_KEY_IDS) <= set(self.refused_key_ids):
                raise ConfigError(f"stage {self.stage} must refuse the local issuer's keys")


class Verifier:
    """Checks a bearer token and says who it belongs to."""

    def __init__(self, settings: AuthSettings, jwks: jwt.PyJWKClient | None = None) -> None:
        self.settings = settings
        self.jwks = jwks or jwt.PyJWKClient(settings.jwks_url, cache_keys=True, lifespan=3600,
                                            timeout=3)

    def staff(self, authorization: str | None) -> Staff:
        if not authorization or not authorization.startswith("Bearer "):
            raise Unauthorized("Sign in first (no bearer token).")
        token = authorization[len("Bearer "):].strip()
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise Unauthorized("The sign-in token is malformed.") from None
        if header.get("alg") != "RS256":
            raise Unauthorized("The sign-in token is not signed with RS256.")
        if header.get("kid") in self.settings.refused_key_ids:
            raise Unauthorized("The sign-in token comes from an issuer this stage refuses.")
        try:
            key = self.jwks.get_signing_key(str(header.get("kid")))
        except jwt.PyJWKClientError:
            raise Unauthorized("The sign-in token was not signed by the issuer's keys.") from None
        try:
            claims: dict[str, Any] = jwt.decode(
                token, key.key, algorithms=["RS256"], issuer=self.settings.issuer,
                options={"require": ["exp", "iss", "token_use"], "verify_aud": False},
                leeway=30)
        except jwt.ExpiredSignatureError:
            raise Unauthorized("The sign-in has expired; sign in again.") from None
        except jwt.PyJWTError:
            raise Unauthorized("The sign-in token is not valid.") from None
        use = claims.get("token_use")
        audience = claims.get("aud") if use == "id" else claims.get("client_id")
        if use not in ("access", "id") or audience != self.settings.client_id:
            raise Unauthorized("The sign-in token is for another application.")
        return self._staff(claims)

    def _staff(self, claims: dict[str, Any]) -> Staff:
        groups = claims.get(self.settings.groups_claim) or []
        groups = [groups] if isinstance(groups, str) else list(groups)
        roles: set[str] = set()
        department = None
        for g in groups:
            if g in ("clerk", "manager"):
                roles.add(g)
            elif isinstance(g, str) and g.startswith("department-") \
                    and g.removeprefix("department-") in DEPARTMENTS:
                roles.add("department")
                department = DEPARTMENTS[g.removeprefix("department-")]
        if not roles:
            raise Forbidden("You are signed in but in no staff group (clerk, department-…, "
                            "manager).")
        username = str(claims.get("username") or claims.get("cognito:username")
                       or claims.get("sub"))
        return Staff(username, frozenset(roles), department)


_verifier: Verifier | None = None


def verifier() -> Verifier:
    """The staff API's token check, built from the environment on first use; while the
    environment is incomplete or unsafe, NotConfigured (503) for every request, logged."""
    global _verifier
    if _verifier is None:
        try:
            settings = AuthSettings.from_env()
        except ConfigError as exc:
            log.error("staff sign-in is not configured, refusing the request: %s", exc)
            raise NotConfigured() from None
        _verifier = Verifier(settings)
    return _verifier


def use_verifier(replacement: Verifier | None) -> None:
    """Check tokens with this verifier (a test's issuer), or None to build it again."""
    global _verifier
    _verifier = replacement
