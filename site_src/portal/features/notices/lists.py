"""Which notices a list's pages hold, and how the pages link to each other.

A list (all current notices, one category's, one building's) has its first page at its
own address (`notices/`) and older pages numbered **from the oldest** (`notices/page/1/`
holds the oldest 20). So a new notice changes the first page only: every older page holds
the same notices and the same links as before, and is not rendered again. (Numbered from
the newest, as lists usually are, a new notice moved every entry of every page one place.)

- Older pages hold the list's current notices by date, exactly `per_page` each, urgent and
  pinned ones included at their date; each page shows its notices newest first.
- The first page holds the rest: the newest `per_page` to `2 * per_page - 1` notices (so
  that no older page is short), with urgent, then pinned, then newest first, as the list
  always was; urgent and pinned notices from older pages head it too.
- The pagination shows the first page (最新), a window of two numbers either side of this
  page and page 1 (the oldest), with 上一页 (newer) and 下一页 (older). A page's links
  change only when a page appears or goes within two of it.

What still moves pages: a notice leaving the list (it expires, is removed, or changes
category or buildings) or entering it anywhere but at the newest end shifts the pages
from its date on; expiring notices are mostly recent ones, on the first page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from .model import Notice, ordered


class Step(NamedTuple):
    """One place in the pagination: the first page (`number` None) or an older page.
    (A tuple: it goes into each list page's cache key, and JSON writes tuples fastest.)"""

    number: int | None
    url: str
    current: bool = False


@dataclass(frozen=True)
class ListPage:
    url: str
    number: int | None  # None: the first page, at the list's own address; else from the oldest
    notices: tuple[Notice, ...]
    steps: tuple[Step | None, ...]  # the pagination (None: numbers left out); () for one page
    newer: str | None  # the address of 上一页
    older: str | None  # the address of 下一页


def paginate(base: str, notices: list[Notice], per_page: int) -> list[ListPage]:
    """The pages of the list at `base` (e.g. 'notices/') of these current notices, which
    come newest first (as `Notices.items` holds them)."""
    oldest_first = notices[::-1]
    older = max(0, len(notices) - per_page) // per_page  # how many older pages
    kept = oldest_first[:older * per_page]
    first = ordered([n for n in kept if n.meta.level == "urgent" or n.meta.pinned]
                    + oldest_first[older * per_page:])
    # Places from the newest: 1 is the first page, 1 + k is older page `older + 1 - k`.
    places = older + 1
    numbers: list[int | None] = [None, None, *range(older, 0, -1)]  # by place (0 unused)
    urls = ["", base, *(f"{base}page/{k}/" for k in range(older, 0, -1))]
    out = []
    for place in range(1, places + 1):
        steps = tuple(None if p is None else Step(numbers[p], urls[p], p == place)
                      for p in window(place, places)) if places > 1 else ()
        start = (older - place + 1) * per_page  # of this older page in oldest_first
        out.append(ListPage(
            url=urls[place], number=numbers[place],
            notices=tuple(first) if place == 1
            else tuple(oldest_first[start:start + per_page][::-1]),
            steps=steps,
            newer=urls[place - 1] if place > 1 else None,
            older=urls[place + 1] if place < places else None))
    return out


def window(number: int, pages: int, around: int = 2) -> list[int | None]:
    """The places a page links to: the first, the last and two either side of this one,
    None where places are left out (a hundred links would fill a phone's screen)."""
    shown = sorted({1, pages, *range(max(1, number - around), min(pages, number + around) + 1)})
    out: list[int | None] = []
    for k in shown:
        if out and k - (out[-1] or 0) > 1:
            out.append(None)
        out.append(k)
    return out
