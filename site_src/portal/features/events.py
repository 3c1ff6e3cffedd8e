"""Community event calendar (社区文化活动): one YAML file per event or series in content/events/.

Each file is validated against `EventMeta`; recurring series are expanded into
occurrences once, here, and every page (month grids, event pages, lists, the home
page) reads those occurrences. Times are shown in the portal's time zone; an event
may be given in another zone (`timezone:`) and is converted. Event pages, month grids,
category pages and the archive are LightPages; the upcoming list and the subscribe
page are real MkDocs pages because they are in the navigation. The iCalendar feeds
are built in `event_ics`.
"""

from __future__ import annotations

import calendar as calendar_lib
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from itertools import islice
from typing import Annotated, Any, Literal
from urllib.parse import urlencode
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

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
from ..urls import relative
from . import event_ics

FILE_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")
# Folders the calendar itself uses under events/; an event file cannot take these names.
RESERVED = ("archive", "category", "index", "month", "subscribe")
MAX_OCCURRENCES = 400
HOME_COUNT = 3

DEFAULT_CATEGORIES = {
    "culture": "科教文化",
    "health": "健康娱乐",
    "festival": "文艺庆典",
    "charity": "爱心公益",
}

Status = Literal["scheduled", "cancelled", "postponed"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Registration(_Strict):
    """Registration is required when this block is present; absent means 'just come'."""

    deadline: When
    how: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
    places: int | None = Field(default=None, ge=1)


class Recurrence(_Strict):
    """A weekly or monthly series. COUNT counts excluded dates too, as RFC 5545 does."""

    frequency: Literal["weekly", "monthly"]
    interval: int = Field(default=1, ge=1, le=12)
    # Monthly only: "date" repeats on the day of the month of `start` (the 10th),
    # "weekday" on the same weekday of the month (the first Sunday).
    by: Literal["date", "weekday"] | None = None
    count: int | None = Field(default=None, ge=1, le=MAX_OCCURRENCES)
    until: date | None = None
    exclude: list[date] = Field(default_factory=list)


class EventMeta(_Strict):
    """One event or series. `start`/`end` as a date make it all-day (the end day included)."""

    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]
    start: When
    end: When | None = None
    timezone: Text | None = None
    location: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]
    category: Text
    description: str = ""
    audience: list[Text] = Field(default_factory=list)
    organiser: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
    contact: Text | None = None
    registration: Registration | None = None
    recurrence: Recurrence | None = None
    status: Status = "scheduled"
    note: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)] | None = None
    # When staff last changed the event: becomes DTSTAMP/LAST-MODIFIED in the feeds.
    updated: When | None = None
    # Raise by one whenever the time changes, so calendar apps take the new version.
    sequence: int = Field(default=0, ge=0)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is not None:
            zone(value)
        return value

    @field_validator("category")
    @classmethod
    def _known_category(cls, value: str, info: ValidationInfo) -> str:
        return one_of(value, list((info.context or {}).get("categories",
                                                             DEFAULT_CATEGORIES).values()))

    @field_validator("contact")
    @classmethod
    def _public_phone(cls, value: str | None, info: ValidationInfo) -> str | None:
        phones: list[str] = (info.context or {}).get("phones") or []
        if value is not None and phones and value not in phones:
            raise FieldProblem("", "one of the public numbers in content/community.yml ("
                               + ", ".join(repr(p) for p in phones) + ")", repr(value))
        return value

    @model_validator(mode="after")
    def _consistent(self) -> EventMeta:
        start, end = self.start, self.end
        timed = isinstance(start, datetime)
        if end is not None and isinstance(end, datetime) != timed:
            raise FieldProblem("end", "the same kind as 'start': a date for an all-day event, "
                               "a date and time for one with a time", show_when(end))
        if end is None and timed:
            raise FieldProblem("end", "a date and time when the event ends (required when "
                               "'start' has a time)", "nothing")
        if end is not None and (end <= start if timed else end < start):
            raise FieldProblem("end", f"{'a time after' if timed else 'a date on or after'} "
                               f"'start' ({show_when(start)})", show_when(end))
        if self.status != "scheduled" and self.note is None:
            raise FieldProblem("note", f"a note saying why and what happens instead (required "
                               f"when status is {self.status!r})", "nothing")
        reg = self.registration
        if reg is not None and _naive(reg.deadline) > _naive(start):
            raise FieldProblem("registration.deadline",
                               f"a date not after 'start' ({show_when(start)})",
                               show_when(reg.deadline))
        if self.recurrence is not None:
            _check_recurrence(self)
        return self

    @property
    def all_day(self) -> bool:
        return not isinstance(self.start, datetime)

    @property
    def duration(self) -> timedelta:
        """Length of one occurrence; all-day events count whole days (end day included)."""
        if self.end is None:
            return timedelta(days=1)
        return _naive(self.end) - _naive(self.start) + (timedelta(days=1) if self.all_day else timedelta())


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise FieldProblem("", "an IANA time zone such as 'Asia/Shanghai' or 'Europe/London'",
                           repr(name)) from None


def _naive(value: date | datetime) -> datetime:
    return value if isinstance(value, datetime) else datetime.combine(value, time.min)


def _rule(meta: EventMeta) -> Any:
    """The dateutil rule of a series, in the wall-clock time of the event's zone."""
    from dateutil import rrule

    r = meta.recurrence
    assert r is not None  # only called for series
    first = _naive(meta.start)
    extra: dict[str, Any] = {}
    if r.frequency == "monthly" and r.by == "weekday":
        extra["byweekday"] = rrule.weekday(first.weekday(), nth_weekday(first))
    until = datetime.combine(r.until, time.max) if r.until else None
    return rrule.rrule(rrule.WEEKLY if r.frequency == "weekly" else rrule.MONTHLY, dtstart=first,
                       interval=r.interval, count=r.count, until=until, **extra)


def nth_weekday(day: date) -> int:
    """1 for the first Sunday of a month, …; -1 (the last) for a 5th."""
    n = (day.day - 1) // 7 + 1
    return -1 if n == 5 else n


def _check_recurrence(meta: EventMeta) -> None:
    r = meta.recurrence
    assert r is not None
    if r.count is not None and r.until is not None:
        raise FieldProblem("recurrence", "either 'count' or 'until', not both",
                           f"count {r.count} and until {r.until.isoformat()}")
    if r.count is None and r.until is None:
        raise FieldProblem("recurrence", "'count' (how many times) or 'until' (the last date)",
                           "neither")
    first = _naive(meta.start).date()
    if r.until is not None and r.until < first:
        raise FieldProblem("recurrence.until", f"a date on or after 'start' ({first.isoformat()})",
                           r.until.isoformat())
    if r.frequency == "weekly" and r.by is not None:
        raise FieldProblem("recurrence.by", "nothing for a weekly series (it repeats on the weekday "
                           "of 'start')", repr(r.by))
    if r.frequency == "monthly" and r.by != "weekday" and first.day > 28:
        raise FieldProblem("recurrence", "a 'start' on day 1 to 28 for a monthly series by date "
                           "(some months have no such day), or 'by: weekday'", first.isoformat())
    days = [d.date() for d in islice(_rule(meta), MAX_OCCURRENCES + 1)]
    if len(days) > MAX_OCCURRENCES:
        raise FieldProblem("recurrence.until", f"a series of at most {MAX_OCCURRENCES} dates "
                           "(split a longer one into a file per year)", r.until.isoformat()
                           if r.until else "more")
    for d in r.exclude:
        if d not in days:
            shown = ", ".join(x.isoformat() for x in days[:3])
            raise FieldProblem("recurrence.exclude", f"dates on which the event recurs ({shown}, …)",
                               d.isoformat())
    if len(days) == len(r.exclude):
        raise FieldProblem("recurrence.exclude", "at least one date left after the exclusions",
                           f"all {len(days)} dates excluded")


@dataclass(frozen=True, eq=False)
class Occurrence:
    """One time an event happens, in the portal's time zone."""

    event: CalendarEvent
    start: datetime  # aware, portal zone (all-day: midnight of the first day)
    end: datetime    # aware, portal zone, exclusive
    first: date      # first and last day it covers, in the portal zone
    last: date

    @property
    def days(self) -> list[date]:
        return [self.first + timedelta(days=i) for i in range((self.last - self.first).days + 1)]


@dataclass(eq=False)
class CalendarEvent:
    slug: str
    source: str
    meta: EventMeta
    tz: ZoneInfo
    category_slug: str
    occurrences: list[Occurrence] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"events/{self.slug}/"

    @property
    def ics(self) -> str:
        return f"events/{self.slug}/{self.slug}.ics"

    @property
    def all_day(self) -> bool:
        return self.meta.all_day

    @property
    def status(self) -> str:
        return self.meta.status

    @property
    def active(self) -> bool:
        return self.meta.status == "scheduled"

    def upcoming(self, now: datetime) -> list[Occurrence]:
        return [o for o in self.occurrences if o.end > now]

    def next(self, now: datetime) -> Occurrence | None:
        return next(iter(self.upcoming(now)), None)


@dataclass
class Events:
    items: list[CalendarEvent]
    categories: dict[str, str]
    now: datetime

    def occurrences(self) -> list[Occurrence]:
        return sorted((o for e in self.items for o in e.occurrences),
                      key=lambda o: (o.start, o.event.slug))

    def upcoming(self) -> list[CalendarEvent]:
        """Events with an occurrence still to come, by that occurrence."""
        found = [(e.next(self.now), e) for e in self.items]
        return [e for o, e in sorted(((o, e) for o, e in found if o is not None),
                                     key=lambda p: (p[0].start, p[1].slug))]

    def past(self) -> list[CalendarEvent]:
        """Events that are over, the most recent first."""
        over = [e for e in self.items if e.next(self.now) is None]
        return sorted(over, key=lambda e: (-e.occurrences[-1].start.timestamp(), e.slug))


def expand(meta: EventMeta, tz: ZoneInfo, portal_tz: ZoneInfo) -> list[tuple[datetime, datetime, date, date]]:
    """Occurrences (start, end, first day, last day) in the portal's zone, exclusions removed."""
    if meta.recurrence is None:
        starts = [_naive(meta.start)]
    else:
        skip = set(meta.recurrence.exclude)
        starts = [d for d in _rule(meta) if d.date() not in skip]
    length = meta.duration
    out = []
    for s in starts:
        if meta.all_day:
            first, last = s.date(), (s + length).date() - timedelta(days=1)
            out.append((datetime.combine(first, time.min, portal_tz),
                        datetime.combine(last + timedelta(days=1), time.min, portal_tz), first, last))
        else:
            # Wall-clock arithmetic in the event's zone, as RFC 5545 expands a series.
            start = s.replace(tzinfo=tz).astimezone(portal_tz)
            end = (s + length).replace(tzinfo=tz).astimezone(portal_tz)
            out.append((start, end, start.date(), (end - timedelta(microseconds=1)).date()))
    return out


class EventsFeature(Feature):
    key = "events"

    def load(self, ctx: BuildContext, loader: Loader) -> Events:
        categories: dict[str, str] = ctx.options.get("event_categories") or DEFAULT_CATEGORIES
        by_name = {name: slug for slug, name in categories.items()}
        phones = [c.phone for c in ctx.community.contacts] if ctx.community else []
        context = {"categories": categories, "phones": phones}
        folder = ctx.content_dir / "events"
        items: list[CalendarEvent] = []
        files = sorted(p for p in folder.iterdir() if p.suffix in (".yml", ".yaml")) \
            if folder.is_dir() else []
        for path in files:
            if path.suffix != ".yml" or not FILE_NAME.match(path.stem) or path.stem in RESERVED:
                loader.error(path, "(file name)", "name.yml with lower-case letters, digits and '-' "
                             f"(it becomes the page address), not {', '.join(RESERVED)}",
                             repr(path.name))
                continue
            meta = loader.model(path, EventMeta, loader.yaml_file(path), context=context)
            if meta is None:
                continue
            tz = ZoneInfo(meta.timezone) if meta.timezone else ctx.tz
            event = CalendarEvent(path.stem, loader.rel(path), meta, tz, by_name[meta.category])
            event.occurrences = [Occurrence(event, *o) for o in expand(meta, tz, ctx.tz)]
            items.append(event)
        items.sort(key=lambda e: (e.occurrences[0].start, e.slug))
        return Events(items, dict(categories), ctx.now)

    def render(self, data: Events, ctx: BuildContext) -> list[OutputFile | LightPage]:
        if not data.items:
            return []
        renderer = Renderer(data, ctx)
        pages = renderer.pages()
        return pages + event_ics.render(data, ctx, renderer.html)

    def nav(self, data: Events, ctx: BuildContext) -> NavItem | None:
        if not data.items:
            return None
        return NavItem(ctx.t("events.tab"), children=(
            NavItem(ctx.t("events.upcoming"), "events/index.md"),
            NavItem(ctx.t("events.subscribe"), "events/subscribe.md"),
        ))

    def home(self, data: Events, ctx: BuildContext) -> list[HomeBlock]:
        soon = [o for o in data.occurrences() if o.end > data.now and o.event.active][:HOME_COUNT]
        if not soon:
            return []
        fmt = Formatter(ctx)
        return [HomeBlock(40, ctx.render("portal/events_home.html", occurrences=soon, fmt=fmt,
                                         page="", rel=relative))]


class Formatter:
    """Dates, times and series in words, in the interface language."""

    def __init__(self, ctx: BuildContext) -> None:
        self.t = ctx.t
        self.tz = ctx.tz
        self.weekdays = ctx.t("events.weekdays").split(",")
        self.ordinals = ctx.t("events.ordinals").split(",")

    def day(self, d: date) -> str:
        return d.strftime(self.t("format.date"))

    def short_day(self, d: date) -> str:
        return self.t("events.short_day", month=d.month, day=d.day,
                      weekday=self.weekdays[d.weekday()])

    def hm(self, dt: datetime) -> str:
        return dt.strftime("%H:%M")

    def month(self, year: int, month: int) -> str:
        return self.t("events.month_title", year=year, month=month)

    def when(self, o: Occurrence) -> str:
        """'2026年12月05日 07:00–08:00', all-day and multi-day forms."""
        if o.event.all_day:
            if o.first == o.last:
                return self.t("events.all_day_on", date=self.day(o.first))
            return f"{self.day(o.first)} – {self.day(o.last)}"
        if o.first == o.last:
            return f"{self.day(o.first)} {self.hm(o.start)}–{self.hm(o.end)}"
        return f"{self.day(o.first)} {self.hm(o.start)} – {self.day(o.last)} {self.hm(o.end)}"

    def part(self, o: Occurrence, d: date) -> str:
        """What a day cell says about an occurrence that covers day `d`."""
        if o.event.all_day:
            return self.t("events.all_day")
        if o.first == o.last:
            return f"{self.hm(o.start)}–{self.hm(o.end)}"
        if d == o.first:
            return self.t("events.from_time", time=self.hm(o.start))
        if d == o.last:
            return self.t("events.until_time", time=self.hm(o.end))
        return self.t("events.all_day")

    def local(self, e: CalendarEvent) -> str:
        """The time as given, when the event was entered in another zone."""
        if e.all_day or e.tz.key == self.tz.key:
            return ""
        start, end = _naive(e.meta.start), _naive(e.meta.end or e.meta.start)
        until = f"{end:%H:%M}" if end.date() == start.date() else f"{end:%Y-%m-%d %H:%M}"
        return f"{start:%Y-%m-%d %H:%M}–{until} ({e.tz.key})"

    def series(self, e: CalendarEvent) -> str:
        r = e.meta.recurrence
        if r is None:
            return ""
        first = _naive(e.meta.start)
        wd = self.weekdays[first.weekday()]
        if r.frequency == "weekly":
            text = self.t("events.every_week" if r.interval == 1 else "events.every_n_weeks",
                          n=r.interval, weekday=wd)
        elif r.by == "weekday":
            n = nth_weekday(first)
            text = self.t("events.every_month_weekday" if r.interval == 1 else
                          "events.every_n_months_weekday", n=r.interval, weekday=wd,
                          nth=self.ordinals[n - 1 if n > 0 else 4])
        else:
            text = self.t("events.every_month_date" if r.interval == 1 else
                          "events.every_n_months_date", n=r.interval, day=first.day)
        if r.count is not None:
            text += self.t("events.series_count", n=r.count)
        elif r.until is not None:
            text += self.t("events.series_until", date=self.day(r.until))
        if r.exclude:
            text += self.t("events.series_except",
                           dates=self.t("events.list_sep").join(self.day(d) for d in r.exclude))
        return text

    def audience(self, e: CalendarEvent) -> str:
        if not e.meta.audience:
            return self.t("events.audience_all")
        return self.t("events.list_sep").join(e.meta.audience)


def tel(phone: str) -> str:
    return "tel:" + "".join(c for c in phone if c.isdigit() or c == "+")


def google_link(e: CalendarEvent, o: Occurrence, url: str) -> str:
    """Google Calendar's 'add event' template link, for one occurrence (the .ics holds the series)."""
    if e.all_day:
        dates = f"{o.first:%Y%m%d}/{o.last + timedelta(days=1):%Y%m%d}"
    else:
        dates = f"{o.start:%Y%m%dT%H%M%S}/{o.end:%Y%m%dT%H%M%S}"
    query = {"action": "TEMPLATE", "text": e.meta.title, "dates": dates,
             "location": e.meta.location, "details": url}
    if not e.all_day:
        query["ctz"] = o.start.tzinfo.key if isinstance(o.start.tzinfo, ZoneInfo) else "UTC"
    return "https://calendar.google.com/calendar/render?" + urlencode(query)


def outlook_link(e: CalendarEvent, o: Occurrence, url: str) -> str:
    """Outlook on the web's compose link (one occurrence: it takes no series)."""
    if e.all_day:
        start, end = o.first.isoformat(), (o.last + timedelta(days=1)).isoformat()
    else:
        start, end = o.start.isoformat(), o.end.isoformat()
    query = {"path": "/calendar/action/compose", "rru": "addevent", "subject": e.meta.title,
             "startdt": start, "enddt": end, "allday": "true" if e.all_day else "false",
             "location": e.meta.location, "body": url}
    return "https://outlook.live.com/calendar/0/deeplink/compose?" + urlencode(query)


def webcal(absolute: str) -> str:
    return "webcal://" + absolute.split("://", 1)[-1]


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
            closed = reg is not None and _deadline(reg.deadline, e.tz) < self.data.now
            out.append(LightPage(
                url=e.url, title=e.meta.title,
                description=f"{self.fmt.when(shown)} · {e.meta.location}",
                search_text=f"{e.meta.title} {e.meta.category} {e.meta.location} "
                            f"{e.meta.organiser} {event_ics.plain_text(body)}",
                html=template.render(
                    e=e, page=e.url, body_html=body, shown=shown, upcoming=upcoming[:8],
                    more=max(0, len(upcoming) - 8), series=self.fmt.series(e),
                    local=self.fmt.local(e), registration_closed=closed,
                    deadline=_show_deadline(reg.deadline, self.fmt) if reg else "",
                    google=google_link(e, shown, absolute), outlook=outlook_link(e, shown, absolute),
                    month=self._month_url((shown.first.year, shown.first.month)),
                    tel=tel(e.meta.contact) if e.meta.contact else "", **self.common)))
        return out


def _deadline(value: date | datetime, tz: ZoneInfo) -> datetime:
    """A deadline given as a date lasts to the end of that day."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=tz)
    return datetime.combine(value + timedelta(days=1), time.min, tz)


def _show_deadline(value: date | datetime, fmt: Formatter) -> str:
    if isinstance(value, datetime):
        return f"{fmt.day(value)} {fmt.hm(value)}"
    return fmt.day(value)
