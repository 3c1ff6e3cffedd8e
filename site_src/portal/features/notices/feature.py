"""Notices (通知公告): Markdown files with front matter in content/notices/.

Time rules: a notice dated after "now" is not published yet (scheduled); one whose
`expires` has passed leaves the home page and the current lists but stays in the
monthly archive, marked expired. Notices are never put in the global navigation:
Material renders the whole navigation into every page, so thousands of entries there
would make the build quadratic.

    model.py   front-matter schema, Notice, load()
    lists.py   which notices each list page holds (numbered from the oldest), pagination
    pages.py   notice pages, lists, archives, home blocks
    feeds.py   RSS, Atom, JSON Feed
"""

from __future__ import annotations

from datetime import datetime

from ...content import Loader
from ...pipeline import BuildContext, Feature, HomeBlock, LightPage, NavItem, OutputFile
from . import feeds, model, pages
from .model import Notices


class NoticesFeature(Feature):
    key = "notices"

    def load(self, ctx: BuildContext, loader: Loader) -> Notices:
        return model.load(ctx, loader)

    def render(self, data: Notices, ctx: BuildContext) -> list[OutputFile | LightPage]:
        if not data.items:
            return []
        return [*pages.render(data, ctx), *feeds.render(data, ctx)]

    def nav(self, data: Notices, ctx: BuildContext) -> NavItem | None:
        if not data.items:
            return None
        return NavItem(ctx.t("notices.title"), children=(
            NavItem(ctx.t("notices.current"), "notices/index.md"),
            NavItem(ctx.t("notices.archive"), "notices/archive.md"),
        ))

    def home(self, data: Notices, ctx: BuildContext) -> list[HomeBlock]:
        return pages.home(data, ctx)

    def next_change(self, data: Notices, ctx: BuildContext) -> datetime | None:
        return data.next_change

    def source_url(self, file: str) -> str | None:
        m = model.FILE_NAME.match(file.rsplit("/", 1)[-1])
        if not file.startswith("content/notices/") or not m:
            return None
        year, month, _ = m.group(1).split("-")
        return f"notices/{year}/{month}/{m.group(2)}/"
