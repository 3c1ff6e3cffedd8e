"""The framework-free core: load every feature's content, validate it, render pages.

A feature (handbook, notices, events, …) is one module in `portal.features` with a
`Feature` subclass listed in `portal.features.FEATURES`. Adding a feature touches that
list and nothing else here: the pipeline asks each feature for its data, its pages, its
navigation tab and its blocks on the home page.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

import jinja2
from markupsafe import Markup

from .cache import ContentCache, code_fingerprint, digest, folder_digest
from .community import Community, load_community
from .content import Loader
from .errors import ContentError, ContentInvalid
from .i18n import Translator
from .options import Options

TEMPLATES = Path(__file__).with_name("templates")


@dataclass(frozen=True)
class OutputFile:
    """A file the build adds to the site. `.md` files become pages; others are copied."""

    path: str
    content: str | bytes


@dataclass(frozen=True)
class LightPage:
    """A generated page filled into the theme's page shell instead of MkDocs's page pipeline.

    For pages that come in thousands (one per notice, their list pages): MkDocs renders
    the whole theme template and re-parses the HTML for search on every page; the adapter
    renders the theme once per folder depth and fills in each page's title and HTML.
    """

    url: str
    title: str
    html: str
    description: str = ""
    search_text: str | None = None  # plain text for the search index; None keeps it out
    # The content cache's key of `html` (the hash of what it is made of), if it has one:
    # a preview then knows the page is unchanged without hashing the HTML.
    key: str = ""


@dataclass(frozen=True)
class NavItem:
    """One entry of the global navigation; `children` makes it a tab with pages."""

    title: str
    path: str | None = None
    children: tuple[NavItem, ...] = ()

    def to_mkdocs(self) -> dict[str, Any]:
        if self.children:
            return {self.title: [c.to_mkdocs() for c in self.children]}
        return {self.title: self.path}


@dataclass(frozen=True)
class HomeBlock:
    """A block a feature puts on the home page; lower `order` shows first."""

    order: int
    html: str


@dataclass
class BuildContext:
    """What every feature may read while it builds."""

    content_dir: Path
    site_url: str
    now: datetime
    tz: ZoneInfo
    t: Translator
    env: jinja2.Environment
    community: Community | None = None
    options: Options = field(default_factory=Options)
    markdown: Callable[[str], str] = field(default_factory=lambda: markdown_converter([]))
    # What made earlier builds, by the hash of all their inputs (see cache.py): `fingerprint`
    # stands for the inputs every page shares (code, templates, configuration, community).
    cache: ContentCache = field(default_factory=lambda: ContentCache(None))
    fingerprint: str = ""

    def key(self, *parts: object) -> str:
        """A cache key: the build's shared inputs and `parts`, the entry's own."""
        return digest(self.fingerprint, *parts)

    def url(self, path: str) -> str:
        """Absolute URL of a site path such as 'notices/' (for feeds and QR codes)."""
        return self.site_url.rstrip("/") + "/" + path.lstrip("/")

    def render(self, template: str, **values: Any) -> str:
        return self.env.get_template(template).render(
            t=self.t, community=self.community, now=self.now, **values
        )


class Feature(ABC):
    """One section of the portal: loads its content, renders its pages."""

    key: ClassVar[str]

    @abstractmethod
    def load(self, ctx: BuildContext, loader: Loader) -> Any:
        """Read and validate this feature's content; record problems on `loader`."""

    @abstractmethod
    def render(self, data: Any, ctx: BuildContext) -> list[OutputFile | LightPage]:
        """The pages and files this feature adds to the site."""

    def nav(self, data: Any, ctx: BuildContext) -> NavItem | None:
        """This feature's tab, or None while it has nothing to show."""
        return None

    def home(self, data: Any, ctx: BuildContext) -> list[HomeBlock]:
        """Blocks this feature adds to the home page."""
        return []

    def next_change(self, data: Any, ctx: BuildContext) -> datetime | None:
        """When the clock next changes what this feature publishes, if it knows."""
        return None

    def source_url(self, file: str) -> str | None:
        """The address of the page a content file (path from the portal folder, e.g.
        'content/notices/2026/2026-05-01-water-cut.md') becomes, if it is one of this
        feature's; known from the file's name, so even when the file is broken."""
        return None


@dataclass
class Portal:
    """Everything loaded and validated, ready to render."""

    ctx: BuildContext
    features: Sequence[Feature]
    data: dict[str, Any]
    # Only in a preview (`mkdocs serve`): what is wrong with the content. The broken files
    # are left out, the rest is built, and each broken file's page shows its problems.
    problems: list[ContentError] = field(default_factory=list)

    def nav(self) -> list[NavItem]:
        items = [NavItem(self.ctx.t("nav.home"), "index.md")]
        for f in self.features:
            item = f.nav(self.data[f.key], self.ctx)
            if item is not None:
                items.append(item)
        return items

    def theme_extra(self) -> dict[str, Any]:
        """What the theme's overrides read from `extra`: the hotline in the header of every
        page, and the search box's strings (partials/search.html hands them to search.js)."""
        extra: dict[str, Any] = {"portal_search": self.ctx.t.prefixed("search.")}
        community = self.ctx.community
        if community is not None:
            extra["portal"] = {
                "hotline": community.hotline.phone,
                "hotline_tel": community.hotline.tel,
                "hotline_label": self.ctx.t("header.hotline"),
                "name": community.full_name,
            }
        return extra

    def next_change(self) -> datetime | None:
        """The soonest time at which the clock changes what the site shows."""
        return min((t for f in self.features
                    if (t := f.next_change(self.data[f.key], self.ctx)) is not None), default=None)

    def render(self) -> list[OutputFile | LightPage]:
        files: list[OutputFile | LightPage] = []
        blocks = [HomeBlock(20, self.ctx.render("portal/home_hotline.html"))]
        for f in self.features:
            files.extend(f.render(self.data[f.key], self.ctx))
            blocks.extend(f.home(self.data[f.key], self.ctx))
        taken = {out.url for out in files if isinstance(out, LightPage)}
        files.extend(p for p in self._problem_pages() if p.url not in taken)
        if self.problems:
            blocks.append(HomeBlock(0, self.ctx.render("portal/problems.html",
                                                       problems=self.problems, page="")))
        blocks.sort(key=lambda b: b.order)
        files.append(OutputFile("index.md", self.ctx.render("portal/home.md", blocks=blocks)))
        files.append(OutputFile("contact-card.md", self.ctx.render("portal/contact_card.md")))
        seen: set[str] = set()
        for out in files:
            key = out.path if isinstance(out, OutputFile) else out.url
            if key in seen:
                raise RuntimeError(f"two features generate {key}")
            seen.add(key)
        return files

    def _problem_pages(self) -> list[LightPage]:
        by_url: dict[str, list[ContentError]] = {}
        for problem in self.problems:
            for f in self.features:
                url = f.source_url(problem.file)
                if url is not None:
                    by_url.setdefault(url, []).append(problem)
                    break
        return [LightPage(url, self.ctx.t("problems.title"), self.ctx.render(
            "portal/problems.html", problems=found, page=url))
            for url, found in sorted(by_url.items())]


@dataclass(frozen=True)
class Settings:
    """What a build takes from its host's configuration (for MkDocs: mkdocs.yml)."""

    config: bytes  # the configuration file as written (any change rebuilds everything)
    site_url: str | None
    language: str
    overrides: Path | None = None  # templates that override the theme's and the portal's
    markdown_extensions: list[Any] = field(default_factory=list)
    mdx_configs: dict[str, Any] = field(default_factory=dict)


def context(settings: Settings, options: Options, content_dir: Path,
            cache: ContentCache) -> BuildContext:
    """What every feature reads in one build; OptionInvalid for an option it cannot use."""
    tz = options.zone()
    now = options.build_time(tz)
    env = template_env(jinja2.FileSystemLoader(settings.overrides) if settings.overrides else None)
    env.bytecode_cache = cache.templates()
    convert = markdown_converter(settings.markdown_extensions, settings.mdx_configs)
    # The inputs every page shares. The clock is not one of them: what it decides (a
    # notice scheduled, current or expired) is in the digests of the content it decides.
    fingerprint = digest(
        code_fingerprint(), folder_digest(settings.overrides) if settings.overrides else "",
        settings.config, _read(content_dir / "community.yml"), repr(replace(options, now=None)),
        settings.site_url or "", settings.language)

    def markdown(text: str) -> str:
        return cache.text("markdown", digest(fingerprint, text), lambda: convert(text))

    return BuildContext(
        content_dir=content_dir,
        site_url=settings.site_url or "http://127.0.0.1:8000/",
        now=now,
        tz=tz,
        t=Translator(settings.language),
        env=env,
        markdown=markdown,
        options=options,  # the deploy (and the local stack) set the API's address per stage
        cache=cache,
        fingerprint=fingerprint,
    )


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        return b""


def yamlstr(value: object) -> Markup:
    """A YAML-safe scalar for generated front matter (JSON strings are YAML)."""
    return Markup(json.dumps(str(value), ensure_ascii=False))


def template_env(extra_loader: jinja2.BaseLoader | None = None) -> jinja2.Environment:
    """A Jinja environment that finds the portal's templates (after any site overrides)."""
    loaders: list[jinja2.BaseLoader] = []
    if extra_loader is not None:
        loaders.append(extra_loader)
    loaders.append(jinja2.FileSystemLoader(TEMPLATES))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=jinja2.select_autoescape(["html", "md", "xml"], default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["yamlstr"] = yamlstr
    return env


def load(ctx: BuildContext, features: Sequence[Feature], strict: bool = True) -> Portal:
    """Load and validate all content; raise ContentInvalid listing every problem, or, not
    `strict` (a preview), keep them on the Portal and build what is valid."""
    loader = Loader(ctx.content_dir)
    ctx.community = load_community(ctx.content_dir, loader)
    data: dict[str, Any] = {}
    for f in features:
        data[f.key] = f.load(ctx, loader)
    if loader.errors and (strict or ctx.community is None):
        raise ContentInvalid(loader.errors)
    return Portal(ctx, features, data, sorted(set(loader.errors)))


def markdown_converter(extensions: list[Any], configs: dict[str, Any] | None = None
                       ) -> Callable[[str], str]:
    """One reusable Python-Markdown instance (building one per call costs more than converting)."""
    import markdown

    md = markdown.Markdown(extensions=extensions, extension_configs=configs or {})

    def convert(text: str) -> str:
        html: str = md.reset().convert(text)
        return html

    return convert
