"""Site paths: where a generated .md page ends up, and links between pages."""

from __future__ import annotations

import posixpath


def page_url(path: str) -> str:
    """URL (directory style, no leading slash) of a generated page: 'a/b.md' → 'a/b/'."""
    stem = path.removesuffix(".md")
    if stem == "index":
        return ""
    stem = stem.removesuffix("/index")
    return stem + "/"


def relative(target: str, page: str) -> str:
    """Link from the page at URL `page` to the site URL `target` (both without leading '/')."""
    start = posixpath.dirname(page.rstrip("/") + "/x") if page else "."
    rel = posixpath.relpath(target or ".", start or ".")
    if (target == "" or target.endswith("/")) and not rel.endswith("/"):
        rel += "/"
    return rel if rel != "./" else "./"
