"""A preview's machinery (`mkdocs serve --dirty`, the README's run command).

Three things a preview needs between its rebuilds, kept in one `Preview`: hearing saves
through the operating system's file events (changes only), rebuilding by itself when the
clock next changes what is published, and removing from the site what no build makes
any more (a removed or renamed notice). The MkDocs plugin starts it, tells it after each
build what the build made, and stops it.
"""

from __future__ import annotations

import logging
import os
import tempfile
import threading
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

import watchdog.observers
from watchdog.events import (
    DirCreatedEvent,
    DirDeletedEvent,
    DirMovedEvent,
    FileClosedEvent,
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEvent,
)

from .shell import Written


class _DirtyWarning(logging.Filter):
    """Under `mkdocs serve --dirty` MkDocs warns on every build that navigation may go
    stale; the portal rebuilds what a change touches and removes what it no longer makes,
    so the warning does not apply, and with `strict: true` it would fail every build."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "A 'dirty' build is being performed" not in record.getMessage()


logging.getLogger("mkdocs.commands.build").addFilter(_DirtyWarning())


# What a save, a new, removed or renamed file is. The OS also reports files opened and
# read: a build reads every content file, and would start the next build, for ever.
CHANGES: list[type[FileSystemEvent]] = [
    FileCreatedEvent, FileModifiedEvent, FileDeletedEvent, FileMovedEvent, FileClosedEvent,
    DirCreatedEvent, DirDeletedEvent, DirMovedEvent]


class ChangesObserver(watchdog.observers.Observer):  # type: ignore[misc,valid-type]
    """The operating system's file events (inotify on Linux), changes only."""

    def schedule(self, event_handler: Any, path: Any, *, recursive: bool = False,
                 event_filter: Any = None, follow_symlink: bool = False) -> Any:
        return super().schedule(event_handler, path, recursive=recursive,
                                event_filter=event_filter or CHANGES,
                                follow_symlink=follow_symlink)


class Server(Protocol):
    """What a preview needs of MkDocs' LiveReloadServer."""

    observer: Any

    def watch(self, path: str) -> None: ...

    def unwatch(self, path: str) -> None: ...


class Preview:
    """One preview's state across its rebuilds."""

    def __init__(self) -> None:
        self.dirty = False  # `--dirty`: the site folder is kept between rebuilds
        self.written = Written()  # the generated pages as last written, to skip unchanged ones
        self.timer: threading.Timer | None = None  # the next rebuild by the clock
        self.folder: Path | None = None  # the content cache's folder (the clock's file is there)
        self.real_clock = True
        self.made: tuple[str, set[str]] = ("", set())  # the site folder and the files built in it

    def configure(self, cache_folder: Path | None, real_clock: bool) -> None:
        """Each build: where the content cache is, and whether time is the clock's."""
        self.folder, self.real_clock = cache_folder, real_clock

    @property
    def clock_file(self) -> Path:
        """A file the preview watches; touching it rebuilds the site."""
        folder = self.folder or Path(tempfile.gettempdir()) / f"portal-{os.getpid()}"
        return folder / "clock" / "tick"

    def listen(self, server: Server, watched: Iterable[str]) -> None:
        """Hear saves at once: MkDocs polls every watched file each half second (5,000
        notices are 5,000 files to look at); the OS's file events say which file changed
        when it changes. Also watch the clock's file (see wake_at)."""
        again = []
        for path in watched:
            try:
                server.unwatch(path)  # from the polling observer, before it is replaced
                again.append(path)
            except KeyError:
                pass
        server.observer = ChangesObserver()
        for path in again:
            server.watch(path)
        self.clock_file.parent.mkdir(parents=True, exist_ok=True)
        server.watch(str(self.clock_file.parent))

    def wake_at(self, when: datetime | None) -> None:
        """Time is content: on the real clock, rebuild at `when` (a second after), when a
        scheduled notice is due or one expires, by touching the clock's file."""
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        if when is None or not self.real_clock:
            return
        clock_file = self.clock_file
        clock_file.parent.mkdir(parents=True, exist_ok=True)  # watched from listen()
        delay = max(0.0, (when - datetime.now(when.tzinfo)).total_seconds()) + 1.0

        def tick() -> None:
            clock_file.write_text(when.isoformat(), encoding="utf-8")

        self.timer = threading.Timer(min(delay, 86400.0), tick)
        self.timer.daemon = True
        self.timer.start()

    def built(self, site_dir: Path, made: set[str]) -> None:
        """A build put `made` (absolute paths) in `site_dir`: what the previous build made
        and this one did not goes (a removed or renamed file's pages)."""
        if self.made[0] == str(site_dir):
            remove(site_dir, self.made[1] - made)
        self.made = (str(site_dir), made)

    def stop(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None


def remove(site_dir: Path, stale: set[str]) -> None:
    """Remove files from a site, with the folders they leave empty."""
    for name in stale:
        path = Path(name)
        try:
            path.unlink(missing_ok=True)
            for folder in path.parents:
                if folder == site_dir or site_dir not in folder.parents or any(folder.iterdir()):
                    break
                folder.rmdir()
        except OSError:  # removed meanwhile by someone else: nothing left to do
            continue
