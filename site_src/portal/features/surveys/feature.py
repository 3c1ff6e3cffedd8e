"""Satisfaction surveys: forms built from content/surveys/*.yml, results from content/reports/surveys/.

The definitions are read and parsed by portal_contracts.surveys (`read_definitions`), the
very module the API validates answers with; the staff tools bundle them for the API with
the same reader (portal_staff.surveys.bundle). The form's field names and values come
from the same Question objects, so the two cannot drift. The results file is
portal_contracts.files.SurveyResults.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from portal_contracts import surveys as defs
from portal_contracts.files import SurveyResults, check_survey_results, day_of, read_checked

from ...content import Loader
from ...pipeline import BuildContext, Feature, HomeBlock, LightPage, NavItem, OutputFile
from . import results as survey_results


@dataclass
class Entry:
    survey: defs.Survey
    results: SurveyResults | None
    source: dict[str, Any]

    @property
    def url(self) -> str:
        return f"surveys/{self.survey.id}/"


class SurveysFeature(Feature):
    key = "surveys"

    def load(self, ctx: BuildContext, loader: Loader) -> list[Entry]:
        found = defs.read_definitions(ctx.content_dir / "surveys", loader)
        entries = {sid: Entry(s, None, raw) for sid, (s, raw) in found.items()}
        folder = ctx.content_dir / "reports" / "surveys"
        for path in sorted(folder.glob("*.yml")) if folder.is_dir() else []:
            results = read_checked(loader, path, check_survey_results)
            if results is None:
                continue
            if results.survey != path.stem or results.survey not in entries:
                loader.error(path, "survey", "the id of a survey in content/surveys/ matching the "
                             "file name", repr(results.survey))
                continue
            entry = entries[results.survey]
            unknown = sorted(k for k in results.counters if not defs.known_counter(entry.survey, k))
            if unknown:
                loader.error(path, f"counters.{unknown[0]}", "a counter of this survey's questions",
                             repr(unknown[0]))
                continue
            if day_of(results.published) <= ctx.now.date():
                entry.results = results
        return sorted(entries.values(), key=lambda e: e.survey.opens, reverse=True)

    def render(self, data: list[Entry], ctx: BuildContext) -> list[OutputFile | LightPage]:
        if not data:
            return []
        today = ctx.now.date()
        api = ctx.options.api_url
        out: list[OutputFile | LightPage] = [OutputFile("surveys/index.md", ctx.render(
            "portal/surveys_index.md", entries=data, today=today))]
        for i, e in enumerate(data):
            out.append(OutputFile(f"surveys/{e.survey.id}/index.md", ctx.render(
                "portal/survey_page.md", e=e, s=e.survey, today=today, api=api,
                state=_state(e.survey, today), messages_json=json.dumps(
                    ctx.t.prefixed("surveys.js."), ensure_ascii=False).replace("</", "<\\/"))))
            if e.results is not None:
                previous = next((p for p in data[i + 1:] if p.results is not None), None)
                view = survey_results.build(e.survey, e.results.counters, e.results.responses,
                                            previous.survey if previous else None,
                                            previous.results.counters if previous and previous.results
                                            else None)
                out.append(OutputFile(f"surveys/{e.survey.id}/results.md", ctx.render(
                    "portal/survey_results.md", e=e, s=e.survey, v=view,
                    previous=previous, charts=survey_results.Charts(view, ctx.t),
                    texts=[t for t in e.results.texts if t.publish])))
        return out

    def nav(self, data: list[Entry], ctx: BuildContext) -> NavItem | None:
        if not data:
            return None
        return NavItem(ctx.t("surveys.title"), "surveys/index.md")

    def home(self, data: list[Entry], ctx: BuildContext) -> list[HomeBlock]:
        running = [e for e in data if _state(e.survey, ctx.now.date()) == "open"]
        if not running:
            return []
        return [HomeBlock(35, ctx.render("portal/surveys_home.html", entries=running))]


def _state(s: defs.Survey, today: date) -> str:
    return "upcoming" if today < s.opens else "closed" if today > s.closes else "open"

