"""Site paths: where a generated .md page ends up, and links between pages."""

from __future__ import annotations


def page_url(path: str) -> str:
    """URL (directory style, no leading slash) of a generated page: 'a/b.md' → 'a/b/'."""
    stem = path.removesuffix(".md")
    if stem == "index":
        return ""
    stem = stem.removesuffix("/index")
    return stem + "/"


def relative(target: str, page: str) -> str:
    """Link from the page at URL `page` to the site URL `target` (both without leading '/').

    Both are site paths in directory style, so this is prefix arithmetic, not posixpath
    (it runs for every link of every generated list page).
    """
    here = page.split("/")[:-1] if page else []
    there = target.split("/")
    common = 0
    while common < len(here) and common < len(there) - 1 and here[common] == there[common]:
        common += 1
    rel = "../" * (len(here) - common) + "/".join(there[common:])
    return rel or "./"
