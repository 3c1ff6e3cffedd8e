"""The case desk (工单台) at /staff/: a page of its own for customer-service staff.

Not a MkDocs page: a standalone HTML file with a strict Content-Security-Policy (scripts,
styles and everything else only from the portal itself; connections only to the staff
API and the sign-in issuer), left out of the navigation, the sitemap and search. Staff
sign in with OpenID Connect (authorization code with PKCE) at the issuer's page; the
page talks to the staff API with the token it got. Nothing about a case is in the page:
everything comes from the API after sign-in.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from portal_contracts import messages

from ..content import Loader
from ..pipeline import BuildContext, Feature, LightPage, OutputFile


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


class DeskFeature(Feature):
    key = "desk"

    def load(self, ctx: BuildContext, loader: Loader) -> None:
        return None

    def render(self, data: None, ctx: BuildContext) -> list[OutputFile | LightPage]:
        o = ctx.options
        connect = " ".join(sorted({x for x in (origin(o.staff_api_url), origin(o.oidc_url)) if x})
                           ) or "'none'"
        config = {
            "api": o.staff_api_url, "issuer": o.oidc_url, "client": o.oidc_client_id,
            "t": ctx.t.prefixed("desk."), "kinds": messages.KINDS,
            "categories": messages.CATEGORIES, "grades": messages.GRADES,
            "departments": messages.DEPARTMENTS, "results": messages.FOLLOWUP_RESULTS,
            "channels": {k: v for k, v in messages.CHANNELS.items() if k != "web"},
            "channel_names": messages.CHANNELS,
            "statuses": {s: ctx.t(f"suggestions.js.status.{s}") for s in messages.STATUSES},
        }
        html = ctx.render("portal/desk.html", csp=(
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            f"connect-src {connect}; form-action 'none'; base-uri 'none'"),
            config=json.dumps(config, ensure_ascii=False, sort_keys=True))
        return [OutputFile("staff/index.html", html)]
