"""Notice pages, lists, archives and home blocks, above the model."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from markupsafe import Markup

from ...common import html_text, qr_svg
from ...pipeline import BuildContext, HomeBlock, LightPage, OutputFile
from ...urls import relative
from .model import Notice, Notices, building_slug, ordered


def render(data: Notices, ctx: BuildContext
           ) -> tuple[list[OutputFile | LightPage], dict[str, str]]:
    """Every notice page (with its attachments), list, category, building and archive page;
    and each notice's body as HTML by URL (the feeds reuse it)."""
    per_page = ctx.options.notices_per_page
    qr = ctx.options.qr
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
            search_text=f"{n.meta.category} {n.meta.department} {html_text(html[n.url])}",
            html=page_html.render(
                n=n, body_html=html[n.url], page=n.url, absolute=ctx.url(n.url),
                qr_svg=qr_svg(ctx.url(n.url)) if qr else "", **common)))
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
    return out, html


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
        self.cache: dict[tuple[str, str], Markup] = {}

    def __call__(self, n: Notice, page: str) -> Markup:
        href = relative(n.url, page)
        key = (n.url, href)
        if key not in self.cache:
            self.cache[key] = Markup(self.template.render(n=n, href=href, t=self.t))
        return self.cache[key]
