"""意见与建议: the form that sends a message to the API, and the page to follow it.

The pages are static; a few KB of plain JavaScript talk to the API. Kinds, categories,
time limits and length limits come from the API's own schema (chalicelib.schema), so
the form and the API cannot disagree.
"""

from __future__ import annotations

import json
import os
from typing import Any

from chalicelib import schema

from ..content import Loader
from ..pipeline import BuildContext, Feature, LightPage, NavItem, OutputFile


class SuggestionsFeature(Feature):
    key = "suggestions"

    def load(self, ctx: BuildContext, loader: Loader) -> dict[str, Any]:
        api = os.environ.get("PORTAL_API_URL") or str(ctx.options.get("api_url") or "")
        return {"api": api.rstrip("/")}

    def render(self, data: dict[str, Any], ctx: BuildContext) -> list[OutputFile | LightPage]:
        values = {
            "api": data["api"], "kinds": schema.KINDS, "categories": schema.CATEGORIES,
            "hours": schema.RESPONSE_HOURS, "limits": schema.SUGGESTION, "contact": schema.CONTACT,
            "buildings": ctx.community.buildings if ctx.community else [],
            # "</" cannot end the <script> element it sits in
            "messages_json": json.dumps({**ctx.t.prefixed("suggestions.js."),
                                         "kinds": schema.KINDS, "categories": schema.CATEGORIES},
                                        ensure_ascii=False).replace("</", "<\\/"),
        }
        return [
            OutputFile("suggestions/index.md", ctx.render("portal/suggestions_form.md", **values)),
            OutputFile("suggestions/status.md", ctx.render("portal/suggestions_status.md",
                                                           **values)),
        ]

    def nav(self, data: dict[str, Any], ctx: BuildContext) -> NavItem | None:
        return NavItem(ctx.t("suggestions.title"), children=(
            NavItem(ctx.t("suggestions.send"), "suggestions/index.md"),
            NavItem(ctx.t("suggestions.follow"), "suggestions/status.md"),
        ))
