"""Event pages, month grids, lists, category pages and the home block."""

from __future__ import annotations

import calendar as calendar_lib
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

from ...common import html_text
from ...pipeline import BuildContext, HomeBlock, LightPage, OutputFile
from ...urls import relative
from .format import Formatter, deadline, google_link, outlook_link, show_deadline, tel, webcal
from .model import CalendarEvent, Events, Occurrence

HOME_COUNT = 3


@dataclass
class Cell:
    day: date
    in_month: bool
    today: bool
    items: list[tuple[Occurrence, str]]


class Renderer:
    """Turns the validated events into pages; one instance per build."""

    def __init__(self, data: Events, ctx: BuildContext) -> None:
        self.data, self.ctx = data, ctx
        self.fmt = Formatter(ctx)
        self.today = data.now.date()
        self.upcoming = data.upcoming()
        self.months = self._months()
        self.common: dict[str, Any] = {
            "t": ctx.t, "community": ctx.community, "now": data.now, "rel": relative,
            "fmt": self.fmt, "categories": data.categories,
            "this_month": self._month_url(self._current_month()),
        }
        self.item = ctx.env.get_template("portal/event_item.html")
        # Each description is converted once, for its page and for the feeds.
        self.html = {e.url: ctx.markdown(e.meta.description) if e.meta.description.strip() else ""
                     for e in data.items}

    # -- months -------------------------------------------------------------------------------
    def _months(self) -> list[tuple[int, int]]:
        """Every month from the first event (or today) to the last (or today), none skipped."""
        occ = self.data.occurrences()
        first = min([o.first for o in occ] + [self.today])
        last = max([o.last for o in occ] + [self.today])
        months, (y, m) = [], (first.year, first.month)
        while (y, m) <= (last.year, last.month):
            months.append((y, m))
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        return months

    def _current_month(self) -> tuple[int, int]:
        return self.today.year, self.today.month

    @staticmethod
    def _month_url(ym: tuple[int, int]) -> str:
        return f"events/month/{ym[0]}/{ym[1]:02d}/"

    def items_html(self, events: list[CalendarEvent], page: str) -> str:
        return "".join(self.item.render(e=e, o=e.next(self.data.now) or e.occurrences[-1],
                                        href=relative(e.url, page), **self.common) for e in events)

    def pages(self) -> list[OutputFile | LightPage]:
        ctx, data, env = self.ctx, self.data, self.ctx.env
        out: list[OutputFile | LightPage] = []
        out.append(OutputFile("events/index.md", env.get_template("portal/events_index.md").render(
            page="events/", items=self.items_html(self.upcoming, "events/"), **self.common)))
        out.append(OutputFile("events/subscribe.md", env.get_template(
            "portal/events_subscribe.md").render(page="events/subscribe/", feeds=self.feeds(),
                                                 **self.common)))
        out.extend(self.month_pages())
        out.extend(self.event_pages())
        category = env.get_template("portal/events_category.html")
        for slug, name in data.categories.items():
            url = f"events/category/{slug}/"
            mine = [e for e in self.upcoming if e.category_slug == slug]
            feed = ctx.url(f"events/{slug}.ics")
            out.append(LightPage(url, ctx.t("events.category_title", name=name), category.render(
                page=url, slug=slug, name=name, items=self.items_html(mine, url),
                webcal=webcal(feed), ics=f"events/{slug}.ics", **self.common),
                description=ctx.t("events.category_title", name=name)))
        past = data.past()
        groups: dict[str, list[CalendarEvent]] = defaultdict(list)
        for e in past:
            last = e.occurrences[-1].first
            groups[self.fmt.month(last.year, last.month)].append(e)
        out.append(LightPage("events/archive/", ctx.t("events.archive"), env.get_template(
            "portal/events_archive.html").render(
            page="events/archive/", groups=[(m, self.items_html(es, "events/archive/"))
                                            for m, es in groups.items()], **self.common)))
        return out

    def feeds(self) -> list[tuple[str, str, str]]:
        """(name, https URL, webcal URL) of every feed, all events first."""
        feeds = [(self.ctx.t("events.all_events"), "events/calendar.ics")]
        feeds += [(name, f"events/{slug}.ics") for slug, name in self.data.categories.items()]
        return [(name, self.ctx.url(p), webcal(self.ctx.url(p))) for name, p in feeds]

    def month_pages(self) -> list[LightPage]:
        by_day: dict[date, list[tuple[Occurrence, str]]] = defaultdict(list)
        for o in self.data.occurrences():
            for d in o.days:
                by_day[d].append((o, self.fmt.part(o, d)))
        template = self.ctx.env.get_template("portal/events_month.html")
        weeks_of = calendar_lib.Calendar(firstweekday=0).monthdatescalendar
        out = []
        for i, (y, m) in enumerate(self.months):
            url = self._month_url((y, m))
            weeks = [[Cell(d, d.month == m, d == self.today, by_day.get(d, []) if d.month == m else [])
                      for d in week] for week in weeks_of(y, m)]
            prev = self.months[i - 1] if i > 0 else None
            nxt = self.months[i + 1] if i + 1 < len(self.months) else None
            title = self.fmt.month(y, m)
            out.append(LightPage(url, self.ctx.t("events.month_page_title", month=title), template.render(
                page=url, title=title, weeks=weeks, weekdays=self.fmt.weekdays,
                count=sum(len(c.items) for w in weeks for c in w),
                prev=(self._month_url(prev), self.fmt.month(*prev)) if prev else None,
                next=(self._month_url(nxt), self.fmt.month(*nxt)) if nxt else None,
                **self.common)))
        return out

    def event_pages(self) -> list[LightPage]:
        template = self.ctx.env.get_template("portal/event_page.html")
        out = []
        for e in self.data.items:
            absolute = self.ctx.url(e.url)
            body = self.html[e.url]
            upcoming = e.upcoming(self.data.now)
            shown = upcoming[0] if upcoming else e.occurrences[0]
            reg = e.meta.registration
            closed = reg is not None and deadline(reg.deadline, e.tz) < self.data.now
            out.append(LightPage(
                url=e.url, title=e.meta.title,
                description=f"{self.fmt.when(shown)} · {e.meta.location}",
                search_text=f"{e.meta.title} {e.meta.category} {e.meta.location} "
                            f"{e.meta.organiser} {html_text(body, tag='')}",
                html=template.render(
                    e=e, page=e.url, body_html=body, shown=shown, upcoming=upcoming[:8],
                    more=max(0, len(upcoming) - 8), series=self.fmt.series(e),
                    local=self.fmt.local(e), registration_closed=closed,
                    deadline=show_deadline(reg.deadline, self.fmt) if reg else "",
                    google=google_link(e, shown, absolute), outlook=outlook_link(e, shown, absolute),
                    month=self._month_url((shown.first.year, shown.first.month)),
                    tel=tel(e.meta.contact) if e.meta.contact else "", **self.common)))
        return out


def home(data: Events, ctx: BuildContext) -> list[HomeBlock]:
    """The next few events on the home page."""
    soon = [o for o in data.occurrences() if o.end > data.now and o.event.active][:HOME_COUNT]
    if not soon:
        return []
    fmt = Formatter(ctx)
    return [HomeBlock(40, ctx.render("portal/events_home.html", occurrences=soon, fmt=fmt,
                                     page="", rel=relative))]
