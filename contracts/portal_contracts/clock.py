"""Beijing time for owners and staff: Asia/Shanghai has no daylight saving, so it is UTC+8."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

TZ_OFFSET = timedelta(hours=8)


def local_month(ts: float) -> str:
    """yyyy-mm of a moment in Beijing time (cases are counted in the month the owner lived)."""
    return (datetime.fromtimestamp(ts, UTC) + TZ_OFFSET).strftime("%Y-%m")


def local_day(ts: float) -> date:
    """The Beijing calendar day of a moment."""
    return (datetime.fromtimestamp(ts, UTC) + TZ_OFFSET).date()


def local_time(stamp: str) -> str:
    """'2026-11-23T14:00:00Z' → '2026-11-23 22:00' (Beijing time), for staff screens."""
    moment = datetime.fromisoformat(stamp.replace("Z", "+00:00")) + TZ_OFFSET
    return moment.strftime("%Y-%m-%d %H:%M")


def iso(ts: float) -> str:
    """A moment as the API stores it: '2026-11-23T14:00:00Z'."""
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def from_local(moment: datetime) -> float:
    """A naive Beijing date-time (or an aware one) as a timestamp."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC) - TZ_OFFSET
    return moment.timestamp()


def hours_between(start: str, end: str) -> float:
    a = datetime.fromisoformat(start.replace("Z", "+00:00"))
    b = datetime.fromisoformat(end.replace("Z", "+00:00"))
    return (b - a).total_seconds() / 3600
