"""Notices at the bottom: the front-matter schema, the loaded notice, the loader."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property, partial
from itertools import pairwise
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

from ...cache import digest
from ...common import aware, naive
from ...content import Loader
from ...errors import ContentError, FieldProblem
from ...pipeline import BuildContext
from ...types import Strict, Text, When, one_of, show_when
from ...urls import page_url

FILE_NAME = re.compile(r"^(\d{4}-\d{2}-\d{2})-([a-z0-9][a-z0-9-]*)\.md$")
# Chinese names too (停水安排.pdf): the editor keeps an uploaded file's name as it was
ATTACHMENT = re.compile(r"^[^\W_][\w.-]*\.[A-Za-z0-9]+$")
LEVELS = ("urgent", "important", "normal")

class NoticeMeta(Strict):
    """Front matter of a notice. Categories and buildings are checked against configuration."""

    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]
    date: When
    expires: When | None = None
    category: Text
    level: Literal["normal", "important", "urgent"] = "normal"
    pinned: bool = False
    buildings: list[Text] = Field(default_factory=list)
    department: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=30)]
    summary: Annotated[str, StringConstraints(strip_whitespace=True, max_length=140)] | None = None
    attachments: list[Text] = Field(default_factory=list)

    @field_validator("category")
    @classmethod
    def _known_category(cls, value: str, info: ValidationInfo) -> str:
        return one_of(value, list((info.context or {})["categories"].values()))

    @field_validator("buildings")
    @classmethod
    def _known_buildings(cls, value: list[str], info: ValidationInfo) -> list[str]:
        known = (info.context or {}).get("buildings") or []
        for b in value:
            if known and b not in known:
                raise FieldProblem("", "buildings listed in content/community.yml ("
                                   + ", ".join(known) + ")", repr(b))
        return value

    @field_validator("department")
    @classmethod
    def _known_department(cls, value: str, info: ValidationInfo) -> str:
        known = (info.context or {}).get("departments") or []
        if known and value not in known:
            raise FieldProblem("", "a department listed in content/community.yml ("
                               + ", ".join(known) + ")", repr(value))
        return value

    @model_validator(mode="after")
    def _expires_after_date(self) -> NoticeMeta:
        if self.expires is not None and naive(self.expires) <= naive(self.date):
            raise FieldProblem("expires", f"a date after 'date' ({show_when(self.date)})",
                               show_when(self.expires))
        return self


@dataclass(frozen=True)
class Attachment:
    name: str
    source: Path
    size: int


@dataclass
class Notice:
    slug: str
    source: str
    meta: NoticeMeta
    body: str
    published: datetime
    expires: datetime | None
    category_slug: str
    attachments: list[Attachment]
    expired: bool = False
    # A hash of everything the notice's pages and list entries are made from: its file's
    # name and bytes, its attachments' names and sizes, and whether it has expired.
    digest: str = ""
    prev: Notice | None = field(default=None, repr=False)
    next: Notice | None = field(default=None, repr=False)

    @cached_property  # asked for by every list entry and neighbour link
    def path(self) -> str:
        return f"notices/{self.published:%Y}/{self.published:%m}/{self.slug}.md"

    @cached_property
    def url(self) -> str:
        return page_url(self.path)

    @property
    def month(self) -> str:
        return f"{self.published:%Y-%m}"

    @property
    def urgent_or_important(self) -> bool:
        return self.meta.level in ("urgent", "important")


@dataclass
class Notices:
    """Published notices, newest first, and the configuration they were checked against."""

    items: list[Notice]
    categories: dict[str, str]
    buildings: list[str]
    scheduled: int = 0
    # When the clock next changes what is published: the soonest scheduled notice's time
    # or the soonest expiry of a current one (a preview rebuilds then).
    next_change: datetime | None = None

    @property
    def current(self) -> list[Notice]:
        return [n for n in self.items if not n.expired]


def building_slug(name: str, index: int) -> str:
    """'1栋' → '1', 'A座' → 'a'; falls back to the position when nothing ASCII is left."""
    slug = "".join(ch for ch in name.lower() if ch.isascii() and ch.isalnum())
    return slug or str(index + 1)


def ordered(notices: list[Notice]) -> list[Notice]:
    """Index order: urgent first, then pinned, then newest."""
    return sorted(notices, key=lambda n: (n.meta.level != "urgent", not n.meta.pinned,
                                          -n.published.timestamp(), n.slug))


def _parse(root: Path, path: Path, raw: bytes, context: Mapping[str, object]
           ) -> tuple[NoticeMeta | None, str | None, list[ContentError]]:
    """A notice file's front matter checked against the schema, its body, its problems."""
    loader = Loader(root)
    parsed = loader.markdown(path, raw)
    if parsed is None:
        return None, None, loader.errors
    return (loader.model(path, NoticeMeta, parsed[0], context=dict(context)), parsed[1],
            loader.errors)


def load(ctx: BuildContext, loader: Loader) -> Notices:
    """Every notice in content/notices/, checked; the scheduled ones only counted."""
    categories = ctx.options.notice_categories
    by_name = {name: slug for slug, name in categories.items()}
    buildings = list(ctx.community.buildings) if ctx.community else []
    departments = list(ctx.community.departments) if ctx.community else []
    context = {"categories": categories, "buildings": buildings, "departments": departments}
    folder = ctx.content_dir / "notices"
    items: list[Notice] = []
    scheduled = 0
    changes: list[datetime] = []
    seen: dict[tuple[str, str], str] = {}
    for path in sorted(folder.rglob("*.md")) if folder.is_dir() else []:
        if path.name.lower() == "readme.md":
            continue
        m = FILE_NAME.match(path.name)
        if not m:
            loader.error(path, "(file name)",
                         "YYYY-MM-DD-name.md with lower-case letters, digits and '-' "
                         "(e.g. 2026-05-01-water-cut.md)", repr(path.name))
            continue
        raw = path.read_bytes()
        rel = loader.rel(path)
        # Reading and checking the file is a function of its bytes (and of the categories,
        # buildings and time zone, which are in the build's fingerprint): kept in the cache.
        meta, body, problems = ctx.cache.obj(
            "notice-file", ctx.key(rel, raw), partial(_parse, loader.root, path, raw, context))
        loader.errors.extend(problems)
        if meta is None or body is None:
            continue
        ok = True
        if naive(meta.date).date().isoformat() != m.group(1):
            loader.error(path, "date", f"the date in the file name ({m.group(1)})",
                         show_when(meta.date))
            ok = False
        attachments: list[Attachment] = []
        for name in meta.attachments:
            file = path.parent / name
            if not ATTACHMENT.match(name):
                loader.error(path, "attachments",
                             "a file name of letters (Chinese too), digits, '.', '_' or '-' "
                             "with an extension",
                             repr(name))
                ok = False
            elif not file.is_file():
                loader.error(path, "attachments", f"a file {name!r} beside the notice",
                             "no such file")
                ok = False
            else:
                attachments.append(Attachment(name, file, file.stat().st_size))
        if not body.strip():
            loader.error(path, "(body)", "the notice text below the front matter", "nothing")
            ok = False
        if not ok:
            continue
        published = aware(meta.date, ctx.tz)
        key = (f"{published:%Y/%m}", m.group(2))
        if key in seen:
            loader.error(path, "(file name)",
                         f"a name not used by another notice of the same month ({seen[key]})",
                         repr(path.name))
            continue
        seen[key] = rel
        if published > ctx.now:
            scheduled += 1
            changes.append(published)
            continue
        expires = aware(meta.expires, ctx.tz) if meta.expires is not None else None
        expired = expires is not None and expires <= ctx.now
        if expires is not None and not expired:
            changes.append(expires)
        items.append(Notice(
            slug=m.group(2), source=rel, meta=meta, body=body,
            published=published, expires=expires,
            category_slug=by_name.get(meta.category, ""), attachments=attachments,
            expired=expired,
            digest=digest(rel, raw, [(a.name, a.size) for a in attachments], expired),
        ))
    items.sort(key=lambda n: (-n.published.timestamp(), n.slug))
    for newer, older in pairwise(items):
        older.next, newer.prev = newer, older
    return Notices(items, dict(categories), buildings, scheduled, min(changes, default=None))
