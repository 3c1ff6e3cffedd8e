"""Events in words and links: dates, times and series; calendar links; deadlines."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from ...common import naive
from ...pipeline import BuildContext
from .model import CalendarEvent, Occurrence, nth_weekday


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
        start, end = naive(e.meta.start), naive(e.meta.end or e.meta.start)
        until = f"{end:%H:%M}" if end.date() == start.date() else f"{end:%Y-%m-%d %H:%M}"
        return f"{start:%Y-%m-%d %H:%M}–{until} ({e.tz.key})"

    def series(self, e: CalendarEvent) -> str:
        r = e.meta.recurrence
        if r is None:
            return ""
        first = naive(e.meta.start)
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


def deadline(value: date | datetime, tz: ZoneInfo) -> datetime:
    """A deadline given as a date lasts to the end of that day."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=tz)
    return datetime.combine(value + timedelta(days=1), time.min, tz)


def show_deadline(value: date | datetime, fmt: Formatter) -> str:
    if isinstance(value, datetime):
        return f"{fmt.day(value)} {fmt.hm(value)}"
    return fmt.day(value)
