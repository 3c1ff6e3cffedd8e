"""意见与建议: the form that sends a message to the API, and the page to follow it.

The pages are static; a few KB of plain JavaScript talk to the API. Kinds, categories,
time limits and length limits come from the contract the API checks requests with
(portal_contracts.messages), so the form and the API cannot disagree. The monthly
summaries are portal_contracts.files.MonthSummary, written by `portal-cases summary`.
"""

from __future__ import annotations

import json
from typing import Any

from portal_contracts import messages as schema
from portal_contracts.files import MonthSummary, check_month_summary, day_of, read_checked

from ..content import Loader
from ..pipeline import BuildContext, Feature, LightPage, NavItem, OutputFile


class SuggestionsFeature(Feature):
    key = "suggestions"

    def load(self, ctx: BuildContext, loader: Loader) -> dict[str, Any]:
        api = ctx.options.api_url
        months: list[MonthSummary] = []
        folder = ctx.content_dir / "reports" / "suggestions"
        for path in sorted(folder.glob("*.yml")) if folder.is_dir() else []:
            summary = read_checked(loader, path, check_month_summary)
            if summary is None:
                continue
            if summary.month != path.stem:
                loader.error(path, "month", f"the month in the file name ({path.stem})",
                             repr(summary.month))
                continue
            if day_of(summary.published) <= ctx.now.date():
                months.append(summary)
        months.sort(key=lambda m: m.month, reverse=True)
        return {"api": api.rstrip("/"), "months": months}

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
        out: list[OutputFile | LightPage] = [
            OutputFile("suggestions/index.md", ctx.render("portal/suggestions_form.md", **values)),
            OutputFile("suggestions/status.md", ctx.render("portal/suggestions_status.md",
                                                           **values)),
        ]
        if data["months"]:
            out.append(OutputFile("suggestions/reports.md", ctx.render(
                "portal/suggestions_reports.md", months=data["months"], **values)))
        return out

    def nav(self, data: dict[str, Any], ctx: BuildContext) -> NavItem | None:
        children = [NavItem(ctx.t("suggestions.send"), "suggestions/index.md"),
                    NavItem(ctx.t("suggestions.follow"), "suggestions/status.md")]
        if data["months"]:
            children.append(NavItem(ctx.t("suggestions.reports"), "suggestions/reports.md"))
        return NavItem(ctx.t("suggestions.title"), children=tuple(children))
