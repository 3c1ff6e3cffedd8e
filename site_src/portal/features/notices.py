"""Notices (通知公告): Markdown files with front matter in content/notices/.

Time rules: a notice dated after "now" is not published yet (scheduled); one whose
`expires` has passed leaves the home page and the current lists but stays in the
monthly archive, marked expired. Notices are never put in the global navigation:
Material renders the whole navigation into every page, so thousands of entries there
would make the build quadratic.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time
from itertools import pairwise
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from markupsafe import Markup
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

from ..content import Loader
from ..errors import FieldProblem
from ..pipeline import BuildContext, Feature, HomeBlock, LightPage, NavItem, OutputFile
from ..types import Text, When, one_of, show_when
from ..urls import page_url, relative
from . import notice_feeds

FILE_NAME = re.compile(r"^(\d{4}-\d{2}-\d{2})-([a-z0-9][a-z0-9-]*)\.md$")
ATTACHMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*\.[A-Za-z0-9]+$")
LEVELS = ("urgent", "important", "normal")

DEFAULT_CATEGORIES = {
    "outage": "停水停电",
    "maintenance": "维修养护",
    "safety": "安全提示",
    "reminder": "温馨提示",
    "activity": "社区活动",
    "fees": "缴费通知",
    "rules": "管理规定",
}

class NoticeMeta(BaseModel):
    """Front matter of a notice. Categories and buildings are checked against configuration."""

    model_config = ConfigDict(extra="forbid", frozen=True)

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
        return one_of(value, list((info.context or {}).get("categories",
                                                             DEFAULT_CATEGORIES).values()))

    @field_validator("buildings")
    @classmethod
    def _known_buildings(cls, value: list[str], info: ValidationInfo) -> list[str]:
        known = (info.context or {}).get("buildings") or []
        for b in value:
            if known and b not in known:
                raise FieldProblem("", "buildings listed in content/community.yml ("
                                   + ", ".join(known) + ")", repr(b))
        return value

    @model_validator(mode="after")
    def _expires_after_date(self) -> NoticeMeta:
        if self.expires is not None and _naive(self.expires) <= _naive(self.date):
            raise FieldProblem("expires", f"a date after 'date' ({show_when(self.date)})",
                               show_when(self.expires))
        return self


def _naive(value: datetime | date) -> datetime:
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    return datetime.combine(value, time.min)


def _aware(value: datetime | date, tz: ZoneInfo) -> datetime:
    if isinstance(value, datetime):
        return value.replace(tzinfo=tz) if value.tzinfo is None else value.astimezone(tz)
    return datetime.combine(value, time.min, tzinfo=tz)


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
    prev: Notice | None = field(default=None, repr=False)
    next: Notice | None = field(default=None, repr=False)

    @property
    def path(self) -> str:
        return f"notices/{self.published:%Y}/{self.published:%m}/{self.slug}.md"

    @property
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


class NoticesFeature(Feature):
    key = "notices"

    def load(self, ctx: BuildContext, loader: Loader) -> Notices:
        categories: dict[str, str] = ctx.options.get("notice_categories") or DEFAULT_CATEGORIES
        by_name = {name: slug for slug, name in categories.items()}
        buildings = list(ctx.community.buildings) if ctx.community else []
        context = {"categories": categories, "buildings": buildings}
        folder = ctx.content_dir / "notices"
        items: list[Notice] = []
        scheduled = 0
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
            parsed = loader.markdown(path)
            if parsed is None:
                continue
            meta = loader.model(path, NoticeMeta, parsed[0], context=context)
            if meta is None:
                continue
            ok = True
            if _naive(meta.date).date().isoformat() != m.group(1):
                loader.error(path, "date", f"the date in the file name ({m.group(1)})",
                             show_when(meta.date))
                ok = False
            attachments: list[Attachment] = []
            for name in meta.attachments:
                file = path.parent / name
                if not ATTACHMENT.match(name):
                    loader.error(path, "attachments",
                                 "a file name of letters, digits, '.', '_' or '-' with an extension",
                                 repr(name))
                    ok = False
                elif not file.is_file():
                    loader.error(path, "attachments", f"a file {name!r} beside the notice",
                                 "no such file")
                    ok = False
                else:
                    attachments.append(Attachment(name, file, file.stat().st_size))
            if not parsed[1].strip():
                loader.error(path, "(body)", "the notice text below the front matter", "nothing")
                ok = False
            if not ok:
                continue
            published = _aware(meta.date, ctx.tz)
            key = (f"{published:%Y/%m}", m.group(2))
            if key in seen:
                loader.error(path, "(file name)",
                             f"a name not used by another notice of the same month ({seen[key]})",
                             repr(path.name))
                continue
            seen[key] = loader.rel(path)
            if published > ctx.now:
                scheduled += 1
                continue
            expires = _aware(meta.expires, ctx.tz) if meta.expires is not None else None
            items.append(Notice(
                slug=m.group(2), source=loader.rel(path), meta=meta, body=parsed[1],
                published=published, expires=expires,
                category_slug=by_name.get(meta.category, ""), attachments=attachments,
                expired=expires is not None and expires <= ctx.now,
            ))
        items.sort(key=lambda n: (-n.published.timestamp(), n.slug))
        for newer, older in pairwise(items):
            older.next, newer.prev = newer, older
        return Notices(items, dict(categories), buildings, scheduled)

    def render(self, data: Notices, ctx: BuildContext) -> list[OutputFile | LightPage]:
        if not data.items:
            return []
        per_page = int(ctx.options.get("notices_per_page") or 20)
        qr = ctx.options.get("qr", True)
        out: list[OutputFile | LightPage] = []
        common: dict[str, Any] = {"t": ctx.t, "community": ctx.community, "now": ctx.now,
                                  "rel": relative, "categories": data.categories,
                                  "item": ItemRenderer(ctx)}
        page_html = ctx.env.get_template("portal/notice_page.html")
        html: dict[str, str] = {}
        for n in data.items:
            html[n.url] = ctx.markdown(n.body)
            out.append(LightPage(
                url=n.url, title=n.meta.title, description=n.meta.summary or n.meta.title,
                search_text=f"{n.meta.category} {n.meta.department} {_text(html[n.url])}",
                html=page_html.render(
                    n=n, body_html=html[n.url], page=n.url, absolute=ctx.url(n.url),
                    qr_svg=notice_qr(ctx.url(n.url)) if qr else "", **common)))
            out.extend(OutputFile(f"{n.url}{a.name}", a.source.read_bytes()) for a in n.attachments)

        bslugs = {b: building_slug(b, i) for i, b in enumerate(data.buildings)}
        months = sorted({n.month for n in data.items}, reverse=True)
        nav = {"categories": data.categories, "buildings": bslugs, "months": months}
        lists: list[tuple[str, str, list[Notice], dict[str, Any]]] = [
            ("notices/", ctx.t("notices.title"), ordered(data.current), {"kind": "index"}),
        ]
        by_cat: dict[str, list[Notice]] = defaultdict(list)
        for n in data.current:
            by_cat[n.category_slug].append(n)
        for slug, name in data.categories.items():
            lists.append((f"notices/category/{slug}/", ctx.t("notices.category_title", name=name),
                          ordered(by_cat.get(slug, [])), {"kind": "category", "slug": slug}))
        for b, bslug in bslugs.items():
            mine = [n for n in data.current if not n.meta.buildings or b in n.meta.buildings]
            lists.append((f"notices/building/{bslug}/", ctx.t("notices.building_title", name=b),
                          ordered(mine), {"kind": "building", "building": b}))
        list_html = ctx.env.get_template("portal/notice_list.html")
        list_md = ctx.env.get_template("portal/notice_list.md")
        for base, title, notices, extra in lists:
            pages = [notices[i:i + per_page] for i in range(0, len(notices), per_page)] or [[]]
            urls = [base] + [f"{base}page/{k}/" for k in range(2, len(pages) + 1)]
            for number, (chunk, url) in enumerate(zip(pages, urls, strict=True), start=1):
                values = dict(title=title, notices=chunk, page=url, number=number,
                              pages=len(pages), page_urls=urls, nav=nav, **extra, **common)
                if url == "notices/":  # in the navigation: a real MkDocs page
                    out.append(OutputFile("notices/index.md", list_md.render(**values)))
                else:
                    full = title + (ctx.t("notices.page_n", n=number) if number > 1 else "")
                    out.append(LightPage(url, full, list_html.render(**values)))

        by_month: dict[str, list[Notice]] = defaultdict(list)
        for n in data.items:
            by_month[n.month].append(n)
        common["nav"] = nav
        out.append(OutputFile("notices/archive.md", ctx.env.get_template(
            "portal/notice_archive.md").render(
            months=[(m, len(by_month[m])) for m in months], month=None, notices=[],
            page="notices/archive/", **common)))
        archive = ctx.env.get_template("portal/notice_archive.html")
        for m in months:
            url = f"notices/archive/{m.replace('-', '/')}/"
            out.append(LightPage(url, ctx.t("notices.archive_month", month=m), archive.render(
                months=[], month=m, notices=by_month[m], page=url, **common)))
        out.extend(notice_feeds.render(data, ctx, html))
        return out

    def nav(self, data: Notices, ctx: BuildContext) -> NavItem | None:
        if not data.items:
            return None
        return NavItem(ctx.t("notices.title"), children=(
            NavItem(ctx.t("notices.current"), "notices/index.md"),
            NavItem(ctx.t("notices.archive"), "notices/archive.md"),
        ))

    def home(self, data: Notices, ctx: BuildContext) -> list[HomeBlock]:
        current = data.current
        if not current:
            return []
        alerts = [n for n in ordered(current) if n.urgent_or_important]
        latest_n = int(ctx.options.get("home_latest_notices") or 5)
        latest = [n for n in current if n not in alerts][:latest_n]
        common = {"rel": relative, "page": "", "item": ItemRenderer(ctx)}
        blocks = []
        if alerts:
            blocks.append(HomeBlock(10, ctx.render("portal/notices_home_alerts.html",
                                                   notices=alerts, **common)))
        if latest:
            blocks.append(HomeBlock(30, ctx.render("portal/notices_home_latest.html",
                                                   notices=latest, **common)))
        return blocks


class ItemRenderer:
    """One list entry per notice and link target: list pages repeat the same entries a lot."""

    def __init__(self, ctx: BuildContext) -> None:
        self.template = ctx.env.get_template("portal/notice_item.html")
        self.t = ctx.t
        self.cache: dict[tuple[str, str], Markup] = {}

    def __call__(self, n: Notice, page: str) -> Markup:
        href = relative(n.url, page)
        key = (n.url, href)
        if key not in self.cache:
            self.cache[key] = Markup(self.template.render(n=n, href=href, t=self.t))
        return self.cache[key]


def notice_qr(url: str) -> str:
    """An inline SVG QR code whose payload is the notice's absolute URL."""
    import segno

    # A fixed mask: choosing the best of eight costs 4x and any mask scans from paper.
    svg: str = segno.make(url, error="m", micro=False, mask=0).svg_inline(
        scale=3, border=2, title=url, svgclass="portal-qr__code", lineclass=None)
    return svg


_TAGS = re.compile(r"<[^>]+>")


def _text(html: str) -> str:
    """Plain text of rendered HTML, for the search index."""
    import html as html_lib

    return html_lib.unescape(_TAGS.sub(" ", html)).strip()
