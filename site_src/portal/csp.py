"""The Content-Security-Policy of every page an owner opens.

Each page states its policy itself, in a <meta> right after its character set (a policy
covers only what follows it), so the site is protected wherever it is served: CloudFront,
GitHub Pages, the preview. The CDN repeats the policy of the whole site as a response
header (`site_policy`, computed from the built pages by the deploy), which also covers
files that are not pages and says what only a header can (frame-ancestors).

Scripts come from the portal itself. The theme's few inline scripts (mkdocs-material's
storage scope, colour palette and tab restore) are allowed by their SHA-256 hashes,
computed from each page as it is written, from the theme's part of the page only: a
script inside a page's content is never allowed. Never 'unsafe-inline' for scripts.
Pagefind compiles WebAssembly ('wasm-unsafe-eval', which runs no JavaScript from text).
Connections go to the portal and the owners' API. The case desk (/staff/) has a policy
of its own (features/desk.py).
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable, Iterable
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

# Where the plugin keeps the site's policy (without hashes) in the MkDocs config.
EXTRA = "portal_csp"

Policy = dict[str, list[str]]  # directive → its sources, in order

_META = '<meta http-equiv="Content-Security-Policy" content="{}">'
_META_FOUND = re.compile(r'<meta http-equiv="Content-Security-Policy" content="([^"]*)">', re.I)
_CHARSET = re.compile(r"<meta charset=[\"']?utf-8[\"']?\s*/?>", re.I)
_HEAD = re.compile(r"<head\b[^>]*>", re.I)
_SCRIPT = re.compile(r"<script\b([^>]*)>(.*?)</script\s*>", re.S | re.I)
_STYLE = re.compile(r"<style\b[^>]*>(.*?)</style\s*>", re.S | re.I)
_SRC = re.compile(r"\bsrc\s*=", re.I)
_TYPE = re.compile(r"""\btype\s*=\s*["']?([^"'\s>]*)""", re.I)
# Script types a browser runs (the others, such as application/json, are data).
_RUNS = {"", "module", "text/javascript", "application/javascript", "text/ecmascript",
         "application/ecmascript"}
# Directives whose absence means default-src's sources (the others: no restriction).
_FETCH = {"child-src", "connect-src", "font-src", "frame-src", "img-src", "manifest-src",
          "media-src", "object-src", "script-src", "style-src", "worker-src"}
# What only a response header can say (a <meta> may not, and upgrading requests would
# break a preview on http://127.0.0.1).
HEADER_ONLY: Policy = {"frame-ancestors": ["'self'"], "upgrade-insecure-requests": []}


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def owner_policy(api_url: str) -> str:
    """The policy of the owners' pages before the theme's hashes are added."""
    return render({
        "default-src": ["'self'"],
        "script-src": ["'self'", "'wasm-unsafe-eval'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'", *[o for o in (origin(api_url),) if o]],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
    })


def parse(text: str) -> Policy:
    return {name: sources for name, *sources in (d.split() for d in text.split(";") if d.strip())}


def render(policy: Policy) -> str:
    return "; ".join(" ".join([name, *sources]) for name, sources in policy.items())


def _attribute(policy: Policy) -> str:
    return render(policy).replace("&", "&amp;").replace('"', "&quot;")


def _sha256(text: str) -> str:
    # as a browser hashes it: the element's text, line ends as the HTML parser leaves them
    data = text.replace("\r\n", "\n").replace("\r", "\n").encode("utf-8")
    return "'sha256-" + base64.b64encode(hashlib.sha256(data).digest()).decode("ascii") + "'"


def inline_hashes(html: str) -> tuple[list[str], list[str]]:
    """The hashes of the inline scripts a browser runs and of the inline style sheets."""
    scripts = {_sha256(body) for attrs, body in _SCRIPT.findall(html)
               if not _SRC.search(attrs) and _script_type(attrs) in _RUNS}
    styles = {_sha256(body) for body in _STYLE.findall(html)}
    return sorted(scripts), sorted(styles)


def _script_type(attrs: str) -> str:
    found = _TYPE.search(attrs)
    return found.group(1).strip().lower() if found else ""


def protect(html: str, policy: str, content: str = "") -> str:
    """The page with its policy in a <meta> right after its character set: `policy` plus
    the hashes of the inline scripts and styles outside `content` (the theme's)."""
    if _META_FOUND.search(html):
        return html  # a page with a policy of its own (the desk)
    theme = html.replace(content, "", 1) if content else html
    scripts, styles = inline_hashes(theme)
    full = parse(policy)
    full["script-src"] = [*full.get("script-src", []), *scripts]
    full["style-src"] = [*full.get("style-src", []), *styles]
    meta = _META.format(_attribute(full))
    where = _CHARSET.search(html) or _HEAD.search(html)
    if where is None:
        raise ValueError("a page without <head>: nowhere to state its Content-Security-Policy")
    return html[:where.end()] + meta + html[where.end():]


def page_policy(html: str) -> Policy | None:
    found = _META_FOUND.search(html)
    return parse(unescape(found.group(1))) if found else None


def merge(policies: Iterable[Policy]) -> Policy:
    """One policy that allows what any of `policies` allows (and no more, per directive)."""
    every = list(policies)
    merged: Policy = {}
    for name in dict.fromkeys(n for p in every for n in p):
        sources: list[str] = []
        for p in every:
            found = p.get(name, p.get("default-src") if name in _FETCH else None)
            if found is None:
                break  # one policy leaves it open: so does the merged one
            sources += [s for s in found if s not in sources]
        else:
            if len(sources) > 1 and "'none'" in sources:
                sources.remove("'none'")
            merged[name] = sorted(sources, key=lambda s: (s != "'self'", s))
    return merged


# The content editor (/staff/content/) needs relaxations no owner page may get (Decap CMS:
# 'unsafe-eval', inline styles): the CDN serves that folder with a header of its own.
EDITOR = "staff/content/"


def site_policy(site_dir: Path) -> str:
    """The policy for every response of a built site (the CDN's header): what any page's
    own policy allows, plus what only a header can say. The editor's folder aside."""
    found = [p for p in (page_policy(_head(f)) for f in sorted(site_dir.rglob("*.html"))
                         if not f.relative_to(site_dir).as_posix().startswith(EDITOR))
             if p is not None]
    if not found:
        raise ValueError(f"{site_dir}: no page states a Content-Security-Policy")
    return render({**merge(found), **HEADER_ONLY})


def editor_policy(site_dir: Path) -> str | None:
    """The header of the editor's folder: its page's own policy (None: no editor built)."""
    page = site_dir / EDITOR / "index.html"
    found = page_policy(_head(page)) if page.is_file() else None
    return None if found is None else render({**found, "frame-ancestors": ["'none'"]})


def _head(page: Path) -> str:
    """The start of a page, where its policy is (thousands of notice pages are read)."""
    with page.open(encoding="utf-8", errors="replace") as f:
        return f.read(16384)


def allow_livereload(server: Any) -> None:
    """A preview's pages: MkDocs' live reload puts an inline script before </body> of each
    page it serves (LiveReloadServer._inject_js_into_html); add exactly that script's hash
    to the page's policy, so saves still reload the page and nothing else inline runs."""
    inject: Callable[[bytes, int], bytes] | None = getattr(server, "_inject_js_into_html", None)
    if inject is None:
        return

    def injecting(content: bytes, epoch: int) -> bytes:
        out = inject(content, epoch)
        at = content.rfind(b"</body>")
        added = out[at if at >= 0 else len(content):][:len(out) - len(content)]
        script = _SCRIPT.fullmatch(added.decode("utf-8"))
        found = _META_FOUND.search(out.decode("utf-8", errors="replace"))
        if script is None or found is None:
            return out
        hashed = _sha256(script.group(2))
        text = out.decode("utf-8")
        start, end = found.span(1)
        policy = parse(unescape(text[start:end]))
        policy["script-src"] = [*policy.get("script-src", []), hashed]
        return (text[:start] + _attribute(policy) + text[end:]).encode("utf-8")

    server._inject_js_into_html = injecting
