"""What the services are configured with: secrets, limits and the clock."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from portal_contracts.clock import from_local

from .errors import RateLimited
from .receipts import digest
from .store import Refused, Store, Window


@dataclass
class Settings:
    secret: bytes
    rate_limit: int = 10          # submissions per client per window
    rate_window: int = 600        # seconds
    rate_salt: str = "portal"
    miss_limit: int = 30          # unknown receipts or survey codes per client per window
    # Survey answers per address per window: one reception tablet or a carrier's shared
    # address serves many households; codes and the misses counter guard code surveys.
    survey_rate_limit: int = 60

    def window(self, scope: str, client: str, now: float, limit: int) -> Window:
        """This client's counter in the current window.

        The address is only stored as a salted hash; `scope` keeps separate counts
        ("" messages, "survey" answers, "miss" unknown codes)."""
        window = int(now // self.rate_window)
        return Window(digest(self.rate_salt + scope + client), window,
                      (window + 1) * self.rate_window, limit)

    def count_miss(self, store: Store, now: float, client: str) -> None:
        """Count a wrong code from this client; past the limit, answer 429 instead.

        Owners mistype a receipt or survey code now and then; someone guessing codes misses
        nearly every time. A failed transaction rolls back its own rate counter, so misses
        are counted on their own item (SECURITY.md gives the arithmetic).
        """
        w = self.window("miss", client, now, self.miss_limit)
        try:
            store.count(w)
        except Refused:
            raise RateLimited(max(1, int(w.ends - now))) from None

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            secret=os.environ.get("RECEIPT_SECRET", "local-development-secret").encode(),
            rate_limit=int(os.environ.get("RATE_LIMIT", "10")),
            rate_window=int(os.environ.get("RATE_WINDOW", "600")),
            rate_salt=os.environ.get("RATE_SALT", "portal"),
            survey_rate_limit=int(os.environ.get("SURVEY_RATE_LIMIT", "60")),
        )


def clock_from_env() -> Callable[[], float]:
    """The clock; PORTAL_NOW (local demos and browser tests only) stops it at one moment."""
    raw = os.environ.get("PORTAL_NOW")
    if not raw:
        return time.time
    start, real = from_local(datetime.fromisoformat(raw)), time.time()
    return lambda: start + (time.time() - real)  # runs on from there
