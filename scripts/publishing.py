"""Publishing the site by itself: what a publish run tells the editor, and when it runs next.

Plain functions over data; `scripts/deploy.py` runs them as steps, both in a full deploy and
in `deploy.py publish STAGE`, which `.github/workflows/site.yml` runs on every commit to
`main` and at each moment the clock changes what the site shows (README, "Published by
itself").

**The status file** is `staff/content/status.json` in the site's bucket, beside the content
editor's page, which fetches it every minute (`assets/javascripts/editor-status.js`)::

    {"time": "2026-11-23T01:02:03Z", "commit": "<sha>", "ok": false,
     "problems": ["content/notices/2026/x.md: level: expected one of ..., found 'loud'"]}

It names nobody: when the run ended, the commit it built, whether the site was published,
and when it was not, the build's own lines as the build prints them. It is never cached
(`Cache-Control: no-store`), and the site's upload leaves it alone.

**The next run** is one EventBridge Scheduler schedule per stage (`at(...)` in the portal's
time zone), which each publish run moves to the next change the build reported; it calls
the git host's `workflow_dispatch` through an EventBridge API destination (`deploy/publish.yml`).
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

STATUS_KEY = "staff/content/status.json"  # beside the editor's page, /staff/content/
STATUS_CONTENT_TYPE = "application/json; charset=utf-8"
STATUS_CACHE = "no-store"  # the editor must see a failure at its next poll, not 5 minutes on
NEXT_CHANGE_FILE = "next-change.txt"  # beside the built site, never uploaded

WORKFLOW = "site.yml"  # .github/workflows/site.yml: what the schedule dispatches
SCHEDULE_NAME = "next-build"  # in the stage's schedule group (deploy/publish.yml)
EVENT_SOURCE = "community-portal.publish"  # the rule in deploy/publish.yml matches these two
EVENT_DETAIL_TYPE = "rebuild the site"
# A run dispatched at the change itself finds the change made: the schedule fires at the
# whole minute at or after it, and never sooner than this after the run that sets it.
LEAD = timedelta(minutes=1)


@dataclass(frozen=True)
class Status:
    """What the last publish run did, as the editor shows it."""

    time: datetime
    commit: str
    ok: bool
    problems: tuple[str, ...] = ()

    def to_json(self) -> str:
        return json.dumps({"time": f"{self.time.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}",
                           "commit": self.commit, "ok": self.ok, "problems": list(self.problems)},
                          ensure_ascii=False, indent=1) + "\n"


class BuildLog(logging.Handler):
    """What a build logs at WARNING and above: printed as it comes (a handler of our own
    silences Python's last-resort one, which printed it before), and kept."""

    def __init__(self, stream: TextIO | None = None) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []
        self.stream = stream

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        self.messages.append(message)
        print(message, file=self.stream or sys.stderr, flush=True)

    @property
    def lines(self) -> list[str]:
        """The messages' lines as printed, without their indentation: a content error's
        lines read `file: field: expected …, found …`."""
        return [line.strip() for message in self.messages for line in message.splitlines()
                if line.strip()]

    @contextmanager
    def listening(self, *loggers: str) -> Iterator[BuildLog]:
        attached = [logging.getLogger(name) for name in loggers]
        for logger in attached:
            logger.addHandler(self)
        try:
            yield self
        finally:
            for logger in attached:
                logger.removeHandler(self)


def write_next_change(path: Path, when: datetime | None) -> None:
    """The build's next change as one ISO 8601 line (empty when nothing is due)."""
    path.write_text((when.isoformat() if when is not None else "") + "\n", encoding="utf-8")


def next_run(change: datetime | None, now: datetime) -> datetime | None:
    """When the next publish run should start for a change at `change`: at the change,
    rounded up to the whole minute, and not sooner than LEAD after `now`."""
    if change is None:
        return None
    at = max(change, now + LEAD)
    whole = at.replace(second=0, microsecond=0)
    return whole if whole == at else whole + timedelta(minutes=1)


def schedule_args(group: str, when: datetime | None, zone: str, bus_arn: str, role_arn: str,
                  now: datetime) -> list[str]:
    """`aws scheduler create-schedule` / `update-schedule` arguments for the stage's one
    next-build schedule: a one-time `at()` in the portal's time zone, or, with nothing due,
    disabled (a run on a commit or the daily backstop sets it again)."""
    tz = ZoneInfo(zone)
    at = when if when is not None else now + timedelta(days=365)
    target = {"Arn": bus_arn, "RoleArn": role_arn,
              "EventBridgeParameters": {"DetailType": EVENT_DETAIL_TYPE, "Source": EVENT_SOURCE},
              "Input": json.dumps({"change": at.isoformat()}),
              "RetryPolicy": {"MaximumRetryAttempts": 10, "MaximumEventAgeInSeconds": 3600}}
    return ["--name", SCHEDULE_NAME, "--group-name", group,
            "--schedule-expression", f"at({at.astimezone(tz):%Y-%m-%dT%H:%M:%S})",
            "--schedule-expression-timezone", zone,
            "--flexible-time-window", json.dumps({"Mode": "OFF"}),
            "--state", "ENABLED" if when is not None else "DISABLED",
            "--action-after-completion", "NONE",
            "--description", "Publish the site when the clock next changes it",
            "--target", json.dumps(target, sort_keys=True)]


def commit_id(root: Path) -> str:
    """The commit being published: the workflow's (GITHUB_SHA, which Forgejo Actions sets
    too), else the checkout's HEAD, else ""."""
    if os.environ.get("GITHUB_SHA"):
        return os.environ["GITHUB_SHA"]
    try:
        proc = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True,
                              text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return proc.stdout.strip() if proc.returncode == 0 else ""
