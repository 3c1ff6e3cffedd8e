"""The files staff tools write and the portal publishes, declared once.

    content/reports/suggestions/<yyyy-mm>.yml   `portal-cases summary`: a month of cases
    content/reports/surveys/<id>.yml            `portal-surveys publish`: a survey's results

Both hold counts and shares only, never a name, phone, unit or receipt code. Each format
is one dataclass whose fields carry their rules (`field(metadata=rule(...))`); the writer
builds the record and writes `as_data(record)`, `check_*` reads it back (the build calls
them through `read_checked`), and any problem is reported as (field, expected, found).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence, Sized
from dataclasses import MISSING, dataclass, field, fields
from datetime import date, datetime
from functools import partial
from pathlib import Path
from typing import Any, Protocol, TypeVar

from .errors import Problem, Problems, found
from .messages import KINDS

WHEN_EXPECTED = "a date such as 2026-05-01 or a date and time such as 2026-05-01 09:00"
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2})?$")
MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def when(value: Any) -> date | datetime:
    """'2026-05-01' → date (all day); '2026-05-01 09:00' → naive local date-time."""
    if isinstance(value, datetime | date):
        return value
    text = str(value).strip() if isinstance(value, str | int) else None
    try:
        if text and _DATE.match(text):
            return date.fromisoformat(text)
        if text and _DATETIME.match(text):
            return datetime.fromisoformat(text.replace(" ", "T"))
    except ValueError:
        raise Problem("", f"{WHEN_EXPECTED} (a real calendar date)", repr(value)) from None
    raise Problem("", WHEN_EXPECTED, repr(value) if value is not None else "nothing")


def day_of(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


# --- reading a staff-written file --------------------------------------------------------

class Reading(Protocol):
    """What reads staff-written YAML and collects every problem (the site's content.Loader:
    its YAML dialect is the one the build uses, so every reader agrees with the site)."""

    @property
    def errors(self) -> Sized: ...

    def yaml_file(self, path: Path) -> Any: ...

    def error(self, path: Path, field: str, expected: str, found: str) -> None: ...


T = TypeVar("T")


def read_checked(reading: Reading, path: Path, check: Callable[[Any], T]) -> T | None:
    """A file read and checked: the record, or None with every problem recorded. An empty
    file is a problem too (it holds no record), unlike a file that is not YAML, which the
    reader has reported already."""
    before = len(reading.errors)
    data = reading.yaml_file(path)
    if len(reading.errors) > before:
        return None
    try:
        return check(data)
    except Problems as exc:
        for field_name, expected, found_text in exc.problems:
            reading.error(path, field_name, expected, found_text)
        return None


# --- small rules: value → clean value, or Problem("", expected, found) ---------------------

Rule = Callable[[Any], Any]


def count(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise Problem("", "a whole number of at least 0", found(value))
    return value


def number(low: float, high: float | None = None, optional: bool = True) -> Rule:
    expected = f"a number from {low:g} to {high:g}" if high is not None else \
        f"a number of at least {low:g}"

    def rule(value: Any) -> float | None:
        if value is None and optional:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float) \
                or value < low or (high is not None and value > high):
            raise Problem("", expected + (" (or nothing)" if optional else ""), found(value))
        return float(value)
    return rule


def text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise Problem("", "text", found(value))
    return value.strip()


def flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise Problem("", "true or false", found(value))
    return value


def pattern(regex: re.Pattern[str], expected: str) -> Rule:
    def rule(value: Any) -> str:
        if not isinstance(value, str) or not regex.match(value):
            raise Problem("", expected, found(value))
        return value
    return rule


def mapping(key: Rule, value: Rule) -> Rule:
    def rule(data: Any) -> dict[Any, Any]:
        if not isinstance(data, dict):
            raise Problem("", "a mapping of name: number", found(data))
        out: dict[Any, Any] = {}
        for k, v in data.items():
            try:
                kk = key(k)
            except Problem as p:
                raise Problem(str(k), p.expected, p.found) from None
            try:
                out[kk] = value(v)
            except Problem as p:
                raise Problem(str(k), p.expected, p.found) from None
        return out
    return rule


def one_of(value: Any, names: Sequence[str]) -> str:
    """A configured name (a kind, a category…), or the Problem listing the choices."""
    if value not in names:
        raise Problem("", "one of " + ", ".join(repr(n) for n in names), found(value))
    return str(value)


def grade(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 4:
        raise Problem("", "a grade from 1 to 4", found(value))
    return value


def rule(check: Rule) -> dict[str, Rule]:
    """A field's metadata naming the rule its value keeps: `field(metadata=rule(count))`.
    A dataclass declared so is its format's one declaration (see rules())."""
    return {"rule": check}


def rules(cls: type) -> dict[str, tuple[Rule, Any]]:
    """{field: (rule, default)} of a format declared with rule(); ... means required."""
    return {f.name: (f.metadata["rule"], ... if f.default is MISSING else f.default)
            for f in fields(cls)}


def check_fields(data: Any, rules: dict[str, tuple[Rule, Any]]) -> tuple[dict[str, Any],
                                                                         list[tuple[str, str, str]]]:
    """Check a mapping against {field: (rule, default)}; a default of ... means required."""
    problems: list[tuple[str, str, str]] = []
    if not isinstance(data, dict):
        return {}, [("(file)", "a mapping of field: value", found(data))]
    for name in sorted(set(data) - set(rules), key=str):
        problems.append((str(name), "no such field (check the spelling)", found(data[name])))
    clean: dict[str, Any] = {}
    for name, (rule, default) in rules.items():
        if name not in data:
            if default is ...:
                problems.append((name, "a value (this field is required)", "nothing"))
            else:
                clean[name] = default
            continue
        try:
            clean[name] = rule(data[name])
        except Problem as p:
            problems.append((f"{name}.{p.field}" if p.field else name, p.expected, p.found))
    return clean, problems


def as_data(record: Any) -> dict[str, Any]:
    """A checked record as the plain mapping its file holds (dates as text), for writing."""
    out: dict[str, Any] = {}
    for f in fields(record):
        value = getattr(record, f.name)
        if isinstance(value, date | datetime):
            value = value.isoformat()
        elif isinstance(value, tuple):
            value = [as_data(v) if hasattr(v, "__dataclass_fields__") else v for v in value]
        out[f.name] = value
    return out


# --- the monthly case summary -------------------------------------------------------------

PCT = number(0, 100)
HOURS = number(0)


@dataclass(frozen=True)
class MonthSummary:
    """content/reports/suggestions/<yyyy-mm>.yml, written by `portal-cases summary`
    (portal_domain.figures computes it), checked by check_month_summary()."""

    month: str = field(metadata=rule(pattern(MONTH, "a month such as 2026-11")))
    published: date | datetime = field(metadata=rule(when))
    received: int = field(metadata=rule(count))
    by_kind: dict[str, int] = field(metadata=rule(mapping(partial(one_of, names=tuple(KINDS)), count)))
    by_category: dict[str, int] = field(metadata=rule(mapping(text, count)))
    by_grade: dict[int, int] = field(metadata=rule(mapping(grade, count)))
    resolved: int = field(metadata=rule(count))
    responded_on_time_pct: float | None = field(default=None, metadata=rule(PCT))
    median_hours_to_first_response: float | None = field(default=None, metadata=rule(HOURS))
    median_hours_to_resolution: float | None = field(default=None, metadata=rule(HOURS))
    followup_rate_pct: float | None = field(default=None, metadata=rule(PCT))
    ratings: int = field(default=0, metadata=rule(count))
    satisfied_pct: float | None = field(default=None, metadata=rule(PCT))
    mean_rating: float | None = field(default=None, metadata=rule(number(1, 5)))
    followups: int = field(default=0, metadata=rule(count))
    followup_satisfied_pct: float | None = field(default=None, metadata=rule(PCT))
    reopened_pct: float | None = field(default=None, metadata=rule(PCT))


def check_month_summary(data: Any) -> MonthSummary:
    clean, problems = check_fields(data, rules(MonthSummary))
    if not problems:
        if sum(clean["by_kind"].values()) != clean["received"]:
            problems.append(("by_kind", f"counts adding up to 'received' ({clean['received']})",
                             str(sum(clean["by_kind"].values()))))
        if clean["resolved"] > clean["received"]:
            problems.append(("resolved", f"at most 'received' ({clean['received']})",
                             str(clean["resolved"])))
    if problems:
        raise Problems(problems)
    return MonthSummary(**clean)


# --- survey results ------------------------------------------------------------------------

@dataclass(frozen=True)
class TextAnswer:
    question: str = field(metadata=rule(text))
    text: str = field(metadata=rule(text))
    publish: bool = field(default=False, metadata=rule(flag))


def _texts(value: Any) -> tuple[TextAnswer, ...]:
    if not isinstance(value, list):
        raise Problem("", "a list of answers", found(value))
    out = []
    for i, item in enumerate(value):
        clean, problems = check_fields(item, rules(TextAnswer))
        if problems:
            f, e, x = problems[0]
            raise Problem(f"{i}.{f}" if f != "(file)" else str(i), e, x)
        out.append(TextAnswer(**clean))
    return tuple(out)


@dataclass(frozen=True)
class SurveyResults:
    """content/reports/surveys/<id>.yml, written by `portal-surveys publish`."""

    survey: str = field(metadata=rule(text))
    published: date | datetime = field(metadata=rule(when))
    responses: int = field(metadata=rule(count))
    counters: dict[str, int] = field(metadata=rule(mapping(text, count)))
    texts: tuple[TextAnswer, ...] = field(default=(), metadata=rule(_texts))


def check_survey_results(data: Any) -> SurveyResults:
    clean, problems = check_fields(data, rules(SurveyResults))
    if problems:
        raise Problems(problems)
    return SurveyResults(**clean)
