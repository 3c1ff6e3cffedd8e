"""Site search: Pagefind's chunked static index, built over the finished site.

Pagefind (the extended binary, which segments Chinese) indexes what is inside
`data-pagefind-body` (the page content, never the header, navigation or footer) and
writes `pagefind/`: a small entry file, the WebAssembly search, and the index in gzipped
chunks the browser fetches only for the words it looks up. It reads the generated pages
from small documents without the theme (parsing thousands of full pages, their
navigation included, took twice as long), while MkDocs still renders the other pages,
and those pages as built. The extended binary comes from the pagefind-bin-extended wheel,
which the pagefind package's service prefers.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import os
import queue
import shutil
import sys
import tempfile
import threading
from collections.abc import Iterable
from pathlib import Path

BUNDLE = "pagefind"
# Pagefind's own interfaces; the portal's search box uses the JS API (pagefind.js) only.
UNUSED = ("pagefind-ui.js", "pagefind-ui.css", "pagefind-modular-ui.js", "pagefind-modular-ui.css",
          "pagefind-component-ui.js", "pagefind-component-ui.css", "pagefind-highlight.js")


class _Written(Exception):
    """Leaves Pagefind's block once the bundle is complete (so it is not written twice)."""


async def _settled(folder: Path, timeout: float = 10.0) -> None:
    """Until no file under `folder` changes size between two looks 50 ms apart."""
    def sizes() -> dict[str, int]:
        return {str(p): p.stat().st_size for p in folder.rglob("*") if p.is_file()}

    before, waited = sizes(), 0.0
    while waited < timeout:
        await asyncio.sleep(0.05)
        waited += 0.05
        now = sizes()
        if now == before:
            return
        before = now


def complete(folder: Path) -> bool:
    """Whether every compressed file of a bundle decompresses to its end and its entry
    file is whole JSON (a cut file fails one or the other)."""
    try:
        json.loads((folder / "pagefind-entry.json").read_text(encoding="utf-8"))
        for path in folder.rglob("*"):
            if path.is_file():
                data = path.read_bytes()
                if data[:2] == b"\x1f\x8b":
                    gzip.decompress(data)
    except (OSError, ValueError, EOFError, gzip.BadGzipFile):
        return False
    return True


def searchable(html: str) -> bool:
    """Whether Pagefind would index anything of a rendered page."""
    return "data-pagefind-body" in html


class SearchIndexFailed(RuntimeError):
    """Pagefind could not index the site or write its bundle."""


class Indexer:
    """Pagefind's indexing service in a thread, started as soon as the generated pages exist.

    It reads the generated pages (as small documents without the theme, see
    shell.search_document) while MkDocs renders the rest of the site, on another core;
    the pages MkDocs renders are handed over by `add_page`; after `close` it adds those
    and writes `site_dir/pagefind/` while the portal writes the generated pages' files.
    """

    def __init__(self, out: Path, documents: Iterable[tuple[str, str]], nice: int = 0) -> None:
        self.out = out
        self.nice = nice
        self._tmp = tempfile.TemporaryDirectory(prefix="portal-search-")
        self.docs = Path(self._tmp.name)
        self._documents = list(documents)
        self._rest: queue.Queue[Path | None] = queue.Queue()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="pagefind", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        if self.nice and sys.platform == "linux":
            # Per thread on Linux, and inherited by the Pagefind process this thread starts:
            # a preview's indexing yields the processor to the rebuild staff wait for.
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), self.nice)
        try:
            asyncio.run(self._index())
        except BaseException as exc:  # reported by wait()
            self._error = exc

    async def _index(self) -> None:
        from pagefind.index import IndexConfig, PagefindIndex

        generated = self.docs / "generated"
        for url, html in self._documents:
            path = generated / url / "index.html"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(html, encoding="utf-8")
        try:
            async with PagefindIndex(IndexConfig(output_path=str(self.out))) as index:
                if self._documents:
                    await index.add_directory(str(generated))
                while True:  # polled: a blocking wait would keep the interpreter from exiting
                    try:
                        rest = self._rest.get_nowait()
                        break
                    except queue.Empty:
                        await asyncio.sleep(0.02)
                if rest is None:  # the build failed: write nothing
                    raise RuntimeError("build stopped")
                await index.add_directory(str(rest))
                # Pagefind answers "written" while its last files may still be being
                # written, and leaving the block stops it: a wasm file cut at 64 KiB was
                # seen. So write here, wait until the files stop growing, then leave
                # without the block writing them again.
                await index.write_files()
                await _settled(self.out)
                if not complete(self.out):
                    raise RuntimeError("Pagefind left an incomplete file")
                raise _Written
        except _Written:
            pass

    def add_page(self, dest: str, html: str) -> None:
        """A page MkDocs rendered (`dest`: its file in the site), if it has searchable content."""
        if searchable(html):
            path = self.docs / "pages" / dest
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(html, encoding="utf-8")

    def cancel(self) -> None:
        self._rest.put(None)
        self._thread.join()
        self._tmp.cleanup()

    def close(self) -> None:
        """No more pages: Pagefind adds the rendered pages and writes the bundle (in the
        background: the caller may go on writing other files meanwhile)."""
        rest = self.docs / "pages"
        rest.mkdir(exist_ok=True)
        if self.out.exists():
            shutil.rmtree(self.out)
        self._rest.put(rest)

    def wait(self) -> None:
        """Until the bundle is written; raise SearchIndexFailed if it could not be."""
        try:
            self._thread.join()
        finally:
            self._tmp.cleanup()
        if self._error is not None or not (self.out / "pagefind.js").is_file():
            raise SearchIndexFailed(f"Pagefind could not index the site into {self.out}: "
                                    f"{self._error!r}")
        for name in UNUSED:
            (self.out / name).unlink(missing_ok=True)
