"""No silent corrections: published figures against the committed snapshot of what was published.

Every build writes, for each section with published disclosures (reports, decisions,
公共收益 ledgers), `published/<section>.json` into the site: each published file's
figures (every number in it, by its dotted field) exactly as the site shows them. Staff
commit that file as `content/published/<section>.json` after a publishing build. From
then on a build compares each published file's figures with the committed snapshot: a
figure that changed (or disappeared) needs a `corrections` entry in the file (date,
field, old, new, reason) saying exactly that change, else the build stops naming the
file, the field, the old and the new value. Corrections are shown on the page, in the
CSV and in the section's feed (`<section>/corrections.xml`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import BeforeValidator, StringConstraints, field_validator

from .content import Loader
from .errors import FieldProblem
from .types import Strict, Text

FOLDER = "published"  # content/published/<section>.json, and published/<section>.json on the site
EXPECTED_DATE = "a date such as 2026-08-01"
REMOVED = "—"  # a correction's `new` when the figure was taken out


def _figure(value: Any) -> Any:
    if isinstance(value, int | Decimal | float) and not isinstance(value, bool):
        return str(value)
    return value


# A figure as staff wrote it (YAML reads 4397859.90 as a number; the page shows it as written).
Figure = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1),
                   BeforeValidator(_figure)]


class Correction(Strict):
    """One change to a published figure, as the page, the CSV and the feed show it."""

    date: date
    field: Text
    old: Figure
    new: Figure
    reason: Text

    @field_validator("date", mode="before")
    @classmethod
    def _date(cls, value: Any) -> Any:
        if isinstance(value, str) and len(value.strip()) != 10:
            raise FieldProblem("", EXPECTED_DATE, repr(value))
        return value


@dataclass(frozen=True)
class Shown:
    """A correction of one published file, ready for a page, a CSV row and a feed entry."""

    file: str  # content/reports/2026-H1.yml
    url: str  # the page it corrects
    title: str
    c: Correction


def figures(raw: Any, prefix: str = "") -> dict[str, str]:
    """Every number in a file by its dotted field, as text ('corrections' itself left out)."""
    out: dict[str, str] = {}
    if isinstance(raw, dict):
        for k, v in raw.items():
            if not prefix and k == "corrections":
                continue
            out.update(figures(v, f"{prefix}{k}."))
    elif isinstance(raw, list):
        for i, v in enumerate(raw):
            out.update(figures(v, f"{prefix}{i}."))
    elif isinstance(raw, int | Decimal) and not isinstance(raw, bool):
        out[prefix.rstrip(".")] = str(raw)
    return out


def _number(text: str) -> Decimal | None:
    try:
        return Decimal(text)
    except (InvalidOperation, ValueError):
        return None


def _same(a: str | None, b: object) -> bool:
    if a is None or b is None:
        return a is None and b is None
    x, y = _number(a), _number(str(b))
    return x == y if x is not None and y is not None else a == str(b)


def snapshot(content_dir: Path, section: str, loader: Loader) -> dict[str, dict[str, str]]:
    """The committed snapshot of a section: file → field → figure as published."""
    path = content_dir / FOLDER / f"{section}.json"
    if not path.is_file():
        return {}
    text = loader.read_text(path)
    try:
        data = json.loads(text or "")
    except ValueError as exc:
        loader.error(path, "(file)", "the JSON a build wrote to published/ on the site", str(exc))
        return {}
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        loader.error(path, "(file)", "a mapping of file → field → figure", type(data).__name__)
        return {}
    return data


def check(loader: Loader, path: Path, now: dict[str, str], corrections: list[Correction],
          published: dict[str, dict[str, str]]) -> bool:
    """True when every figure of `path` the snapshot holds is unchanged or corrected."""
    before = len(loader.errors)
    was = published.get(loader.rel(path), {})
    for field, old in sorted(was.items()):
        new = now.get(field)
        if _same(old, new):
            continue
        shown = REMOVED if new is None else new
        if not any(c.field == field and _same(old, c.old) and _same(shown, c.new)
                   for c in corrections):
            loader.error(path, field, f"{old} as published, or a corrections entry (date, field, "
                         f"old, new, reason) with field {field}, old {old} and new {shown}",
                         shown)
    for i, c in enumerate(corrections):
        current = now.get(c.field, REMOVED)
        if not _same(current, c.new):
            loader.error(path, f"corrections.{i}.new", f"the figure now in {c.field} ({current})",
                         repr(c.new))
    return len(loader.errors) == before


def shown(file: str, url: str, title: str, corrections: list[Correction]) -> list[Shown]:
    return [Shown(file, url, title, c) for c in corrections]


def feed(site_url: str, base: str, title: str, language: str, items: list[Shown],
         tz: ZoneInfo) -> bytes:
    """An Atom feed of the corrections of one section, newest first (feedgen, like the notices)."""
    from feedgen.feed import FeedGenerator

    fg = FeedGenerator()
    home = site_url.rstrip("/") + "/" + base
    fg.id(home)
    fg.title(title)
    fg.link([{"href": home, "rel": "alternate"},
             {"href": home + "corrections.xml", "rel": "self"}], replace=True)
    fg.language(language)
    fg.generator("community-portal")
    ordered = sorted(items, key=lambda s: (s.c.date, s.file, s.c.field))
    fg.updated(_when(ordered[-1].c.date, tz) if ordered else datetime(2000, 1, 1, tzinfo=tz))
    for s in ordered:  # feedgen prepends: oldest first gives newest on top
        url = site_url.rstrip("/") + "/" + s.url
        fe = fg.add_entry()
        fe.id(f"{url}#correction-{s.c.date}-{s.c.field}")
        fe.title(f"{s.title}：{s.c.field} {s.c.old} → {s.c.new}")
        fe.link(href=url)
        fe.published(_when(s.c.date, tz))
        fe.updated(_when(s.c.date, tz))
        fe.summary(f"{s.c.date} {s.c.field}: {s.c.old} → {s.c.new}. {s.c.reason}")
    atom: bytes = fg.atom_str(pretty=True)
    return atom


def _when(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=tz)


def published_json(figures_by_file: dict[str, dict[str, str]]) -> str:
    """What a build writes to published/<section>.json (and staff commit to content/)."""
    return json.dumps(figures_by_file, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
