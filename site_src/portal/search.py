"""Site search: Pagefind's chunked static index, built over the finished site.

`SiteSearch` is the search bundle's whole life for a site across builds: it indexes while
MkDocs renders, keeps the bundle in the content cache and puts a kept one back, swaps a
preview's new bundle in from a background worker, and checks what it puts in. The MkDocs
plugin only tells it what a build made.

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
import logging
import os
import queue
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from markupsafe import escape

from .cache import ContentCache, code_fingerprint, copy_bundle, digest, documents_digest
from .pipeline import LightPage

log = logging.getLogger("portal")

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


def section(url: str) -> str:
    """The site section a page belongs to: the first folder of its address ('notices')."""
    return url.strip("/").split("/")[0]


def marked(page: LightPage) -> str:
    """The page's HTML, marked for Pagefind (which indexes only data-pagefind-body) if searchable."""
    if page.search_text is None:
        return page.html
    return (f'<div data-pagefind-body data-pagefind-filter="section:{section(page.url)}">'
            f"{page.html}</div>")


def search_document(page: LightPage, language: str) -> str:
    """What Pagefind reads of a generated page: its title and marked content, without the
    theme around it (the same text and title as the full page, at a tenth of the size)."""
    title = "" if "<h1" in page.html else f"<h1>{escape(page.title)}</h1>"
    return (f'<!doctype html><html lang="{escape(language)}"><head><meta charset="utf-8">'
            f"<title>{escape(page.title)}</title></head><body>{title}{marked(page)}</body></html>")


class SearchIndexFailed(RuntimeError):
    """Pagefind could not index the site or write its bundle."""


class Indexer:
    """Pagefind's indexing service in a thread, started as soon as the generated pages exist.

    It reads the generated pages (as small documents without the theme, see
    search_document) while MkDocs renders the rest of the site, on another core;
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


Documents = list[tuple[str, str]]  # (address or file in the site, HTML) for Pagefind


class SiteSearch:
    """The search bundle of one site across builds (one per plugin, so per preview).

    A build says which generated pages it has (`start`), hands over each page MkDocs
    rendered (`add_page`), says when there are no more (`seal`: Pagefind writes while the
    caller writes the generated pages) and when the pages are in the site (`publish`).
    A bundle is found in the content cache by the hash of the documents it indexes; a
    kept one is put in instead of indexing again. `mkdocs build` waits for the bundle; a
    preview shows the saved page at once and its worker swaps the new bundle in later.
    """

    def __init__(self) -> None:
        self.indexer: Indexer | None = None  # indexing the generated pages while MkDocs renders
        self.cache: ContentCache | None = None
        self.site_dir = Path()
        self.background = False
        self.pages: list[LightPage] = []
        self.language = ""
        self.light_key = ""  # the generated pages' part of the bundle's key
        self.page_docs: Documents = []  # MkDocs-rendered pages Pagefind reads
        self.key = ""  # this build's bundle
        self.cached: Path | None = None  # ... as kept in the cache, if it is
        self.in_site = ("", "")  # the bundle in the site: (site folder, key)
        self.swap = threading.Lock()  # one bundle moves into the site at a time
        self.worker: SearchWorker | None = None  # a preview's background indexing

    def start(self, cache: ContentCache, site_dir: Path, pages: list[LightPage], language: str,
              background: bool) -> None:
        """A build begins with these generated pages; `background`: a preview's rebuild."""
        self.cancel()
        self.cache, self.site_dir, self.background = cache, site_dir, background
        self.pages, self.language, self.page_docs = pages, language, []
        # What Pagefind would read of the generated pages, as a hash: of the document
        # itself, or of what it is made of when the page's content has a cache key.
        self.light_key = digest(code_fingerprint(), language, sorted(
            (p.url, p.title, p.key) if p.key else (p.url, search_document(p, language))
            for p in pages if p.search_text is not None))
        if not background and not cache.has_bundle(self.light_key):
            # Search indexes the generated pages while MkDocs renders the others (unless a
            # bundle for them is in the cache: whether it fits the rendered pages as well
            # is known at the end).
            self.indexer = Indexer(site_dir / BUNDLE, self.light_docs())

    def light_docs(self) -> Documents:
        return [(p.url, search_document(p, self.language)) for p in self.pages
                if p.search_text is not None]

    def add_page(self, dest: str, html: str) -> None:
        """A page MkDocs rendered (`dest`: its file in the site)."""
        if searchable(html):
            self.page_docs.append((dest, html))
            if self.indexer is not None:
                self.indexer.add_page(dest, html)

    def seal(self) -> None:
        """No more pages: the bundle this build needs is known. Pagefind writes it (unless
        it is kept) while the caller writes the generated pages."""
        assert self.cache is not None, "start() comes first"
        self.key = f"{self.light_key}-{documents_digest(self.page_docs)}"
        self.cached = self.cache.bundle(self.key)
        if self.indexer is not None:
            if self.cached is not None:
                self.cancel()
            else:
                self.indexer.close()

    def publish(self) -> None:
        """Put this build's bundle in the site: the kept one, the one just indexed, or
        (a preview) the one its worker will index. SearchIndexFailed if Pagefind failed."""
        assert self.cache is not None, "start() comes first"
        indexer, self.indexer = self.indexer, None
        try:
            if self.cached is not None and self._use_kept(self.cached):
                return
            if indexer is None and not self.background:
                indexer = self._index_now()
            if indexer is not None:
                indexer.wait()
                self.cache.keep_bundle(self.key, self.site_dir / BUNDLE)
                self.in_site = (str(self.site_dir), self.key)
                return
            # A preview shows the saved page at once; search catches up in the background
            # (the previous bundle answers meanwhile) and is kept for the next build.
            if self.worker is None or self.worker.cache is not self.cache:
                if self.worker is not None:
                    self.worker.stop()
                self.worker = SearchWorker(self.cache, self.swap)
            page_docs = list(self.page_docs)
            self.in_site = ("", "")  # the worker puts its bundle in: which is unknown here
            self.worker.want(self.site_dir, self.key, lambda: (self.light_docs(), page_docs))
        finally:
            self.page_docs = []

    def _use_kept(self, cached: Path) -> bool:
        """Put the kept bundle in the site (unless it is there); False if it went."""
        site_dir = self.site_dir
        with self.swap:
            try:
                if (self.in_site != (str(site_dir), self.key)
                        or not (site_dir / BUNDLE / "pagefind.js").is_file()):
                    copy_bundle(cached, site_dir / BUNDLE)
            except OSError as exc:  # pruned meanwhile by a preview's worker: index instead
                log.info("portal: the kept search index could not be used (%s)", exc)
                self.in_site = ("", "")
                return False
            self.in_site = (str(site_dir), self.key)
            if self.worker is not None:
                self.worker.want(site_dir, self.key, None)  # nothing left to index
            return True

    def _index_now(self) -> Indexer:
        """Pagefind over every searchable page of this build, into the site."""
        indexer = Indexer(self.site_dir / BUNDLE, self.light_docs())
        for dest, html in self.page_docs:
            indexer.add_page(dest, html)
        indexer.close()
        return indexer

    def cancel(self) -> None:
        """The build stopped: write nothing."""
        if self.indexer is not None:
            self.indexer.cancel()
            self.indexer = None

    def wait(self) -> None:
        """Until a preview's worker has nothing left to index."""
        if self.worker is not None:
            self.worker.wait()

    def stop(self) -> None:
        self.cancel()
        if self.worker is not None:
            self.worker.stop()
            self.worker = None


class SearchWorker:
    """A preview's search index, made by one thread, one Pagefind run at a time.

    Each rebuild says which bundle the site needs. The worker waits for a quiet second
    (saves in a row index once), indexes the newest request at a lower priority than
    the rebuilds, and moves the bundle into the site only if it is still the one wanted;
    a request that came meanwhile is indexed next. So saves never pile up Pagefind runs.
    """

    QUIET = 1.0
    Job = tuple[Documents, Documents]

    def __init__(self, cache: ContentCache, swap: threading.Lock) -> None:
        self.cache = cache
        self.swap = swap
        self.cond = threading.Condition()
        self.wanted: tuple[Path, str] | None = None
        self.job: tuple[Path, str, SearchWorker.Job] | None = None
        self.busy = False
        self.stopped = False
        threading.Thread(target=self._loop, name="portal-search", daemon=True).start()

    def want(self, site_dir: Path, key: str, job: Callable[[], Job] | None) -> None:
        """The site needs bundle `key`: index what `job` gives for it, or None when the
        bundle is there."""
        with self.cond:
            if self.wanted == (site_dir, key) and job is not None and (self.busy or self.job):
                return  # already on its way
            self.wanted = (site_dir, key)
            self.job = None if job is None else (site_dir, key, job())
            self.cond.notify_all()

    def _loop(self) -> None:
        while True:
            with self.cond:
                while self.job is None and not self.stopped:
                    self.cond.wait()
                if self.stopped:
                    return
                while True:  # until no newer request came for a quiet second
                    job = self.job
                    self.cond.wait(self.QUIET)
                    if self.job is job or self.stopped:
                        break
                if self.job is None or self.stopped:
                    continue
                site_dir, key, (light_docs, page_docs) = self.job
                self.job, self.busy = None, True
            try:
                self._index(site_dir, key, light_docs, page_docs)
            except Exception as exc:  # the preview goes on; the next save tries again
                log.warning("portal: search was not updated: %r", exc)
            finally:
                with self.cond:
                    self.busy = False
                    self.cond.notify_all()

    def _index(self, site_dir: Path, key: str, light_docs: Documents,
               page_docs: Documents) -> None:
        out = site_dir.parent / f".{site_dir.name}-search-{time.time_ns()}"
        indexer = Indexer(out, light_docs, nice=10)
        for dest, html in page_docs:
            indexer.add_page(dest, html)
        indexer.close()
        try:
            indexer.wait()
        except SearchIndexFailed as exc:
            log.warning("portal: search was not updated: %s", exc)
            shutil.rmtree(out, ignore_errors=True)
            return
        old = out.with_name(out.name + "-old")
        with self.swap:
            if self.wanted != (site_dir, key):  # the site needs another one by now
                shutil.rmtree(out, ignore_errors=True)
                return
            self.cache.keep_bundle(key, out)
            target = site_dir / BUNDLE
            if target.exists():
                target.rename(old)
            out.rename(target)
        shutil.rmtree(old, ignore_errors=True)
        log.info("portal: search updated")

    def wait(self) -> None:
        """Until no request is waiting or being indexed."""
        with self.cond:
            while self.job is not None or self.busy:
                self.cond.wait()

    def stop(self) -> None:
        with self.cond:
            self.stopped = True
            self.cond.notify_all()
