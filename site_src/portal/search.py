"""Site search: Pagefind's chunked static index, built over the finished site.

Pagefind (the extended binary, which segments Chinese) indexes what is inside
`data-pagefind-body` (the page content, never the header, navigation or footer) and
writes `pagefind/`: a small entry file, the WebAssembly search, and the index in gzipped
chunks the browser fetches only for the words it looks up. It reads the generated pages
from small documents without the theme (parsing thousands of full pages, their
navigation included, took twice as long), and the other pages as built.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Iterable
from pathlib import Path

BUNDLE = "pagefind"
# Pagefind's own interfaces; the portal's search box uses the JS API (pagefind.js) only.
UNUSED = ("pagefind-ui.js", "pagefind-ui.css", "pagefind-modular-ui.js", "pagefind-modular-ui.css",
          "pagefind-component-ui.js", "pagefind-component-ui.css", "pagefind-highlight.js")

class SearchIndexFailed(RuntimeError):
    """Pagefind stopped; the message is what it printed."""

def executable() -> Path:
    """The extended Pagefind binary (shipped in the pagefind-bin-extended wheel)."""
    from pagefind_bin_extended import get_executable

    return Path(get_executable())

def build_index(site_dir: Path, documents: Iterable[tuple[str, str]], skip: set[str]) -> None:
    """Index the built site into `site_dir/pagefind/` (replacing any older bundle).

    `documents` are (url, html) of generated pages as Pagefind should read them: their
    content without the theme (see shell.search_document); their full pages at the URLs
    in `skip` are not read again. Every other page of the site that has a
    `data-pagefind-body` is indexed as built.
    """
    out = site_dir / BUNDLE
    if out.exists():
        shutil.rmtree(out)
    with tempfile.TemporaryDirectory(prefix="portal-search-") as tmp:
        docs = Path(tmp)
        for url, html in documents:
            path = docs / url / "index.html"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(html, encoding="utf-8")
        for path in site_dir.rglob("*.html"):
            rel = path.relative_to(site_dir)
            if rel.parent.as_posix() + "/" in skip:
                continue
            html = path.read_text(encoding="utf-8")
            if "data-pagefind-body" in html:
                (docs / rel).parent.mkdir(parents=True, exist_ok=True)
                (docs / rel).write_text(html, encoding="utf-8")
        done = subprocess.run([str(executable()), "--site", str(docs), "--output-path", str(out),
                               "--quiet"], capture_output=True, text=True, check=False)
    if done.returncode != 0 or not (out / "pagefind.js").is_file():
        raise SearchIndexFailed(f"Pagefind could not index {site_dir}:\n{done.stdout}{done.stderr}")
    for name in UNUSED:
        (out / name).unlink(missing_ok=True)
