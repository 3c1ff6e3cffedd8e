"""Notice pages, lists, archives and home blocks, above the model."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

from markupsafe import Markup

from ...cache import digest
from ...common import html_text, qr_svg
from ...pipeline import BuildContext, HomeBlock, LightPage, OutputFile
from ...urls import relative
from .lists import paginate
from .model import Notice, Notices, building_slug, ordered


def render(data: Notices, ctx: BuildContext) -> list[OutputFile | LightPage]:
    """Every notice page (with its attachments), list, category, building and archive page.

    Each page comes from the content cache when its inputs are the same as in an earlier
    build: the build's fingerprint and the digests of the notices it shows (a notice page
    also shows its neighbours' titles). So saving one notice renders its page, its
    neighbours' and the list pages it is on; the rest are looked up.
    """
    per_page = ctx.options.notices_per_page
    qr = ctx.options.qr
    out: list[OutputFile | LightPage] = []
    # No `now` here: whatever the clock decides about a notice is in its digest.
    common: dict[str, Any] = {"t": ctx.t, "community": ctx.community,
                              "rel": relative, "categories": data.categories,
                              "item": ItemRenderer(ctx)}
    for n in data.items:
        key = ctx.key(n.digest, _link(n.next), _link(n.prev), qr)
        page_html, search_text = ctx.cache.obj("notice-page", key,
                                               partial(_notice_page, n, ctx, common))
        out.append(LightPage(url=n.url, title=n.meta.title,
                             description=n.meta.summary or n.meta.title,
                             search_text=search_text, html=page_html, key=key))
        out.extend(OutputFile(f"{n.url}{a.name}", a.source.read_bytes()) for a in n.attachments)

    bslugs = {b: building_slug(b, i) for i, b in enumerate(data.buildings)}
    nav = {"categories": data.categories, "buildings": bslugs}
    nav_key = digest(sorted(data.categories.items()), sorted(bslugs.items()))
    lists: list[tuple[str, str, list[Notice], dict[str, Any]]] = [
        ("notices/", ctx.t("notices.title"), data.current, {"kind": "index"}),
    ]
    by_cat: dict[str, list[Notice]] = defaultdict(list)
    for n in data.current:
        by_cat[n.category_slug].append(n)
    for slug, name in data.categories.items():
        lists.append((f"notices/category/{slug}/", ctx.t("notices.category_title", name=name),
                      by_cat.get(slug, []), {"kind": "category", "slug": slug}))
    for b, bslug in bslugs.items():
        mine = [n for n in data.current if not n.meta.buildings or b in n.meta.buildings]
        lists.append((f"notices/building/{bslug}/", ctx.t("notices.building_title", name=b),
                      mine, {"kind": "building", "building": b}))
    list_html = ctx.env.get_template("portal/notice_list.html")
    list_md = ctx.env.get_template("portal/notice_list.md")
    for base, title, notices, extra in lists:
        list_key = digest(title, base, nav_key, json.dumps(extra, sort_keys=True))
        for lp in paginate(base, notices, per_page):
            # All a list page shows: its notices, its place and its links to other pages
            # (older pages keep theirs when a notice is added: see lists.py).
            key = ctx.key(list_key, lp.number, [n.digest for n in lp.notices], lp.steps,
                          lp.newer, lp.older)
            values = dict(title=title, notices=lp.notices, page=lp.url, number=lp.number,
                          steps=lp.steps, newer=lp.newer, older=lp.older, nav=nav,
                          **extra, **common)
            if lp.url == "notices/":  # in the navigation: a real MkDocs page
                out.append(OutputFile("notices/index.md", ctx.cache.text(
                    "notice-list-md", key, partial(list_md.render, **values))))
            else:
                full = title + (ctx.t("notices.page_n", n=lp.number) if lp.number else "")
                out.append(LightPage(lp.url, full, ctx.cache.text(
                    "notice-list", key, partial(list_html.render, **values)), key=key))

    by_month: dict[str, list[Notice]] = defaultdict(list)
    for n in data.items:
        by_month[n.month].append(n)
    common["nav"] = nav
    months = sorted(by_month, reverse=True)
    counts = [(m, len(by_month[m])) for m in months]
    out.append(OutputFile("notices/archive.md", ctx.cache.text(
        "notice-archive-md", ctx.key(counts, nav_key), lambda: ctx.env.get_template(
            "portal/notice_archive.md").render(months=counts, month=None, notices=[],
                                               page="notices/archive/", **common))))
    archive = ctx.env.get_template("portal/notice_archive.html")
    for m in months:
        url = f"notices/archive/{m.replace('-', '/')}/"
        key = ctx.key(m, [n.digest for n in by_month[m]], nav_key)
        out.append(LightPage(url, ctx.t("notices.archive_month", month=m), ctx.cache.text(
            "notice-archive", key, partial(archive.render, months=[], month=m,
                                           notices=by_month[m], page=url, **common)), key=key))
    return out


@dataclass(frozen=True)
class Link:
    """What a notice page shows of a newer or older notice (and all its cache key holds)."""

    url: str
    title: str


def _link(n: Notice | None) -> Link | None:
    return None if n is None else Link(n.url, n.meta.title)


def _notice_page(n: Notice, ctx: BuildContext, common: dict[str, Any]) -> tuple[str, str]:
    """A notice's page content and the text search indexes for it."""
    body_html = body(n, ctx)
    html = ctx.env.get_template("portal/notice_page.html").render(
        n=replace(n, prev=None, next=None), newer=_link(n.next), older=_link(n.prev),
        body_html=body_html, page=n.url, absolute=ctx.url(n.url),
        qr_svg=qr_svg(ctx.url(n.url)) if ctx.options.qr else "", **common)
    return html, f"{n.meta.category} {n.meta.department} {html_text(body_html)}"


def body(n: Notice, ctx: BuildContext) -> str:
    """A notice's text as HTML (the page and the feeds show it)."""
    return ctx.markdown(n.body)  # itself cached by the text


def home(data: Notices, ctx: BuildContext) -> list[HomeBlock]:
    """Current urgent and important notices first, then the latest others."""
    current = data.current
    if not current:
        return []
    alerts = [n for n in ordered(current) if n.urgent_or_important]
    latest = [n for n in current if n not in alerts][:ctx.options.home_latest_notices]
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
        self.fingerprint = ctx.fingerprint
        # Kept in memory between a preview's rebuilds (a list's first page is made again
        # with each new notice, of entries it mostly had).
        self.cache: dict[tuple[str, str, str], Markup] = ctx.cache.scratch("notice-items")

    def __call__(self, n: Notice, page: str) -> Markup:
        href = relative(n.url, page)
        key = (self.fingerprint, n.digest, href)
        if key not in self.cache:
            # Without its neighbours: an entry is made of the notice only (its digest).
            self.cache[key] = Markup(self.template.render(n=replace(n, prev=None, next=None),
                                                          href=href, t=self.t))
        return self.cache[key]
