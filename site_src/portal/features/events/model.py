"""Events at the bottom: the file schema, recurrence, occurrences, the loader."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from itertools import islice
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

from ...common import naive
from ...content import Loader
from ...errors import FieldProblem
from ...pipeline import BuildContext
from ...types import Strict, Text, When, one_of, public_number, show_when

FILE_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")
# Folders the calendar itself uses under events/; an event file cannot take these names.
RESERVED = ("archive", "category", "index", "month", "subscribe")
MAX_OCCURRENCES = 400

Status = Literal["scheduled", "cancelled", "postponed"]


class Registration(Strict):
    """Registration is required when this block is present; absent means 'just come'."""

    deadline: When
    how: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
    places: int | None = Field(default=None, ge=1)


class Recurrence(Strict):
    """A weekly or monthly series. COUNT counts excluded dates too, as RFC 5545 does."""

    frequency: Literal["weekly", "monthly"]
    interval: int = Field(default=1, ge=1, le=12)
    # Monthly only: "date" repeats on the day of the month of `start` (the 10th),
    # "weekday" on the same weekday of the month (the first Sunday).
    by: Literal["date", "weekday"] | None = None
    count: int | None = Field(default=None, ge=1, le=MAX_OCCURRENCES)
    until: date | None = None
    exclude: list[date] = Field(default_factory=list)


class EventMeta(Strict):
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
        return one_of(value, list((info.context or {})["categories"].values()))

    @field_validator("contact")
    @classmethod
    def _public_phone(cls, value: str | None, info: ValidationInfo) -> str | None:
        return None if value is None else public_number(value, (info.context or {})["phones"])

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
        if reg is not None and naive(reg.deadline) > naive(start):
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
        return naive(self.end) - naive(self.start) + (timedelta(days=1) if self.all_day else timedelta())


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise FieldProblem("", "an IANA time zone such as 'Asia/Shanghai' or 'Europe/London'",
                           repr(name)) from None


def _rule(meta: EventMeta) -> Any:
    """The dateutil rule of a series, in the wall-clock time of the event's zone."""
    from dateutil import rrule

    r = meta.recurrence
    assert r is not None  # only called for series
    first = naive(meta.start)
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
    first = naive(meta.start).date()
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
        starts = [naive(meta.start)]
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


def load(ctx: BuildContext, loader: Loader) -> Events:
    """Every event file in content/events/, checked, with its occurrences expanded."""
    categories = ctx.options.event_categories
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
