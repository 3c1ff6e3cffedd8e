"""Thin MkDocs adapter: each build hook calls into the core.

The content pipeline (`pipeline`), the search bundle (`search.SiteSearch`), a preview's
machinery (`preview.Preview`) and the theme shells of generated pages (`shell`) do the
work; the hooks hand them what MkDocs has at that step.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import types
import typing
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
from mkdocs.config import config_options as c
from mkdocs.config.base import Config
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.livereload import LiveReloadServer
from mkdocs.plugins import BasePlugin, event_priority
from mkdocs.structure.files import File, Files
from mkdocs.structure.nav import Navigation
from mkdocs.structure.pages import Page

from . import csp
from .cache import ContentCache
from .errors import ContentInvalid
from .features import all_features
from .i18n import site_language
from .options import OptionInvalid, Options
from .pipeline import LightPage, OutputFile, Portal, Settings, context, load
from .preview import Preview
from .search import SearchIndexFailed, SiteSearch
from .shell import Shells, Written, add_to_sitemap, write_pages

# Not under "mkdocs.": with `strict: true` MkDocs turns its own warnings into a failed
# build, and a preview with a broken file must keep serving.
log = logging.getLogger("portal")
SOURCE = Path(__file__).resolve().parents[2]  # the checkout: site_src/portal/plugin.py


def config_class(options: type[Options]) -> type[Config]:
    """The MkDocs schema of the plugin's options, one entry per field of `options`: its
    type checked by MkDocs, its default the field's (None where the field makes its own)."""
    hints = typing.get_type_hints(options)
    schema: dict[str, Any] = {"__doc__": f"The `portal` plugin's options: see {options.__name__}."}
    for f in dataclasses.fields(options):
        hint = hints[f.name]
        kinds = [k for k in typing.get_args(hint) if k is not type(None)] \
            if isinstance(hint, types.UnionType) else [hint]
        if len(kinds) != 1:
            raise TypeError(f"{options.__name__}.{f.name}: expected one type or one type "
                            f"and None, found {hint}")
        kind = typing.get_origin(kinds[0]) or kinds[0]
        if f.default is dataclasses.MISSING or f.default is None:
            schema[f.name] = c.Optional(c.Type(kind))
        else:
            schema[f.name] = c.Type(kind, default=f.default)
    return types.new_class("PortalConfig", (Config,), exec_body=lambda ns: ns.update(schema))


if TYPE_CHECKING:  # a class to the type checker; MkDocs gets the schema derived from Options
    class PortalConfig(Config):
        pass
else:
    PortalConfig = config_class(Options)


class PortalPlugin(BasePlugin[PortalConfig]):
    supports_multiple_instances = False

    def __init__(self) -> None:
        self.portal: Portal | None = None
        self.light: list[LightPage] = []
        self.nav: Navigation | None = None
        self.env: jinja2.Environment | None = None
        self.files: Files | None = None
        self.cache: ContentCache | None = None  # kept open across a preview's rebuilds
        self.search = SiteSearch()
        self.preview: Preview | None = None  # only under `mkdocs serve`

    def on_startup(self, *, command: str, dirty: bool) -> None:
        # Defining this keeps one plugin instance across the rebuilds of `mkdocs serve`.
        if command == "serve":
            self.preview = self.preview or Preview()
            self.preview.dirty = dirty
        elif self.preview is not None:
            self.preview.stop()
            self.preview = None

    def on_shutdown(self) -> None:
        if self.preview is not None:
            self.preview.stop()
        self.search.stop()
        if self.cache is not None:
            self.cache.close()
            self.cache = None

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        root = Path(config.config_file_path or ".").resolve().parent
        options = Options.from_config(dict(self.config))
        if options.editor_assets and not Path(options.editor_assets).is_absolute():
            # beside mkdocs.yml, else beside the portal's source (a site configured elsewhere)
            found = [p for p in (root / options.editor_assets, SOURCE / options.editor_assets)
                     if p.is_dir()]
            options = dataclasses.replace(options, editor_assets=str(
                found[0] if found else root / options.editor_assets))
        content_dir = root / options.content_dir
        cache = self._cache(root, options)
        if self.preview is not None:
            self.preview.configure(cache.folder, options.real_clock)
        try:
            ctx = context(_settings(config), options, content_dir, cache)
        except OptionInvalid as exc:
            raise PluginError(str(exc)) from exc
        try:
            # A preview keeps serving while staff fix a file: the broken file's page shows
            # its problems. `mkdocs build` (and the deploy) still refuse broken content.
            self.portal = load(ctx, all_features(), strict=self.preview is None)
        except ContentInvalid as exc:
            raise PluginError(exc.report()) from exc
        if self.portal.problems:
            log.warning(ContentInvalid(self.portal.problems).report())
        if not config.nav:
            config.nav = [item.to_mkdocs() for item in self.portal.nav()]
        config.extra.update(self.portal.theme_extra())
        config.extra[csp.EXTRA] = csp.owner_policy(options.api_url)  # every owner page's CSP
        if str(content_dir) not in config.watch:  # staff see their edits at once
            config.watch.append(str(content_dir))
        return config

    def _cache(self, root: Path, options: Options) -> ContentCache:
        """The content cache (one per preview: kept open across its rebuilds)."""
        folder = (root / options.cache_dir).resolve() if options.cache_dir else None
        remember = self.preview is not None
        if self.cache is None or (self.cache.folder, self.cache.remember) != (folder, remember):
            if self.cache is not None:
                self.cache.close()
            self.cache = ContentCache(folder, remember=remember)
        return self.cache

    def on_files(self, files: Files, *, config: MkDocsConfig) -> Files:
        assert self.portal is not None and self.cache is not None  # set by on_config
        rendered = self.portal.render()
        self.light = [out for out in rendered if isinstance(out, LightPage)]
        _add(files, [out for out in rendered if isinstance(out, OutputFile)], self.light, config)
        if self.preview is not None and self.preview.dirty:
            _reread(files)
        self.search.start(self.cache, Path(config.site_dir), self.light, _language(config),
                          background=self.preview is not None)
        return files

    def on_serve(self, server: LiveReloadServer, *, config: MkDocsConfig,
                 builder: Callable[..., Any]) -> LiveReloadServer:
        assert self.preview is not None  # on_startup made it for `mkdocs serve`
        self.preview.listen(server, [config.docs_dir, config.config_file_path, *config.theme.dirs])
        csp.allow_livereload(server)  # the reload script it puts into each page may run
        return server

    def on_nav(self, nav: Navigation, *, config: MkDocsConfig, files: Files) -> Navigation:
        self.nav = nav
        return nav

    def on_env(self, env: jinja2.Environment, *, config: MkDocsConfig,
               files: Files) -> jinja2.Environment:
        assert self.cache is not None
        self.env, self.files = env, files
        env.bytecode_cache = self.cache.templates()  # the theme's templates, compiled once
        return env

    @event_priority(-100)  # what the page finally is, after other plugins
    def on_post_page(self, output: str, *, page: Page, config: MkDocsConfig) -> str:
        output = csp.protect(output, config.extra[csp.EXTRA], page.content or "")
        self.search.add_page(page.file.dest_uri, output)
        return output

    def on_post_template(self, output_content: str, *, template_name: str,
                         config: MkDocsConfig) -> str:  # 404.html
        html = template_name.endswith(".html")
        return csp.protect(output_content, config.extra[csp.EXTRA]) if html else output_content

    @event_priority(-100)  # after other plugins have written their files
    def on_post_build(self, *, config: MkDocsConfig) -> None:
        assert self.cache is not None and self.portal is not None
        assert self.nav is not None and self.env is not None
        site_dir = Path(config.site_dir)
        self.search.seal()  # Pagefind writes its bundle while the generated pages are written
        written = self.preview.written if self.preview is not None else Written()
        write_pages(Shells(config, self.nav, self.files, self.env), self.light, site_dir, written)
        add_to_sitemap(site_dir, config.site_url or "", self.light)
        if self.preview is not None and self.preview.dirty:
            self.preview.built(site_dir, self._made(config))
        try:
            self.search.publish()
        except SearchIndexFailed as exc:
            raise PluginError(str(exc)) from exc
        if self.preview is not None:
            self.preview.wake_at(self.portal.next_change())
        self.cache.commit()

    def next_change(self) -> datetime | None:
        """When the clock next changes what the last build published (a scheduled notice's
        time or an expiry); None when nothing is due. The deploy schedules its next run then."""
        return self.portal.next_change() if self.portal is not None else None

    def _made(self, config: MkDocsConfig) -> set[str]:
        """Every file this build put in the site (the search bundle aside)."""
        site_dir = config.site_dir
        made = {f.abs_dest_path for f in self.files or []}
        made.update(os.path.join(site_dir, p.url, "index.html") for p in self.light)
        made.update(os.path.join(site_dir, name) for name in config.theme.static_templates)
        made.update(os.path.join(site_dir, name) for name in ("sitemap.xml", "sitemap.xml.gz"))
        return made

    def on_build_error(self, *, error: Exception) -> None:
        self.search.cancel()
        if self.cache is not None:
            self.cache.discard()


def _add(files: Files, pages: list[OutputFile], light: list[LightPage],
         config: MkDocsConfig) -> None:
    """The generated pages into MkDocs' files; none may take a docs page's address."""
    for out in pages:
        if files.get_file_from_path(out.path) is not None:
            raise PluginError(f"{config.docs_dir}/{out.path}: this page is generated by the "
                              f"portal; remove the file from the docs folder")
        files.append(File.generated(config, out.path, content=out.content))
    urls = {f.url for f in files.documentation_pages()}
    for page in light:
        if page.url in urls:
            raise PluginError(f"{page.url}: generated twice (a page in the docs folder has "
                              f"the same address)")


def _reread(files: Files) -> None:
    """A dirty preview renders the docs folder's pages on every rebuild like the generated
    ones (MkDocs would skip those whose file did not change, with a stale navigation)."""
    for file in files.documentation_pages():
        if file.generated_by is None and file.abs_src_path is not None:
            file.content_bytes = Path(file.abs_src_path).read_bytes()


def _language(config: MkDocsConfig) -> str:
    return site_language(config.theme.get("language"))


def _settings(config: MkDocsConfig) -> Settings:
    """What the core needs of mkdocs.yml."""
    return Settings(
        config=_read(config.config_file_path), site_url=config.site_url,
        language=_language(config),
        overrides=Path(config.theme.custom_dir) if config.theme.custom_dir else None,
        markdown_extensions=list(config.markdown_extensions),
        mdx_configs=dict(config.mdx_configs))


def _read(path: str | None) -> bytes:
    try:
        return Path(path).read_bytes() if path else b""
    except OSError:
        return b""
