"""MkDocs side of LightPage: render the theme once per folder depth, fill pages into it.

Every link the theme writes is relative to the page, and for a page at depth d it is
'../' * d followed by the site path, whatever the page's own folders are called. So a
shell rendered for an invented page at the same depth serves every page at that depth,
once the invented URL (in the canonical link) is replaced by the real one.
"""

from __future__ import annotations

import gzip
import hashlib
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import escape
from mkdocs.commands.build import get_context
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File
from mkdocs.structure.nav import Navigation
from mkdocs.structure.pages import Page

from . import csp
from .pipeline import LightPage
from .search import marked

TITLE = "PORTALSHELLTITLE"
DESCRIPTION = "PORTALSHELLDESCRIPTION"
CONTENT = "<!--PORTALSHELLCONTENT-->"
URL = "PORTALSHELLURL"
_MARKERS = re.compile(f"({TITLE}|{DESCRIPTION}|{re.escape(CONTENT)}|{URL}/)")


def depth(url: str) -> int:
    return url.strip("/").count("/") + 1 if url.strip("/") else 0


class Shells:
    """Theme shells by depth, each split once into literal text and marker slots."""

    def __init__(self, config: MkDocsConfig, nav: Navigation, files: Any,
                 env: jinja2.Environment) -> None:
        self.config, self.nav, self.files, self.env = config, nav, files, env
        self._parts: dict[int, list[str]] = {}
        self._keys: dict[int, str] = {}

    def _shell(self, d: int) -> list[str]:
        if d not in self._parts:
            fake = "/".join([URL] + ["s"] * (d - 1)) + ".md" if d else "index.md"
            file = File.generated(self.config, fake, content="")
            page = Page(TITLE, file, self.config)
            page.content = CONTENT
            page.meta = {"hide": ["navigation", "toc"], "description": DESCRIPTION,
                         "search": {"exclude": True}}
            context = get_context(self.nav, self.files, self.config, page)
            html = csp.protect(self.env.get_template("main.html").render(context),
                               self.config.extra[csp.EXTRA])
            self._parts[d] = _MARKERS.split(html)
        return self._parts[d]

    def key(self, page: LightPage) -> str:
        """A hash of everything `render` makes the page from."""
        d = depth(page.url)
        if d not in self._keys:
            self._keys[d] = hashlib.blake2b("\0".join(self._shell(d)).encode("utf-8"),
                                            digest_size=16).hexdigest()
        h = hashlib.blake2b(digest_size=16)
        for part in (self._keys[d], page.url, page.title, page.description,
                     "1" if page.search_text is not None else "0", page.key or page.html):
            h.update(part.encode("utf-8"))
            h.update(b"\0")
        return h.hexdigest()

    def render(self, page: LightPage) -> str:
        fill = {TITLE: str(escape(page.title)), DESCRIPTION: str(escape(page.description)),
                CONTENT: marked(page), URL + "/": page.url}
        parts = self._shell(depth(page.url))
        return "".join(fill.get(p, p) if i % 2 else p for i, p in enumerate(parts))


class Written:
    """The generated pages a preview wrote, so a rebuild rewrites only the changed ones.

    A page is left alone when what it is made of (its theme shell and its title,
    description, address and content) hashes the same as when it was last written *and*
    the file on disk is the one written then (same size and modification time).
    """

    def __init__(self) -> None:
        self.files: dict[Path, tuple[str, int, int]] = {}

    def unchanged(self, path: Path, key: str) -> bool:
        known = self.files.get(path)
        if known is None or known[0] != key:
            return False
        try:
            st = path.stat()
        except OSError:
            return False
        return (st.st_mtime_ns, st.st_size) == known[1:]

    def write(self, path: Path, key: str, text: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        st = path.stat()
        self.files[path] = (key, st.st_mtime_ns, st.st_size)


def write_pages(shells: Shells, pages: Iterable[LightPage], site_dir: Path,
                written: Written) -> None:
    for page in pages:
        out = site_dir / page.url / "index.html"
        key = shells.key(page)
        if not written.unchanged(out, key):
            written.write(out, key, shells.render(page))


def add_to_sitemap(site_dir: Path, site_url: str, pages: Iterable[LightPage]) -> None:
    path = site_dir / "sitemap.xml"
    if not path.is_file():
        return
    base = site_url.rstrip("/") + "/"
    extra = "".join(f"<url><loc>{escape(base + p.url)}</loc></url>\n" for p in pages)
    xml = path.read_text(encoding="utf-8").replace("</urlset>", extra + "</urlset>")
    path.write_text(xml, encoding="utf-8")
    (site_dir / "sitemap.xml.gz").write_bytes(gzip.compress(xml.encode("utf-8"), mtime=0))
