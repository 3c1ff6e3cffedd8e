"""RSS 2.0, Atom and JSON Feed for all notices and per category (feedgen; absolute links)."""

from __future__ import annotations

import json
from functools import partial

from ...pipeline import BuildContext, OutputFile
from .model import Notice, Notices
from .pages import body

FEED_SIZE = 50


def _summary(n: Notice) -> str:
    if n.meta.summary:
        return n.meta.summary
    text = " ".join(line.strip() for line in n.body.splitlines()
                    if line.strip() and not line.lstrip().startswith(("#", "!!!", "|")))
    return text[:120] + ("…" if len(text) > 120 else "")


def render(data: Notices, ctx: BuildContext) -> list[OutputFile]:
    """Each feed from the content cache when the notices in it are the same."""
    out: list[OutputFile] = []
    feeds = [("notices/", ctx.t("notices.feed_title", name=_name(ctx)), data.items)]
    for slug, name in data.categories.items():
        items = [n for n in data.items if n.category_slug == slug]
        if items:
            feeds.append((f"notices/category/{slug}/",
                          ctx.t("notices.feed_title", name=f"{_name(ctx)} · {name}"), items))
    for base, title, items in feeds:
        shown = items[:FEED_SIZE]
        out.extend(ctx.cache.obj("notice-feed", ctx.key(base, title, [n.digest for n in shown]),
                                 partial(_feed, ctx, base, title, shown)))
    return out


def _name(ctx: BuildContext) -> str:
    return ctx.community.name if ctx.community else ""


def _feed(ctx: BuildContext, base: str, title: str, items: list[Notice]) -> list[OutputFile]:
    from feedgen.feed import FeedGenerator

    fg = FeedGenerator()
    home = ctx.url(base)
    fg.id(home)
    fg.title(title)

    def links(self_href: str) -> None:
        fg.link([{"href": home, "rel": "alternate"}, {"href": self_href, "rel": "self"}],
                replace=True)
    fg.description(title)
    fg.subtitle(title)
    fg.language(ctx.t.language)
    fg.updated(items[0].published)  # a feed is only made for notices it has
    fg.generator("community-portal")
    entries = []
    for n in reversed(items):  # feedgen prepends; oldest first gives newest on top
        html = body(n, ctx)
        url = ctx.url(n.url)
        fe = fg.add_entry()
        fe.id(url)
        fe.guid(url, permalink=True)
        prefix = f"[{ctx.t('notices.level.' + n.meta.level)}] " if n.meta.level != "normal" else ""
        fe.title(prefix + n.meta.title)
        fe.link(href=url)
        fe.published(n.published)
        fe.updated(n.published)
        fe.category(term=n.meta.category)
        fe.author(name=n.meta.department)
        fe.summary(_summary(n))
        fe.description(_summary(n))
        fe.content(html, type="html")
        entries.append({
            "id": url, "url": url, "title": prefix + n.meta.title,
            "content_html": html, "summary": _summary(n),
            "date_published": n.published.isoformat(),
            "tags": [n.meta.category], "authors": [{"name": n.meta.department}],
        })
    links(ctx.url(base + "rss.xml"))
    rss = fg.rss_str(pretty=True)
    links(ctx.url(base + "atom.xml"))
    atom = fg.atom_str(pretty=True)
    jsonfeed = {
        "version": "https://jsonfeed.org/version/1.1", "title": title,
        "home_page_url": home, "feed_url": ctx.url(base + "feed.json"),
        "language": ctx.t.language, "items": list(reversed(entries)),
    }
    return [
        OutputFile(base + "rss.xml", rss),
        OutputFile(base + "atom.xml", atom),
        OutputFile(base + "feed.json", json.dumps(jsonfeed, ensure_ascii=False, indent=1)),
    ]
