"""The portal plugin's options (mkdocs.yml, plugins.portal), typed once.

The MkDocs adapter (plugin.py) fills one `Options` from mkdocs.yml and the environment;
`portal-notice` reads the same from mkdocs.yml. Features read `ctx.options` and keep no
defaults of their own.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

# Notice categories: URL slug → the name staff write in front matter.
NOTICE_CATEGORIES = {
    "outage": "停水停电",
    "maintenance": "维修养护",
    "safety": "安全提示",
    "reminder": "温馨提示",
    "activity": "社区活动",
    "fees": "缴费通知",
    "rules": "管理规定",
}
# Event categories: URL slug → the name staff write in content/events/*.yml.
EVENT_CATEGORIES = {
    "culture": "科教文化",
    "health": "健康娱乐",
    "festival": "文艺庆典",
    "charity": "爱心公益",
}


# Set per stage by the deploy and by the local stack; they win over mkdocs.yml.
ENVIRONMENT = {"api_url": "PORTAL_API_URL", "staff_api_url": "PORTAL_STAFF_API_URL",
               "oidc_url": "PORTAL_OIDC_URL", "oidc_client_id": "PORTAL_OIDC_CLIENT_ID",
               "cache_dir": "PORTAL_CACHE_DIR", "editor_backend": "PORTAL_EDITOR_BACKEND",
               "editor_local_url": "PORTAL_EDITOR_LOCAL_URL",
               "editor_proxy_url": "PORTAL_EDITOR_PROXY_URL", "editor_repo": "PORTAL_EDITOR_REPO",
               "editor_branch": "PORTAL_EDITOR_BRANCH", "editor_assets": "PORTAL_EDITOR_ASSETS"}


class OptionInvalid(ValueError):
    """An option in mkdocs.yml (or its environment variable) that the build cannot use."""


@dataclass(frozen=True)
class Options:
    """Every option of the portal plugin: its type, its default and its meaning, declared
    once (the MkDocs adapter derives its `Config` schema from these fields)."""

    content_dir: str = "content"
    # Fixed build time (ISO 8601) for reproducible builds and tests; else env PORTAL_NOW or the clock.
    now: str | None = None
    timezone: str = "Asia/Shanghai"
    notice_categories: dict[str, str] = field(default_factory=lambda: dict(NOTICE_CATEGORIES))
    notices_per_page: int = 20
    event_categories: dict[str, str] = field(default_factory=lambda: dict(EVENT_CATEGORIES))
    home_latest_notices: int = 5
    # QR codes on notices (for printing); off only to measure what they cost.
    qr: bool = True
    # Base URL of the suggestions API; the PORTAL_API_URL environment variable overrides it.
    api_url: str = "http://127.0.0.1:8002"
    # The case desk (/staff/): the staff API and the sign-in issuer's hosted pages
    # (PORTAL_STAFF_API_URL, PORTAL_OIDC_URL, PORTAL_OIDC_CLIENT_ID override them).
    staff_api_url: str = "http://127.0.0.1:8003"
    oidc_url: str = ""
    oidc_client_id: str = ""
    # The content cache (see cache.py), beside mkdocs.yml unless absolute; "" builds without
    # one. PORTAL_CACHE_DIR overrides it (tests and benchmarks give each site its own).
    cache_dir: str = ".cache/portal"
    # The content editor (/staff/content/, features/editor.py). `editor_assets`: the npm tools
    # folder with Decap CMS, beside mkdocs.yml unless absolute; "" leaves the editor out.
    # `editor_backend`: "none" builds no editor; "local" saves through the local stack's decap-server
    # (`editor_local_url`); "proxy" through the portal's git proxy (`editor_proxy_url`) to
    # the repository `editor_repo` (owner/name), signing in at `oidc_url` like the desk.
    editor_assets: str = ""
    editor_backend: str = "local"
    editor_local_url: str = "http://127.0.0.1:8081/api/v1"
    editor_proxy_url: str = ""
    editor_repo: str = ""
    editor_branch: str = "main"

    @classmethod
    def from_config(cls, values: dict[str, Any]) -> Options:
        """From the plugin's config values (None: the default); PORTAL_API_URL wins."""
        given = {f.name: values[f.name] for f in fields(cls)
                 if values.get(f.name) is not None}
        for name, variable in ENVIRONMENT.items():
            if os.environ.get(variable):
                given[name] = os.environ[variable]
        for name in ("api_url", "staff_api_url", "oidc_url", "editor_proxy_url"):
            if name in given:
                given[name] = str(given[name]).rstrip("/")
        return cls(**given)

    def zone(self) -> ZoneInfo:
        """The configured time zone; OptionInvalid if it is not one."""
        try:
            return ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise OptionInvalid(
                f"mkdocs.yml: plugins.portal.timezone: expected an IANA time zone such as "
                f"'Asia/Shanghai', found {self.timezone!r}") from exc

    @property
    def real_clock(self) -> bool:
        """Whether builds take the time from the clock (neither `now` nor PORTAL_NOW is set)."""
        return not (self.now or os.environ.get("PORTAL_NOW"))

    def build_time(self, tz: ZoneInfo) -> datetime:
        """"Now" for a build: `now`, else PORTAL_NOW, else the clock, in `tz`."""
        raw = self.now or os.environ.get("PORTAL_NOW")
        if not raw:
            return datetime.now(tz)
        try:
            now = datetime.fromisoformat(raw)
        except ValueError as exc:
            raise OptionInvalid(
                f"plugins.portal.now: expected an ISO 8601 date-time such as "
                f"'2026-05-01T09:00', found {raw!r}") from exc
        return now.replace(tzinfo=tz) if now.tzinfo is None else now.astimezone(tz)

    @classmethod
    def from_mkdocs_yml(cls, root: Path) -> Options:
        """The options as mkdocs.yml sets them (for tools that run outside a build)."""
        try:
            cfg = yaml.safe_load((root / "mkdocs.yml").read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError):
            return cls()
        for plugin in cfg.get("plugins", []):
            if isinstance(plugin, dict) and "portal" in plugin:
                return cls.from_config(dict(plugin["portal"] or {}))
        return cls()


DEFAULTS = Options()
