"""意见与建议: the form that sends a message to the API, and the page to follow it.

The pages are static; a few KB of plain JavaScript talk to the API. Kinds, categories,
time limits and length limits come from the API's own schema (chalicelib.schema), so
the form and the API cannot disagree.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from chalicelib import schema

from ..content import Loader
from ..errors import FieldProblem
from ..pipeline import BuildContext, Feature, LightPage, NavItem, OutputFile
from ..types import When, parse_when

Pct = Annotated[float, Field(ge=0, le=100)] | None
Count = Annotated[int, Field(ge=0)]


class MonthSummary(BaseModel):
    """content/reports/suggestions/<yyyy-mm>.yml, written by `portal-cases summary`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    month: Annotated[str, StringConstraints(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")]
    published: When
    received: Count
    by_kind: dict[Literal["complaint", "suggestion", "praise", "service_request"], Count]
    by_category: dict[str, Count]
    by_grade: dict[Annotated[int, Field(ge=1, le=4)], Count]
    resolved: Count
    responded_on_time_pct: Pct = None
    median_hours_to_first_response: Annotated[float, Field(ge=0)] | None = None
    median_hours_to_resolution: Annotated[float, Field(ge=0)] | None = None
    followup_rate_pct: Pct = None
    ratings: Count = 0
    satisfied_pct: Pct = None
    mean_rating: Annotated[float, Field(ge=1, le=5)] | None = None

    @model_validator(mode="after")
    def _counts_add_up(self) -> MonthSummary:
        if sum(self.by_kind.values()) != self.received:
            raise FieldProblem("by_kind", f"counts adding up to 'received' ({self.received})",
                               str(sum(self.by_kind.values())))
        if self.resolved > self.received:
            raise FieldProblem("resolved", f"at most 'received' ({self.received})",
                               str(self.resolved))
        return self


class SuggestionsFeature(Feature):
    key = "suggestions"

    def load(self, ctx: BuildContext, loader: Loader) -> dict[str, Any]:
        api = str(ctx.options.get("api_url") or "")
        months: list[MonthSummary] = []
        folder = ctx.content_dir / "reports" / "suggestions"
        for path in sorted(folder.glob("*.yml")) if folder.is_dir() else []:
            summary = loader.model(path, MonthSummary, loader.yaml_file(path))
            if summary is None:
                continue
            if summary.month != path.stem:
                loader.error(path, "month", f"the month in the file name ({path.stem})",
                             repr(summary.month))
                continue
            if parse_when(summary.published).isoformat()[:10] <= ctx.now.date().isoformat():
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
