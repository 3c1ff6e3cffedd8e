"""Helpers the features share: local times, rendered HTML as text, printed QR codes."""

from __future__ import annotations

import html as html_lib
import re
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

_TAGS = re.compile(r"<[^>]+>")
_BLANKS = re.compile(r"\n{3,}")


def naive(value: date | datetime) -> datetime:
    """A date as its midnight, a date-time without its zone (both in local time)."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    return datetime.combine(value, time.min)


def aware(value: date | datetime, tz: ZoneInfo) -> datetime:
    """A date or local date-time staff wrote, in the portal's time zone."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(tz)
    return naive(value).replace(tzinfo=tz)


def html_text(html: str, tag: str = " ") -> str:
    """Rendered Markdown as plain text: each tag becomes `tag` (a space keeps words apart
    in search entries; calendar descriptions drop tags), runs of blank lines become one."""
    return _BLANKS.sub("\n\n", html_lib.unescape(_TAGS.sub(tag, html))).strip()


def qr_svg(url: str) -> str:
    """An inline SVG QR code whose payload is `url` (printed notices, survey code sheets)."""
    import segno

    # A fixed mask: choosing the best of eight costs 4x and any mask scans from paper.
    svg: str = segno.make(url, error="m", micro=False, mask=0).svg_inline(
        scale=3, border=2, title=url, svgclass="portal-qr__code", lineclass=None)
    return svg
