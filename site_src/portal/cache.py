"""The content cache: what a build made from each input, kept for the next build.

Every entry is found by a key that hashes *all* the inputs of what it holds: the portal's
own code and templates, mkdocs.yml, content/community.yml, the options, the versions of
the libraries that render (together: the build's `fingerprint`), and the entry's own
inputs (a file's bytes, the neighbours a notice page links to, the notices a list page
shows, the clock's verdict on each: scheduled, current, expired). Nothing is ever
invalidated by hand: a changed input is a different key, and an entry that was not used
by a build is dropped at its end.

It is one SQLite file (standard library) outside the published site, `.cache/portal/`
by default (`cache_dir` in mkdocs.yml, or PORTAL_CACHE_DIR); deleting it costs one slow
build and nothing else. Each value is stored with a checksum of its key and bytes; an
entry that does not match (a torn write, a disk error, an edited file) is not used, and
a file that is not a readable cache is replaced.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import pickle
import shutil
import sqlite3
import sys
import time
from collections.abc import Callable, Iterable
from importlib import metadata
from pathlib import Path
from typing import Any, TypeVar

import jinja2

log = logging.getLogger("portal")

# Bump when the layout of what is stored changes.
FORMAT = "portal-cache-1"
PACKAGE = Path(__file__).resolve().parent
# Libraries whose output ends up in the pages: a new version is a new fingerprint.
RENDERERS = ("mkdocs", "mkdocs-material", "markdown", "pymdown-extensions", "jinja2",
             "markupsafe", "pydantic", "pyyaml", "feedgen", "segno", "icalendar", "pagefind")

T = TypeVar("T")
_MISSING = object()


def digest(*parts: object) -> str:
    """A stable hash of bytes and of JSON values (strings, numbers, None, lists of them)."""
    h = hashlib.sha256()
    if not any(isinstance(part, bytes) for part in parts):  # one JSON text for them all
        h.update(json.dumps(parts, ensure_ascii=False, separators=(",", ":"),
                            default=_fields).encode("utf-8"))
        return h.hexdigest()
    for part in parts:
        if isinstance(part, bytes):
            h.update(b"b%d:" % len(part))
            h.update(part)
        else:  # JSON is unambiguous, and a type it does not know is an error, not a guess
            data = json.dumps(part, ensure_ascii=False, separators=(",", ":"),
                              default=_fields).encode("utf-8")
            h.update(b"j%d:" % len(data))
            h.update(data)
    return h.hexdigest()


def _fields(value: object) -> object:
    """Frozen dataclasses (such as a page's link to another) hash as their fields."""
    params = getattr(type(value), "__dataclass_params__", None)
    if params is not None and params.frozen:
        return [type(value).__name__, vars(value)]
    raise TypeError(f"cannot hash {type(value).__name__} into a cache key")


def folder_digest(*folders: Path) -> str:
    """The names and bytes of every file under `folders` (compiled Python left out)."""
    parts: list[object] = []
    for folder in folders:
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                parts += [path.relative_to(folder).as_posix(), path.read_bytes()]
    return digest(*parts)


def _versions() -> tuple[str, ...]:
    found = []
    for name in RENDERERS:
        try:
            found.append(f"{name}=={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            found.append(f"{name} missing")
    return (sys.version, *found)


_LOADED: tuple[str, ...] | None = None


def code_fingerprint() -> str:
    """The portal's code, templates and locale files, and the renderers' versions.

    Python modules and locale files are read once per process (a running preview keeps
    the ones it started with); templates are read on each build (Jinja reloads them)."""
    global _LOADED
    if _LOADED is None:
        loaded = [p for p in sorted(PACKAGE.rglob("*")) if p.is_file()
                  and "__pycache__" not in p.parts and "templates" not in p.parts]
        _LOADED = (*_versions(), digest(*(part for p in loaded for part in (
            p.relative_to(PACKAGE).as_posix(), p.read_bytes()))))
    return digest(FORMAT, _LOADED, folder_digest(PACKAGE / "templates"))


class ContentCache:
    """Entries by namespace and key; `folder` None keeps them in memory for one build.

    A preview (`remember`) also keeps in memory, as objects, the entries its last build
    used, so a rebuild after one saved file looks up thousands of pages without reading
    or unpickling them.
    """

    def __init__(self, folder: Path | None, remember: bool = False) -> None:
        self.folder = folder
        self.remember = remember
        self._new: dict[str, bytes] = {}
        self._used: set[str] = set()
        self._memory: dict[str, object] = {}
        self._scratch: dict[str, dict[Any, Any]] = {}
        self._db: sqlite3.Connection | None = None
        if folder is not None:
            self._db = self._open(folder)

    def _open(self, folder: Path) -> sqlite3.Connection | None:
        path = folder / "entries.sqlite"
        for attempt in range(2):
            try:
                folder.mkdir(parents=True, exist_ok=True)
                db = sqlite3.connect(path, timeout=30, isolation_level=None,
                                     check_same_thread=False)
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=NORMAL")
                db.execute("CREATE TABLE IF NOT EXISTS entries (k TEXT PRIMARY KEY, "
                           "sum TEXT NOT NULL, v BLOB NOT NULL)")
                return db
            except sqlite3.DatabaseError as exc:
                if attempt == 0:  # not a cache we can read: start a new one
                    log.warning("portal: %s is not a readable cache (%s); starting a new one",
                                path, exc)
                    for stale in folder.glob("entries.sqlite*"):
                        stale.unlink(missing_ok=True)
                    continue
                log.warning("portal: no content cache at %s (%s); building without one",
                            folder, exc)
            except OSError as exc:
                log.warning("portal: no content cache at %s (%s); building without one",
                            folder, exc)
                break
        return None

    @staticmethod
    def _check(k: str, value: bytes) -> str:
        return hashlib.sha256(k.encode("utf-8") + b"\0" + value).hexdigest()

    def get(self, ns: str, key: str) -> bytes | None:
        k = f"{ns}:{key}"
        self._used.add(k)
        value = self._new.get(k)
        if value is None and self._db is not None:
            row = self._db.execute("SELECT sum, v FROM entries WHERE k = ?", (k,)).fetchone()
            if row is not None and row[0] == self._check(k, row[1]):
                value = bytes(row[1])
        return value

    def put(self, ns: str, key: str, value: bytes) -> None:
        k = f"{ns}:{key}"
        self._used.add(k)
        self._new[k] = value

    def scratch(self, ns: str) -> dict[Any, Any]:
        """A dictionary kept in memory while this cache is open (a preview's rebuilds), for
        pieces cheaper to make than to store; its keys must hold all of their inputs."""
        found = self._scratch.setdefault(ns, {})
        if len(found) > 200_000:
            found.clear()
        return found

    def _recall(self, k: str) -> Any:
        if not self.remember:
            return _MISSING
        value = self._memory.get(k, _MISSING)
        if value is not _MISSING:
            self._used.add(k)
        return value

    def text(self, ns: str, key: str, make: Callable[[], str], keep: bool = True) -> str:
        """The cached text for `key`, or `make()` (then kept; in memory only if not `keep`)."""
        k = f"{ns}:{key}"
        value = self._recall(k)
        if value is not _MISSING:
            return str(value)
        found = self.get(ns, key) if keep else None
        if found is not None:
            text = found.decode("utf-8")
        else:
            text = make()
            if keep:
                self.put(ns, key, text.encode("utf-8"))
            else:
                self._used.add(k)
        if self.remember:
            self._memory[k] = text
        return text

    def obj(self, ns: str, key: str, make: Callable[[], T]) -> T:
        """The cached object for `key` (pickled), or `make()` (then kept)."""
        k = f"{ns}:{key}"
        remembered = self._recall(k)
        if remembered is not _MISSING:
            return remembered  # type: ignore[no-any-return]
        found = self.get(ns, key)
        value: T
        if found is not None:
            try:
                value = pickle.loads(found)
            except Exception:  # an entry of an older shape: make it again
                found = None
        if found is None:
            value = make()
            self.put(ns, key, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
        if self.remember:
            self._memory[k] = value
        return value

    def commit(self) -> None:
        """Keep this build's new entries; drop the ones no build is using any more."""
        new, self._new = self._new, {}
        used, self._used = self._used, set()
        if self.remember:
            self._memory = {k: v for k, v in self._memory.items() if k in used}
        if self._db is None:
            return
        try:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.executemany("INSERT OR REPLACE INTO entries (k, sum, v) VALUES (?, ?, ?)",
                                 ((k, self._check(k, v), v) for k, v in new.items()))
            total = self._db.execute("SELECT count(*) FROM entries").fetchone()[0]
            if total > 2 * len(used) + 1000:
                self._db.execute("CREATE TEMP TABLE IF NOT EXISTS used (k TEXT PRIMARY KEY)")
                self._db.execute("DELETE FROM used")
                self._db.executemany("INSERT OR IGNORE INTO used VALUES (?)",
                                     ((k,) for k in used))
                self._db.execute("DELETE FROM entries WHERE k NOT IN (SELECT k FROM used)")
            self._db.execute("COMMIT")
        except sqlite3.Error as exc:
            log.warning("portal: the content cache was not updated (%s)", exc)
            with contextlib.suppress(sqlite3.Error):
                self._db.execute("ROLLBACK")

    def discard(self) -> None:
        """A failed build keeps nothing (what earlier builds left stays)."""
        self._new, self._used = {}, set()

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def templates(self) -> jinja2.BytecodeCache | None:
        """Compiled Jinja templates (Jinja checks each against its template's source)."""
        if self.folder is None:
            return None
        folder = self.folder / "jinja"
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError:
            return None
        return jinja2.FileSystemBytecodeCache(str(folder))

    # The search bundle is a folder of files, kept beside the entries with a list of its
    # files and their hashes (`complete`, written last): a bundle whose files do not match
    # it is not used. Files are hard links where the file system allows (Pagefind never
    # changes a file it wrote; a new bundle is new files).

    def bundle(self, key: str) -> Path | None:
        if self.folder is None:
            return None
        path = self.folder / "pagefind" / key
        try:
            listed = (path / "complete").read_text(encoding="utf-8")
        except OSError:
            return None
        return path if listed == _manifest(path) else None

    def has_bundle(self, prefix: str) -> bool:
        """Whether a kept bundle's key starts with `prefix` (one part of its inputs)."""
        folder = None if self.folder is None else self.folder / "pagefind"
        return folder is not None and folder.is_dir() and any(
            (p / "complete").is_file() for p in folder.glob(prefix + "*"))

    def keep_bundle(self, key: str, source: Path, keep: int = 3) -> None:
        """Keep a finished bundle (a half-copied one is never used)."""
        if self.folder is None:
            return
        folder = self.folder / "pagefind"
        target = folder / key
        if (target / "complete").is_file():
            return
        tmp = folder / f".{key}.{time.time_ns()}"
        try:
            _link_tree(source, tmp)
            (tmp / "complete").write_text(_manifest(tmp), encoding="utf-8")
            shutil.rmtree(target, ignore_errors=True)
            tmp.rename(target)
        except OSError as exc:
            log.warning("portal: the search index was not cached (%s)", exc)
            shutil.rmtree(tmp, ignore_errors=True)
            return
        olds = sorted((p for p in folder.iterdir() if p != target),
                      key=lambda p: p.stat().st_mtime, reverse=True)
        for old in olds[keep - 1:]:
            shutil.rmtree(old, ignore_errors=True)


def _manifest(folder: Path) -> str:
    lines = []
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.name != "complete":
            lines.append(f"{path.relative_to(folder).as_posix()} "
                         f"{hashlib.sha256(path.read_bytes()).hexdigest()}\n")
    return "".join(lines)


def _link(src: str, dst: str) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def _link_tree(source: Path, target: Path) -> None:
    shutil.copytree(source, target, copy_function=_link,
                    ignore=shutil.ignore_patterns("complete"))


def copy_bundle(source: Path, target: Path) -> None:
    """A cached search bundle into the site (without the cache's list of its files)."""
    if target.exists():
        shutil.rmtree(target)
    _link_tree(source, target)


def documents_digest(documents: Iterable[tuple[str, str]]) -> str:
    return digest(*(part for document in sorted(documents) for part in document))
