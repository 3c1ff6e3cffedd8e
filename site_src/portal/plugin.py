"""Thin MkDocs adapter: runs the content pipeline from the build hooks."""

from __future__ import annotations

import json
import logging
import os
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import jinja2
from markupsafe import Markup
from mkdocs.config import config_options as c
from mkdocs.config.base import Config
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, event_priority
from mkdocs.structure.files import File, Files
from mkdocs.structure.nav import Navigation
from mkdocs.structure.pages import Page

from .errors import ContentInvalid
from .features import all_features
from .i18n import Translator
from .options import DEFAULTS, Options
from .pipeline import BuildContext, LightPage, OutputFile, Portal, load, markdown_converter, template_env
from .search import Indexer, SearchIndexFailed
from .shell import Shells, add_to_sitemap, search_document, write_pages

# Not under "mkdocs.": with `strict: true` MkDocs turns its own warnings into a failed
# build, and a preview with a broken file must keep serving.
log = logging.getLogger("portal")


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

    def on_startup(self, *, command: str, dirty: bool) -> None:
        # Defining this keeps one plugin instance across the rebuilds of `mkdocs serve`.
        self.command = command

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        root = Path(config.config_file_path or ".").resolve().parent
        options = Options.from_config(dict(self.config))
        try:
            tz = ZoneInfo(options.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise PluginError(
                f"mkdocs.yml: plugins.portal.timezone: expected an IANA time zone such as "
                f"'Asia/Shanghai', found {options.timezone!r}"
            ) from exc
        now = self._now(options.now, tz)
        overrides = config.theme.custom_dir
        env = template_env(jinja2.FileSystemLoader(overrides) if overrides else None)
        env.filters["yamlstr"] = yamlstr
        ctx = BuildContext(
            content_dir=root / options.content_dir,
            site_url=config.site_url or "http://127.0.0.1:8000/",
            now=now,
            tz=tz,
            t=Translator(str(config.theme.get("language") or "zh")),
            env=env,
            markdown=markdown_converter(list(config.markdown_extensions), dict(config.mdx_configs)),
            options=options,  # the deploy (and the local stack) set the API's address per stage
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
        assert self.portal is not None  # set by on_config, which MkDocs always runs first
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
        # Search indexes the generated pages while MkDocs renders the others.
        if self.indexer is not None:
            self.indexer.cancel()
        language = str(config.theme.get("language") or "zh")
        self.indexer = Indexer(Path(config.site_dir), [
            (p.url, search_document(p, language)) for p in self.light if p.search_text is not None])
        return files

    @staticmethod
    def _refuse_clash(files: Files, out: OutputFile, config: MkDocsConfig) -> None:
        if files.get_file_from_path(out.path) is not None:
            raise PluginError(
                f"{config.docs_dir}/{out.path}: this page is generated by the portal; "
                f"remove the file from the docs folder"
            )

    def on_nav(self, nav: Navigation, *, config: MkDocsConfig, files: Files) -> Navigation:
        self.nav = nav
        return nav

    def on_env(self, env: jinja2.Environment, *, config: MkDocsConfig,
               files: Files) -> jinja2.Environment:
        self.env, self.files = env, files
        return env

    @event_priority(-100)  # what the page finally is, after other plugins
    def on_post_page(self, output: str, *, page: Page, config: MkDocsConfig) -> str:
        if self.indexer is not None:
            self.indexer.add_page(page.file.dest_uri, output)
        return output

    @event_priority(-100)  # after other plugins have written their files
    def on_post_build(self, *, config: MkDocsConfig) -> None:
        site_dir = Path(config.site_dir)
        assert self.indexer is not None  # started by on_files
        indexer, self.indexer = self.indexer, None
        indexer.close()  # Pagefind writes its bundle while the generated pages are written
        if self.light:
            assert self.nav is not None and self.env is not None  # set by earlier MkDocs events
            write_pages(Shells(config, self.nav, self.files, self.env), self.light, site_dir)
            add_to_sitemap(site_dir, config.site_url or "", self.light)
        try:
            indexer.wait()
        except SearchIndexFailed as exc:
            raise PluginError(str(exc)) from exc

    def on_build_error(self, *, error: Exception) -> None:
        if self.indexer is not None:
            self.indexer.cancel()
            self.indexer = None
