"""Survey definitions and answer validation: one source of truth for the site and the API.

Staff write a survey as YAML in content/surveys/<id>.yml; `read_definitions()` reads the
folder (through the reader the build uses) and `parse()` checks each one. The portal
builds the form from the result; `write_bundle()` writes the definitions as JSON for the
API (the local stack and the deploy, through portal_staff.surveys.bundle), `load_bundle()`
reads them back, and the API validates answers with `check_answers()` against them. Plain
Python (no pydantic, no YAML) so the Lambda cold start stays small.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from .errors import Invalid, Problems, found
from .files import Reading, read_checked
from .messages import Text

KINDS = ("single", "multiple", "rating", "importance", "nps", "text")
ACCESS = ("open", "codes")
ID = re.compile(r"^[a-z0-9][a-z0-9-]{2,40}$")


@dataclass(frozen=True)
class Question:
    id: str
    kind: str
    text: str
    required: bool = True
    options: tuple[str, ...] = ()          # single / multiple: the choices staff wrote
    pairs_with: str | None = None          # importance: the rating item it weighs
    max_length: int = 500                  # text
    show_if: tuple[str, tuple[str, ...]] | None = None  # (question id, answers that show it)
    item: str = ""                         # short name of the service item (rating/importance)

    def values(self) -> tuple[str, ...]:
        """Every countable answer: the counters and the results are keyed by these."""
        if self.kind in ("single", "multiple"):
            return self.options
        if self.kind in ("rating", "importance"):
            return ("1", "2", "3", "4", "5")
        if self.kind == "nps":
            return tuple(str(i) for i in range(11))
        return ()


@dataclass(frozen=True)
class Section:
    title: str
    questions: tuple[Question, ...]


@dataclass(frozen=True)
class Survey:
    id: str
    title: str
    intro: str
    opens: date
    closes: date
    access: str
    households: int
    sections: tuple[Section, ...]
    k: int = 5
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def questions(self) -> tuple[Question, ...]:
        return tuple(q for s in self.sections for q in s.questions)

    def question(self, qid: str) -> Question | None:
        return next((q for q in self.questions if q.id == qid), None)

    def is_open(self, today: date) -> bool:
        return self.opens <= today <= self.closes

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "title": self.title, "intro": self.intro,
            "opens": self.opens.isoformat(), "closes": self.closes.isoformat(),
            "access": self.access, "households": self.households, "k": self.k,
            "sections": [{"title": s.title, "questions": [_question_json(q) for q in s.questions]}
                         for s in self.sections],
        }


def _question_json(q: Question) -> dict[str, Any]:
    out: dict[str, Any] = {"id": q.id, "kind": q.kind, "text": q.text, "required": q.required}
    if q.options:
        out["options"] = list(q.options)
    if q.pairs_with:
        out["pairs_with"] = q.pairs_with
    if q.kind == "text":
        out["max_length"] = q.max_length
    if q.show_if:
        out["show_if"] = {"question": q.show_if[0], "answer": list(q.show_if[1])}
    if q.item:
        out["item"] = q.item
    return out


def _date(value: Any) -> date | None:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None


TOP = {"id", "title", "intro", "opens", "closes", "access", "households", "sections", "k"}
QUESTION = {"id", "kind", "text", "required", "options", "pairs_with", "max_length", "show_if",
            "item"}


def parse(data: Any, expected_id: str | None = None) -> Survey:
    """Check a definition and build the Survey; raise Problems listing every problem."""
    p: list[tuple[str, str, str]] = []
    if not isinstance(data, dict):
        raise Problems([("(file)", "a mapping of field: value", found(data))])
    for key in sorted(set(data) - TOP, key=str):
        p.append((key, "no such field (check the spelling)", found(data[key])))
    sid = data.get("id")
    if not isinstance(sid, str) or not ID.match(sid):
        p.append(("id", "lower-case letters, digits and '-' (3 to 41)", found(sid)))
    elif expected_id is not None and sid != expected_id:
        p.append(("id", f"the file name ({expected_id})", repr(sid)))
    for key in ("title", "intro"):
        if not isinstance(data.get(key), str) or not data[key].strip():
            p.append((key, "text", found(data.get(key))))
    opens, closes = _date(data.get("opens")), _date(data.get("closes"))
    if opens is None:
        p.append(("opens", "a date such as 2026-05-01", found(data.get("opens"))))
    if closes is None:
        p.append(("closes", "a date such as 2026-05-31", found(data.get("closes"))))
    if opens and closes and closes < opens:
        p.append(("closes", f"a date on or after 'opens' ({opens})", str(closes)))
    access = data.get("access", "open")
    if access not in ACCESS:
        p.append(("access", "one of 'open', 'codes'", found(access)))
    households = data.get("households")
    if not isinstance(households, int) or isinstance(households, bool) or households <= 0:
        p.append(("households", "a whole number greater than 0", found(households)))
    k = data.get("k", 5)
    if not isinstance(k, int) or isinstance(k, bool) or not 1 <= k <= 50:
        p.append(("k", "a whole number from 1 to 50", found(k)))
    sections: list[Section] = []
    seen: dict[str, Question] = {}
    raw_sections = data.get("sections")
    if not isinstance(raw_sections, list) or not raw_sections:
        p.append(("sections", "a list of sections with questions", found(raw_sections)))
        raw_sections = []
    for si, sec in enumerate(raw_sections):
        where = f"sections.{si}"
        if not isinstance(sec, dict) or not isinstance(sec.get("questions"), list) \
                or not sec["questions"]:
            p.append((where, "a mapping with 'title' and a list of 'questions'", found(sec)))
            continue
        questions = []
        for qi, raw in enumerate(sec["questions"]):
            q = _question(raw, f"{where}.questions.{qi}", seen, p)
            if q is not None:
                seen[q.id] = q
                questions.append(q)
        sections.append(Section(str(sec.get("title") or ""), tuple(questions)))
    for q in seen.values():
        if q.kind == "importance" and q.pairs_with:
            partner = seen.get(q.pairs_with)
            if partner is None or partner.kind != "rating":
                p.append((f"questions.{q.id}.pairs_with", "the id of a rating question",
                          repr(q.pairs_with)))
    if p:
        raise Problems(p)
    assert opens and closes and isinstance(households, int) and isinstance(sid, str)  # checked
    return Survey(sid, data["title"].strip(), data["intro"].strip(), opens, closes, access,
                  households, tuple(sections), k)


def _question(raw: Any, where: str, seen: dict[str, Question], p: list[tuple[str, str, str]]
              ) -> Question | None:
    if not isinstance(raw, dict):
        p.append((where, "a mapping describing a question", found(raw)))
        return None
    n = len(p)
    for key in sorted(set(raw) - QUESTION, key=str):
        p.append((f"{where}.{key}", "no such field (check the spelling)", found(raw[key])))
    qid, kind, text = raw.get("id"), raw.get("kind"), raw.get("text")
    if not isinstance(qid, str) or not re.fullmatch(r"[a-z][a-z0-9_]{0,30}", qid):
        p.append((f"{where}.id", "lower-case letters, digits and '_'", found(qid)))
    elif qid in seen:
        p.append((f"{where}.id", "an id not used by another question", repr(qid)))
    if kind not in KINDS:
        p.append((f"{where}.kind", "one of " + ", ".join(repr(k) for k in KINDS), found(kind)))
    if not isinstance(text, str) or not text.strip():
        p.append((f"{where}.text", "the question text", found(text)))
    required = raw.get("required", True)
    if not isinstance(required, bool):
        p.append((f"{where}.required", "true or false", found(required)))
    options: tuple[str, ...] = ()
    if kind in ("single", "multiple"):
        raw_options = raw.get("options")
        if not isinstance(raw_options, list) or len(raw_options) < 2 \
                or not all(isinstance(o, str) and o.strip() for o in raw_options):
            p.append((f"{where}.options", "a list of at least two answers", found(raw_options)))
        elif len(set(raw_options)) != len(raw_options):
            p.append((f"{where}.options", "each answer once", repr(raw_options)))
        else:
            options = tuple(o.strip() for o in raw_options)
    elif "options" in raw:
        p.append((f"{where}.options", f"no options for a {kind} question", found(raw["options"])))
    pairs_with = raw.get("pairs_with")
    if kind == "importance" and not isinstance(pairs_with, str):
        p.append((f"{where}.pairs_with", "the id of the rating question it weighs",
                  found(pairs_with)))
    max_length = raw.get("max_length", 500)
    if kind == "text" and (not isinstance(max_length, int) or not 1 <= max_length <= 2000):
        p.append((f"{where}.max_length", "a whole number from 1 to 2000", found(max_length)))
    show_if = None
    cond = raw.get("show_if")
    if cond is not None:
        target = seen.get(str(cond.get("question"))) if isinstance(cond, dict) else None
        answers = cond.get("answer") if isinstance(cond, dict) else None
        answers = [answers] if isinstance(answers, str | int) else answers
        if target is None:
            p.append((f"{where}.show_if.question", "the id of an earlier question",
                      found(cond.get("question") if isinstance(cond, dict) else cond)))
        elif not isinstance(answers, list) or not answers or any(
                str(a) not in target.values() for a in answers):
            p.append((f"{where}.show_if.answer",
                      f"answers of '{target.id}' (" + ", ".join(target.values()) + ")",
                      found(cond.get("answer"))))
        else:
            show_if = (target.id, tuple(str(a) for a in answers))
    if len(p) > n or not isinstance(qid, str) or not isinstance(kind, str) \
            or not isinstance(text, str):
        return None
    return Question(qid, kind, text.strip(), required, options,
                    pairs_with if kind == "importance" else None,
                    max_length if kind == "text" else 500, show_if, str(raw.get("item") or ""))


def check_answers(survey: Survey, answers: Any) -> dict[str, Any]:
    """Validate a response: every answer of the right kind, required ones present, hidden ones absent."""
    if not isinstance(answers, dict):
        raise Invalid("answers", "Expected a JSON object of answers.")
    unknown = sorted(set(answers) - {q.id for q in survey.questions})
    if unknown:
        raise Invalid(f"answers.{unknown[0]}", f"Unknown question '{unknown[0]}'.", "unknown_field")
    clean: dict[str, Any] = {}
    for q in survey.questions:
        field_name = f"answers.{q.id}"
        value = answers.get(q.id)
        shown = q.show_if is None or _as_values(clean.get(q.show_if[0])) & set(q.show_if[1])
        if not shown:
            if value not in (None, "", []):
                raise Invalid(field_name, "This question is not shown for the earlier answer.",
                              "not_shown")
            continue
        if value in (None, "", []):
            if q.required:
                raise Invalid(field_name, f"Question '{q.id}' must be answered.", "required")
            continue
        clean[q.id] = _answer(q, value, field_name)
    return clean


def _as_values(value: Any) -> set[str]:
    if value is None:
        return set()
    if isinstance(value, list):
        return {str(v) for v in value}
    return {str(value)}


def _answer(q: Question, value: Any, field_name: str) -> Any:
    if q.kind == "single":
        if not isinstance(value, str) or value not in q.options:
            raise Invalid(field_name, "Choose one of the offered answers.")
        return value
    if q.kind == "multiple":
        if not isinstance(value, list) or not value or not all(
                isinstance(v, str) and v in q.options for v in value) or len(set(value)) != len(value):
            raise Invalid(field_name, "Choose one or more of the offered answers, each once.")
        return [o for o in q.options if o in value]
    if q.kind in ("rating", "importance", "nps"):
        top = 10 if q.kind == "nps" else 5
        bottom = 0 if q.kind == "nps" else 1
        if isinstance(value, bool) or not isinstance(value, int) or not bottom <= value <= top:
            raise Invalid(field_name, f"Give a whole number from {bottom} to {top}.")
        return value
    text = Text(1 if q.required else 0, q.max_length, required=False).check(field_name, value)
    return text or ""


def counted(survey: Survey, answers: dict[str, Any]) -> list[str]:
    """Counter names one response increments: 'q:<question>:<value>' and 'n'."""
    names = ["n"]
    for q in survey.questions:
        if q.id in answers and q.kind != "text":
            vals = answers[q.id] if isinstance(answers[q.id], list) else [answers[q.id]]
            names += [f"q:{q.id}:{v}" for v in vals]
            names.append(f"a:{q.id}")  # how many answered this question
    return names


def read_definitions(folder: Path, reading: Reading) -> dict[str, tuple[Survey, Any]]:
    """Every <id>.yml of `folder` checked, with the data it was read from; each problem is
    recorded by `reading` (the file, the field, what was expected and what was found)."""
    out: dict[str, tuple[Survey, Any]] = {}
    for path in sorted(folder.glob("*.yml")) if folder.is_dir() else []:
        found = read_checked(reading, path, _with_data(path.stem))
        if found is not None:
            out[path.stem] = found
    return out


def _with_data(survey_id: str) -> Callable[[Any], tuple[Survey, Any]]:
    def check(data: Any) -> tuple[Survey, Any]:
        return parse(data, expected_id=survey_id), data
    return check


def write_bundle(surveys: dict[str, Survey], target: Path) -> dict[str, Any]:
    """Write the JSON the API validates answers against; return what was written."""
    text = dump_bundle(surveys)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def load_bundle(path: Path) -> dict[str, Survey]:
    """The definitions bundled as JSON (by the local stack or the deploy)."""
    raw = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    return {sid: parse(d) for sid, d in raw.items()}


def dump_bundle(surveys: dict[str, Survey]) -> str:
    """The JSON the API reads back with load_bundle()."""
    data = {sid: s.to_json() for sid, s in sorted(surveys.items())}
    return json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n"


def known_counter(s: Survey, key: str) -> bool:
    """A counter name this survey's answers can move (see counted())."""
    if key == "n":
        return True
    parts = key.split(":", 2)
    q = s.question(parts[1]) if len(parts) > 1 else None
    if q is None:
        return False
    return (parts[0] == "a" and len(parts) == 2) or (parts[0] == "q" and len(parts) == 3
                                                     and parts[2] in q.values())
