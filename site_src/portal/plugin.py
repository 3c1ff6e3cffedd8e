"""Thin MkDocs adapter: runs the content pipeline from the build hooks."""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import jinja2
import watchdog.observers
from markupsafe import Markup
from mkdocs.config import config_options as c
from mkdocs.config.base import Config
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.livereload import LiveReloadServer
from mkdocs.plugins import BasePlugin, event_priority
from mkdocs.structure.files import File, Files
from mkdocs.structure.nav import Navigation
from mkdocs.structure.pages import Page
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

from .cache import ContentCache, code_fingerprint, copy_bundle, digest, documents_digest, folder_digest
from .errors import ContentInvalid
from .features import all_features
from .i18n import Translator
from .options import DEFAULTS, Options
from .pipeline import BuildContext, LightPage, OutputFile, Portal, load, markdown_converter, template_env
from .search import BUNDLE, Indexer, SearchIndexFailed, searchable
from .shell import Shells, Written, add_to_sitemap, search_document, write_pages

# Not under "mkdocs.": with `strict: true` MkDocs turns its own warnings into a failed
# build, and a preview with a broken file must keep serving.
log = logging.getLogger("portal")


class _DirtyWarning(logging.Filter):
    """Under the README's run command (`mkdocs serve --dirty`) MkDocs warns on every build
    that navigation may go stale; the portal rebuilds what a change touches and removes
    what it no longer makes (see PortalPlugin), so the warning does not apply, and with
    `strict: true` it would fail every preview build."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "A 'dirty' build is being performed" not in record.getMessage()


logging.getLogger("mkdocs.commands.build").addFilter(_DirtyWarning())


class PortalConfig(Config):
    """Options of the `portal` plugin in mkdocs.yml: their meaning and defaults are
    portal.options.Options; these only tell MkDocs their types."""

    content_dir = c.Type(str, default=DEFAULTS.content_dir)
    now = c.Optional(c.Type(str))
    timezone = c.Type(str, default=DEFAULTS.timezone)
    notice_categories = c.Optional(c.Type(dict))
    notices_per_page = c.Type(int, default=DEFAULTS.notices_per_page)
    event_categories = c.Optional(c.Type(dict))
    home_latest_notices = c.Type(int, default=DEFAULTS.home_latest_notices)
    qr = c.Type(bool, default=DEFAULTS.qr)
    api_url = c.Type(str, default=DEFAULTS.api_url)
    staff_api_url = c.Type(str, default=DEFAULTS.staff_api_url)
    oidc_url = c.Type(str, default=DEFAULTS.oidc_url)
    oidc_client_id = c.Type(str, default=DEFAULTS.oidc_client_id)
    cache_dir = c.Type(str, default=DEFAULTS.cache_dir)
    editor_assets = c.Type(str, default=DEFAULTS.editor_assets)
    editor_backend = c.Choice(("local", "proxy"), default=DEFAULTS.editor_backend)
    editor_local_url = c.Type(str, default=DEFAULTS.editor_local_url)
    editor_proxy_url = c.Type(str, default=DEFAULTS.editor_proxy_url)
    editor_repo = c.Type(str, default=DEFAULTS.editor_repo)
    editor_branch = c.Type(str, default=DEFAULTS.editor_branch)


def yamlstr(value: object) -> Markup:
    """A YAML-safe scalar for generated front matter (JSON strings are YAML)."""
    return Markup(json.dumps(str(value), ensure_ascii=False))


class PortalPlugin(BasePlugin[PortalConfig]):
    supports_multiple_instances = False

    def __init__(self) -> None:
        self.portal: Portal | None = None
        self.light: list[LightPage] = []
        self.nav: Navigation | None = None
        self.env: jinja2.Environment | None = None
        self.files: Files | None = None
        self.indexer: Indexer | None = None
        self.command = "build"
        self.dirty = False
        # Kept across the rebuilds of a preview:
        self.cache: ContentCache | None = None
        self.written = Written()  # the generated pages as last written, to skip unchanged ones
        self.page_docs: list[tuple[str, str]] = []  # MkDocs-rendered pages Pagefind reads
        self.timer: threading.Timer | None = None  # a preview's next rebuild by the clock
        self.real_clock = True
        self.search_key = ("", "")  # the search bundle in the site: (site folder, key)
        self.light_key = ""  # the generated pages' part of it
        self.background: _SearchWorker | None = None  # a preview's search indexing
        self.made: tuple[str, set[str]] = ("", set())  # a preview's site folder and its files

    def on_startup(self, *, command: str, dirty: bool) -> None:
        # Defining this keeps one plugin instance across the rebuilds of `mkdocs serve`.
        self.command = command
        self.dirty = dirty

    @property
    def preview(self) -> bool:
        return self.command == "serve"

    def on_shutdown(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
        if self.background is not None:
            self.background.stop()
        if self.cache is not None:
            self.cache.close()
            self.cache = None

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        root = Path(config.config_file_path or ".").resolve().parent
        options = Options.from_config(dict(self.config))
        if options.editor_assets and not Path(options.editor_assets).is_absolute():
            options = dataclasses.replace(options, editor_assets=str(root / options.editor_assets))
        try:
            tz = ZoneInfo(options.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise PluginError(
                f"mkdocs.yml: plugins.portal.timezone: expected an IANA time zone such as "
                f"'Asia/Shanghai', found {options.timezone!r}"
            ) from exc
        now = self._now(options.now, tz)
        self.real_clock = not (options.now or os.environ.get("PORTAL_NOW"))
        overrides = config.theme.custom_dir
        env = template_env(jinja2.FileSystemLoader(overrides) if overrides else None)
        env.filters["yamlstr"] = yamlstr
        content_dir = root / options.content_dir
        cache = self._cache(root, options)
        env.bytecode_cache = cache.templates()
        convert = markdown_converter(list(config.markdown_extensions), dict(config.mdx_configs))
        # The inputs every page shares. The clock is not one of them: what it decides (a
        # notice scheduled, current or expired) is in the digests of the content it decides.
        fingerprint = digest(
            code_fingerprint(), folder_digest(Path(overrides)) if overrides else "",
            _read(Path(config.config_file_path)) if config.config_file_path else b"",
            _read(content_dir / "community.yml"), repr(dataclasses.replace(options, now=None)),
            config.site_url or "", str(config.theme.get("language") or "zh"))

        def markdown(text: str) -> str:
            return cache.text("markdown", digest(fingerprint, text), lambda: convert(text))

        ctx = BuildContext(
            content_dir=content_dir,
            site_url=config.site_url or "http://127.0.0.1:8000/",
            now=now,
            tz=tz,
            t=Translator(str(config.theme.get("language") or "zh")),
            env=env,
            markdown=markdown,
            options=options,  # the deploy (and the local stack) set the API's address per stage
            cache=cache,
            fingerprint=fingerprint,
        )
        try:
            # A preview keeps serving while staff fix a file: the broken file's page shows
            # its problems. `mkdocs build` (and the deploy) still refuse broken content.
            self.portal = load(ctx, all_features(), strict=self.command != "serve")
        except ContentInvalid as exc:
            raise PluginError(exc.report()) from exc
        if self.portal.problems:
            log.warning(ContentInvalid(self.portal.problems).report())
        if not config.nav:
            config.nav = [item.to_mkdocs() for item in self.portal.nav()]
        community = self.portal.ctx.community
        if community is not None:
            config.extra["portal"] = {
                "hotline": community.hotline.phone,
                "hotline_tel": community.hotline.tel,
                "hotline_label": ctx.t("header.hotline"),
                "name": community.full_name,
            }
        # The search box's strings (site_src/overrides/partials/search.html hands them to search.js).
        config.extra["portal_search"] = ctx.t.prefixed("search.")
        # Staff see their edits at once under `mkdocs serve`.
        if str(ctx.content_dir) not in config.watch:
            config.watch.append(str(ctx.content_dir))
        return config

    def _cache(self, root: Path, options: Options) -> ContentCache:
        """The content cache (one per preview: kept open across its rebuilds)."""
        folder = (root / options.cache_dir).resolve() if options.cache_dir else None
        if self.cache is None or (self.cache.folder, self.cache.remember) != (folder, self.preview):
            if self.cache is not None:
                self.cache.close()
            self.cache = ContentCache(folder, remember=self.preview)
        return self.cache

    @staticmethod
    def _now(fixed: str | None, tz: ZoneInfo) -> datetime:
        raw = fixed or os.environ.get("PORTAL_NOW")
        if not raw:
            return datetime.now(tz)
        try:
            now = datetime.fromisoformat(raw)
        except ValueError as exc:
            raise PluginError(
                f"plugins.portal.now: expected an ISO 8601 date-time such as "
                f"'2026-05-01T09:00', found {raw!r}"
            ) from exc
        return now.replace(tzinfo=tz) if now.tzinfo is None else now.astimezone(tz)

    def on_files(self, files: Files, *, config: MkDocsConfig) -> Files:
        # set by on_config, which MkDocs always runs first
        assert self.portal is not None and self.cache is not None
        self.light = []
        for out in self.portal.render():
            if isinstance(out, LightPage):
                self.light.append(out)
                continue
            self._refuse_clash(files, out, config)
            files.append(File.generated(config, out.path, content=out.content))
        urls = {f.url for f in files.documentation_pages()}
        for light in self.light:
            if light.url in urls:
                raise PluginError(f"{light.url}: generated twice (a page in the docs folder has "
                                  f"the same address)")
        if self.preview and self.dirty:
            # Pages from the docs folder are rendered on every rebuild like the generated
            # ones (MkDocs would skip those whose file did not change, with a stale nav).
            for file in files.documentation_pages():
                if file.generated_by is None and file.abs_src_path is not None:
                    file.content_bytes = Path(file.abs_src_path).read_bytes()
        self.page_docs = []
        if self.indexer is not None:
            self.indexer.cancel()
            self.indexer = None
        # What Pagefind would read of the generated pages, as a hash: of the document
        # itself, or of what it is made of when the page's content has a cache key.
        language = str(config.theme.get("language") or "zh")
        self.light_key = digest(code_fingerprint(), language, sorted(
            (p.url, p.title, p.key) if p.key else (p.url, search_document(p, language))
            for p in self.light if p.search_text is not None))
        if not self.preview and not self.cache.has_bundle(self.light_key):
            # Search indexes the generated pages while MkDocs renders the others (unless a
            # bundle for them is in the cache: whether it fits the rendered pages as well
            # is known at the end).
            self.indexer = Indexer(Path(config.site_dir) / BUNDLE, self._light_docs(config))
        return files

    def _light_docs(self, config: MkDocsConfig) -> list[tuple[str, str]]:
        language = str(config.theme.get("language") or "zh")
        return [(p.url, search_document(p, language)) for p in self.light
                if p.search_text is not None]

    @staticmethod
    def _refuse_clash(files: Files, out: OutputFile, config: MkDocsConfig) -> None:
        if files.get_file_from_path(out.path) is not None:
            raise PluginError(
                f"{config.docs_dir}/{out.path}: this page is generated by the portal; "
                f"remove the file from the docs folder"
            )

    def on_serve(self, server: LiveReloadServer, *, config: MkDocsConfig,
                 builder: Callable[..., Any]) -> LiveReloadServer:
        """The preview hears a save at once: MkDocs polls every watched file each half
        second (5,000 notices are 5,000 files to look at); the operating system's file
        events (inotify on Linux) say which file changed when it changes."""
        watched = [config.docs_dir, config.config_file_path, *config.theme.dirs]
        again = []
        for path in watched:
            try:
                server.unwatch(path)  # from the polling observer, before it is replaced
                again.append(path)
            except KeyError:
                pass
        server.observer = _ChangesObserver()
        for path in again:
            server.watch(path)
        # Time is content: the preview rebuilds when a scheduled notice is due or one
        # expires, by touching a file it watches (see _wake_at).
        self.clock_file.parent.mkdir(parents=True, exist_ok=True)
        server.watch(str(self.clock_file.parent))
        return server

    @property
    def clock_file(self) -> Path:
        folder = self.cache.folder if self.cache is not None else None
        return (folder or Path(tempfile.gettempdir()) / f"portal-{os.getpid()}") / "clock" / "tick"

    def _wake_at(self, when: datetime | None) -> None:
        """A preview on the real clock rebuilds itself at `when` (a second after)."""
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        if when is None or not self.real_clock:
            return
        self.clock_file.parent.mkdir(parents=True, exist_ok=True)  # watched from on_serve
        delay = max(0.0, (when - datetime.now(when.tzinfo)).total_seconds()) + 1.0

        def tick() -> None:
            self.clock_file.write_text(when.isoformat(), encoding="utf-8")

        self.timer = threading.Timer(min(delay, 86400.0), tick)
        self.timer.daemon = True
        self.timer.start()

    def on_nav(self, nav: Navigation, *, config: MkDocsConfig, files: Files) -> Navigation:
        self.nav = nav
        return nav

    def on_env(self, env: jinja2.Environment, *, config: MkDocsConfig,
               files: Files) -> jinja2.Environment:
        self.env, self.files = env, files
        assert self.cache is not None
        env.bytecode_cache = self.cache.templates()  # the theme's templates, compiled once
        return env

    @event_priority(-100)  # what the page finally is, after other plugins
    def on_post_page(self, output: str, *, page: Page, config: MkDocsConfig) -> str:
        if searchable(output):
            self.page_docs.append((page.file.dest_uri, output))
            if self.indexer is not None:
                self.indexer.add_page(page.file.dest_uri, output)
        return output

    @event_priority(-100)  # after other plugins have written their files
    def on_post_build(self, *, config: MkDocsConfig) -> None:
        site_dir = Path(config.site_dir)
        assert self.cache is not None and self.nav is not None and self.env is not None
        key = f"{self.light_key}-{documents_digest(self.page_docs)}"
        cached = self.cache.bundle(key)
        indexer, self.indexer = self.indexer, None
        if indexer is not None:
            if cached is not None:
                indexer.cancel()
            else:
                indexer.close()  # Pagefind writes its bundle while the generated pages are written
        written = self.written if self.preview else Written()
        write_pages(Shells(config, self.nav, self.files, self.env), self.light, site_dir, written)
        add_to_sitemap(site_dir, config.site_url or "", self.light)
        if self.preview and self.dirty:
            made = self._made(config)
            if self.made[0] == str(site_dir):
                _remove(site_dir, self.made[1] - made)
            self.made = (str(site_dir), made)
        self._update_search(site_dir, key, cached, indexer, config)
        if self.preview:
            assert self.portal is not None
            self._wake_at(self.portal.next_change())
        self.cache.commit()
        self.page_docs = []

    def _update_search(self, site_dir: Path, key: str, cached: Path | None,
                       indexer: Indexer | None, config: MkDocsConfig) -> None:
        assert self.cache is not None
        if cached is not None and self._use_kept(site_dir, key, cached):
            return
        if indexer is None and not self.preview:
            indexer = self._index_now(config)
        if indexer is not None:
            try:
                indexer.wait()
            except SearchIndexFailed as exc:
                raise PluginError(str(exc)) from exc
            self.cache.keep_bundle(key, site_dir / BUNDLE)
            self.search_key = (str(site_dir), key)
            return
        # A preview shows the saved page at once; search catches up in the background
        # (the previous bundle answers meanwhile) and is kept for the next build.
        if self.background is None or self.background.cache is not self.cache:
            if self.background is not None:
                self.background.stop()
            self.background = _SearchWorker(self.cache)
        page_docs = list(self.page_docs)
        self.search_key = ("", "")  # the worker puts its bundle in: which is unknown here
        self.background.want(site_dir, key, lambda: (self._light_docs(config), page_docs))

    def _use_kept(self, site_dir: Path, key: str, cached: Path) -> bool:
        """Put the kept bundle `key` in the site (unless it is there); False if it went."""
        with _SWAP:
            try:
                if (self.search_key != (str(site_dir), key)
                        or not (site_dir / BUNDLE / "pagefind.js").is_file()):
                    copy_bundle(cached, site_dir / BUNDLE)
            except OSError as exc:  # pruned meanwhile by a preview's worker: index instead
                log.info("portal: the kept search index could not be used (%s)", exc)
                self.search_key = ("", "")
                return False
            self.search_key = (str(site_dir), key)
            if self.background is not None:
                self.background.want(site_dir, key, None)  # nothing left to index
            return True

    def _index_now(self, config: MkDocsConfig) -> Indexer:
        """Pagefind over every searchable page of this build, into the site."""
        indexer = Indexer(Path(config.site_dir) / BUNDLE, self._light_docs(config))
        for dest, html in self.page_docs:
            indexer.add_page(dest, html)
        indexer.close()
        return indexer

    def _made(self, config: MkDocsConfig) -> set[str]:
        """Every file this build put in the site (the search bundle aside)."""
        site_dir = config.site_dir
        made = {f.abs_dest_path for f in self.files or []}
        made.update(os.path.join(site_dir, p.url, "index.html") for p in self.light)
        made.update(os.path.join(site_dir, name) for name in config.theme.static_templates)
        made.update(os.path.join(site_dir, name) for name in ("sitemap.xml", "sitemap.xml.gz"))
        return made

    def on_build_error(self, *, error: Exception) -> None:
        if self.indexer is not None:
            self.indexer.cancel()
            self.indexer = None
        if self.cache is not None:
            self.cache.discard()


# What a save, a new, removed or renamed file is. The OS also reports files opened and
# read: a build reads every content file, and would start the next build, for ever.
_CHANGES: list[type[FileSystemEvent]] = [
    FileCreatedEvent, FileModifiedEvent, FileDeletedEvent, FileMovedEvent, FileClosedEvent,
    DirCreatedEvent, DirDeletedEvent, DirMovedEvent]


class _ChangesObserver(watchdog.observers.Observer):  # type: ignore[misc,valid-type]
    """The operating system's file events (inotify on Linux), changes only."""

    def schedule(self, event_handler: Any, path: Any, *, recursive: bool = False,
                 event_filter: Any = None, follow_symlink: bool = False) -> Any:
        return super().schedule(event_handler, path, recursive=recursive,
                                event_filter=event_filter or _CHANGES,
                                follow_symlink=follow_symlink)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        return b""


def _remove(site_dir: Path, stale: set[str]) -> None:
    """A preview's site after a removed or renamed file: what no build makes now goes,
    with the folders it leaves empty."""
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


_SWAP = threading.Lock()  # one search bundle moves into a preview's site at a time


class _SearchWorker:
    """A preview's search index, made by one thread, one Pagefind run at a time.

    Each rebuild says which bundle the site needs. The worker waits for a quiet second
    (saves in a row index once), indexes the newest request at a lower priority than
    the rebuilds, and moves the bundle into the site only if it is still the one wanted;
    a request that came meanwhile is indexed next. So saves never pile up Pagefind runs.
    """

    QUIET = 1.0
    Job = tuple[list[tuple[str, str]], list[tuple[str, str]]]

    def __init__(self, cache: ContentCache) -> None:
        self.cache = cache
        self.cond = threading.Condition()
        self.wanted: tuple[Path, str] | None = None
        self.job: tuple[Path, str, _SearchWorker.Job] | None = None
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

    def _index(self, site_dir: Path, key: str, light_docs: list[tuple[str, str]],
               page_docs: list[tuple[str, str]]) -> None:
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
        with _SWAP:
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
