"""Satisfaction surveys: forms built from content/surveys/*.yml, results from content/reports/surveys/.

The definitions are parsed by chalicelib.surveys, the very module the API validates
answers with, and `bundle()` writes them beside it for the Lambda package; the form's
field names and values come from the same Question objects, so the two cannot drift.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from chalicelib import surveys as defs

from ..content import Loader
from ..pipeline import BuildContext, Feature, HomeBlock, LightPage, NavItem, OutputFile
from ..types import When, parse_when
from . import survey_results


class TextAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    question: str
    text: str
    publish: bool = False


class Results(BaseModel):
    """content/reports/surveys/<id>.yml, written by `portal-surveys publish`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    survey: str
    published: When
    responses: Annotated[int, Field(ge=0)]
    counters: dict[str, Annotated[int, Field(ge=0)]]
    texts: list[TextAnswer] = Field(default_factory=list)


@dataclass
class Entry:
    survey: defs.Survey
    results: Results | None
    source: dict[str, Any]

    @property
    def url(self) -> str:
        return f"surveys/{self.survey.id}/"


def load_definitions(folder: Path, loader: Loader) -> dict[str, tuple[defs.Survey, dict[str, Any]]]:
    out: dict[str, tuple[defs.Survey, dict[str, Any]]] = {}
    for path in sorted(folder.glob("*.yml")) if folder.is_dir() else []:
        data = loader.yaml_file(path)
        if data is None:
            continue
        try:
            out[path.stem] = (defs.parse(data, expected_id=path.stem), data)
        except defs.DefinitionError as exc:
            for field_name, expected, found in exc.problems:
                loader.error(path, field_name, expected, found)
    return out


def bundle(content_dir: Path, target: Path = defs.BUNDLE) -> dict[str, Any]:
    """Write the definitions the API validates against (done before `chalice local`/package)."""
    loader = Loader(content_dir)
    found = load_definitions(content_dir / "surveys", loader)
    if loader.errors:
        from ..errors import ContentInvalid

        raise ContentInvalid(loader.errors)
    data = {sid: survey.to_json() for sid, (survey, _) in sorted(found.items())}
    target.write_text(json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n",
                      encoding="utf-8")
    return data


class SurveysFeature(Feature):
    key = "surveys"

    def load(self, ctx: BuildContext, loader: Loader) -> list[Entry]:
        found = load_definitions(ctx.content_dir / "surveys", loader)
        entries = {sid: Entry(s, None, raw) for sid, (s, raw) in found.items()}
        folder = ctx.content_dir / "reports" / "surveys"
        for path in sorted(folder.glob("*.yml")) if folder.is_dir() else []:
            results = loader.model(path, Results, loader.yaml_file(path))
            if results is None:
                continue
            if results.survey != path.stem or results.survey not in entries:
                loader.error(path, "survey", "the id of a survey in content/surveys/ matching the "
                             "file name", repr(results.survey))
                continue
            entry = entries[results.survey]
            unknown = sorted(k for k in results.counters if not _known_counter(entry.survey, k))
            if unknown:
                loader.error(path, f"counters.{unknown[0]}", "a counter of this survey's questions",
                             repr(unknown[0]))
                continue
            if parse_when(results.published).isoformat()[:10] <= ctx.now.date().isoformat():
                entry.results = results
        return sorted(entries.values(), key=lambda e: e.survey.opens, reverse=True)

    def render(self, data: list[Entry], ctx: BuildContext) -> list[OutputFile | LightPage]:
        if not data:
            return []
        today = ctx.now.date()
        api = str(ctx.options.get("api_url") or "")
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


def _known_counter(s: defs.Survey, key: str) -> bool:
    if key == "n":
        return True
    parts = key.split(":", 2)
    q = s.question(parts[1]) if len(parts) > 1 else None
    if q is None:
        return False
    return (parts[0] == "a" and len(parts) == 2) or (parts[0] == "q" and len(parts) == 3
                                                     and parts[2] in q.values())

