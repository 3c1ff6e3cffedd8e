"""Community event calendar (社区文化活动): one YAML file per event or series in content/events/.

Each file is validated against `EventMeta`; recurring series are expanded into
occurrences once, in the model, and every page (month grids, event pages, lists, the
home page) reads those occurrences. Times are shown in the portal's time zone; an event
may be given in another zone (`timezone:`) and is converted. Event pages, month grids,
category pages and the archive are LightPages; the upcoming list and the subscribe
page are real MkDocs pages because they are in the navigation.

    model.py    schema, recurrence, CalendarEvent and its occurrences, load()
    format.py   dates and series in words, calendar links, deadlines
    pages.py    the pages and the home block
    ics.py      the iCalendar feeds
"""

from __future__ import annotations

from ...content import Loader
from ...pipeline import BuildContext, Feature, HomeBlock, LightPage, NavItem, OutputFile
from . import ics, model, pages
from .model import Events


class EventsFeature(Feature):
    key = "events"

    def load(self, ctx: BuildContext, loader: Loader) -> Events:
        return model.load(ctx, loader)

    def render(self, data: Events, ctx: BuildContext) -> list[OutputFile | LightPage]:
        if not data.items:
            return []
        renderer = pages.Renderer(data, ctx)
        out = renderer.pages()
        return out + ics.render(data, ctx, renderer.html)

    def nav(self, data: Events, ctx: BuildContext) -> NavItem | None:
        if not data.items:
            return None
        return NavItem(ctx.t("events.tab"), children=(
            NavItem(ctx.t("events.upcoming"), "events/index.md"),
            NavItem(ctx.t("events.subscribe"), "events/subscribe.md"),
        ))

    def home(self, data: Events, ctx: BuildContext) -> list[HomeBlock]:
        return pages.home(data, ctx)

    def source_url(self, file: str) -> str | None:
        name = file.rsplit("/", 1)[-1]
        if not file.startswith("content/events/") or not name.endswith(".yml"):
            return None
        slug = name.removesuffix(".yml")
        return f"events/{slug}/" if model.FILE_NAME.match(slug) else None
