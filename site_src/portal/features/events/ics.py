"""iCalendar (RFC 5545) files of the event calendar: all events, one per category, one per event.

Two builds of the same content give byte-identical files, so a subscribed calendar app
sees a change only when staff changed something:

- UID is the file name at the site's host: renaming a file is the only way to change it.
- DTSTAMP is never the build time. It is the event's declared `updated` time, or,
  when staff gave none, the start of the event (UTC). A build-time stamp would make
  every rebuild look like an edit to every subscriber; a hash of the data mapped to a
  time would move backwards as often as forwards. What tells apps that a newer version
  replaces the old one is SEQUENCE (the `sequence` field, plus one while the event is
  cancelled or postponed, so a cancellation wins even if staff forget to raise it).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import cache
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from ...common import html_text
from ...pipeline import BuildContext, OutputFile
from .model import CalendarEvent, Events, nth_weekday

if TYPE_CHECKING:
    from icalendar import Calendar, Event, Timezone


PRODID = "-//community-portal//events//ZH"
REFRESH = timedelta(hours=6)
UTC = ZoneInfo("UTC")
STATUS = {"scheduled": "CONFIRMED", "cancelled": "CANCELLED", "postponed": "TENTATIVE"}

def _rule(e: CalendarEvent) -> dict[str, Any] | None:
    r = e.meta.recurrence
    if r is None:
        return None
    rule: dict[str, Any] = {"freq": r.frequency.upper()}
    if r.interval != 1:
        rule["interval"] = r.interval
    if r.frequency == "monthly" and r.by == "weekday":
        start = e.meta.start
        rule["byday"] = f"{nth_weekday(start)}{['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU'][start.weekday()]}"
    if r.count is not None:
        rule["count"] = r.count
    elif r.until is not None:
        # UNTIL takes the kind of DTSTART: a date for all-day, else UTC (RFC 5545 3.3.10).
        if isinstance(e.meta.start, datetime):
            rule["until"] = datetime.combine(r.until, e.meta.start.time(), e.tz).astimezone(UTC)
        else:
            rule["until"] = r.until
    return rule


def _local(value: date | datetime, tz: ZoneInfo) -> date | datetime:
    return value.replace(tzinfo=tz) if isinstance(value, datetime) else value


def vevent(e: CalendarEvent, ctx: BuildContext, host: str, description: str) -> Event:
    from icalendar import Event, vCalAddress, vText

    m = e.meta
    url = ctx.url(e.url)
    ev = Event()
    ev.add("uid", f"{e.slug}@{host}")
    stamp = m.updated if m.updated is not None else m.start
    dtstamp = (stamp if isinstance(stamp, datetime)
               else datetime.combine(stamp, time.min)).replace(tzinfo=e.tz).astimezone(UTC)
    ev.add("dtstamp", dtstamp)
    if m.updated is not None:
        ev.add("last-modified", dtstamp)
    ev.add("sequence", m.sequence + (0 if m.status == "scheduled" else 1))
    ev.add("dtstart", _local(m.start, e.tz))
    if m.all_day:
        ev.add("dtend", (m.end or m.start) + timedelta(days=1))  # DTEND is exclusive
    else:
        assert m.end is not None  # the schema requires an end for timed events
        ev.add("dtend", _local(m.end, e.tz))
    rule = _rule(e)
    if rule is not None:
        assert m.recurrence is not None
        ev.add("rrule", rule)
        if m.recurrence.exclude:
            ev.add("exdate", [datetime.combine(d, m.start.time(), e.tz) if isinstance(m.start, datetime)
                              else d for d in m.recurrence.exclude])
    prefix = {"cancelled": ctx.t("events.cancelled"), "postponed": ctx.t("events.postponed")}
    ev.add("summary", f"[{prefix[m.status]}] {m.title}" if m.status in prefix else m.title)
    ev.add("status", STATUS[m.status])
    ev.add("location", m.location)
    ev.add("categories", [m.category])
    ev.add("class", "PUBLIC")
    ev.add("url", url, parameters={"VALUE": "URI"})
    colon = ctx.t("events.colon")
    parts = [f"{prefix[m.status]}{colon}{m.note}"] if m.status in prefix and m.note else []
    parts += [p for p in (description,) if p]
    parts.append(f"{ctx.t('events.details')}{colon}{url}")
    ev.add("description", "\n\n".join(parts))
    if ctx.community is not None:
        organizer = vCalAddress(f"mailto:{ctx.community.email}")
        organizer.params["cn"] = vText(m.organiser)
        ev.add("organizer", organizer)
    if m.contact:
        ev.add("contact", f"{m.organiser} {m.contact}")
    return ev


@cache
def _vtimezone(tzid: str, first: date, last: date) -> Timezone:
    from icalendar import Timezone

    return Timezone.from_tzid(tzid, first_date=first, last_date=last)


def _calendar(ctx: BuildContext, name: str, feed: str, events: list[Event], tzids: set[str],
              span: tuple[date, date]) -> bytes:
    from icalendar import Calendar

    cal: Calendar = Calendar()  # not Calendar.new(): that adds a random UID
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("name", name)
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", ctx.tz.key)
    cal.add("source", ctx.url(feed), parameters={"VALUE": "URI"})
    cal.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", "PT6H")  # the same as REFRESH, for older clients
    for tzid in sorted(tzids | {ctx.tz.key}):
        cal.add_component(_vtimezone(tzid, *span))
    for ev in events:
        cal.add_component(ev)
    cal.add_missing_timezones(*span)  # a safety net: every TZID used has its VTIMEZONE above
    data: bytes = cal.to_ical()
    return data


def render(data: Events, ctx: BuildContext, html: dict[str, str] | None = None) -> list[OutputFile]:
    """`html` maps event URLs to their description already rendered (else it is rendered here)."""
    host = urlsplit(ctx.site_url).hostname or "localhost"
    years = [o.first.year for e in data.items for o in e.occurrences]
    years += [o.last.year for e in data.items for o in e.occurrences]
    span = (date(min(years) - 1, 1, 1), date(max(years) + 2, 1, 1))
    events = {}
    for e in data.items:
        body = (html or {}).get(e.url)
        if body is None:
            body = ctx.markdown(e.meta.description) if e.meta.description.strip() else ""
        events[e.slug] = vevent(e, ctx, host, html_text(body, tag=""))
    tzids = {e.slug: {e.tz.key} if not e.all_day else set() for e in data.items}
    name = ctx.t("events.feed_title", name=ctx.community.name if ctx.community else "")

    def cal(title: str, path: str, chosen: list[CalendarEvent]) -> OutputFile:
        used = set().union(*(tzids[e.slug] for e in chosen)) if chosen else set()
        return OutputFile(path, _calendar(ctx, title, path, [events[e.slug] for e in chosen], used, span))

    out = [cal(name, "events/calendar.ics", data.items)]
    for slug, category in data.categories.items():
        out.append(cal(f"{name} · {category}", f"events/{slug}.ics",
                       [e for e in data.items if e.category_slug == slug]))
    out.extend(cal(e.meta.title, e.ics, [e]) for e in data.items)
    return out
