"""Every kind of page of the built example site, found by crawling it, on a 360 px phone.

A page's kind is the shape of its content (the portal's own classes and the elements it
holds), so a new kind of page is checked the day it appears, without a list to keep:
axe-core finds nothing serious or critical, nothing scrolls sideways, every chart's text
renders at 12 px or more and no two of a chart's labels overlap.
"""

from __future__ import annotations

import re
from collections import defaultdict
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest

from conftest import Server, Site, artifact, axe_problems, sideways_overflow

pytestmark = pytest.mark.browser

SHAPE_TAGS = {"table", "svg", "form", "ol", "ul", "dl", "details", "iframe", "video", "pre"}


class _Page(HTMLParser):
    """Links, and the shape of the page's article: portal-* classes and notable elements."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.shape: set[str] = set()
        self._depth = 0  # inside <article>

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "a" and a.get("href"):
            self.links.append(str(a["href"]))
        if tag == "article":
            self._depth += 1
        if self._depth:
            if tag in SHAPE_TAGS:
                self.shape.add(tag)
            for cls in (a.get("class") or "").split():
                if cls.startswith("portal-") and "--" not in cls:  # modifiers: same kind
                    self.shape.add(cls)

    def handle_endtag(self, tag: str) -> None:
        if tag == "article" and self._depth:
            self._depth -= 1


def crawl(site: Site) -> dict[frozenset[str], list[str]]:
    """Every page reachable from the home page, grouped by kind (first folder + shape)."""
    kinds: dict[frozenset[str], list[str]] = defaultdict(list)
    seen, queue = {""}, [""]
    while queue:
        url = queue.pop(0)
        parsed = _Page()
        parsed.feed(site.page(url))
        section = url.split("/", 1)[0] if "/" in url else url
        kinds[frozenset({f"section:{section}", *parsed.shape})].append(url)
        for href in parsed.links:
            target = urlsplit(urljoin("http://site/" + url, href))
            if target.netloc != "site":
                continue
            path = target.path.lstrip("/")
            if (path.endswith("/") or path == "") and path not in seen and site.exists(path):
                seen.add(path)
                queue.append(path)
    return kinds


@pytest.fixture(scope="module")
def one_of_each(example_site: Site) -> list[str]:
    kinds = crawl(example_site)
    return sorted(min(urls, key=lambda u: (len(u), u)) for urls in kinds.values())


def test_the_crawl_reaches_every_kind_of_page(one_of_each: list[str]) -> None:
    found = set(one_of_each)
    for expected in ("", "notices/", "handbook/fees/", "events/", "reports/",
                     "surveys/2025-satisfaction/results/", "suggestions/"):
        assert any(u == expected or u.startswith(expected) for u in found), expected
    assert len(found) >= 15
    sections = {u.split("/", 1)[0] for u in found}
    assert {"notices", "events", "reports", "surveys", "handbook", "suggestions"} <= sections


CHART_TEXT = """() => {
  const out = [];
  for (const svg of document.querySelectorAll('article svg')) {
    if (svg.closest('[hidden]') || !svg.getClientRects().length) continue;
    if (svg.querySelectorAll('text').length === 0) continue;
    const boxes = [];
    for (const t of svg.querySelectorAll('text')) {
      if (!t.textContent.trim()) continue;
      const size = parseFloat(getComputedStyle(t).fontSize);
      const scale = svg.getScreenCTM() ? svg.getScreenCTM().a : 1;
      const r = t.getBoundingClientRect();
      // the em box of the line (the glyphs), not the font's full ascent and descent
      const em = size * scale;
      boxes.push({text: t.textContent.trim(), px: em,
                  x: r.left, y: r.top + (r.height - em) / 2, w: r.width, h: em});
    }
    out.push({id: svg.id || svg.getAttribute('class') || '', boxes});
  }
  return out;
}"""


def overlaps(a: dict[str, float], b: dict[str, float], slack: float = 1.0) -> bool:
    return (a["x"] + slack < b["x"] + b["w"] and b["x"] + slack < a["x"] + a["w"]
            and a["y"] + slack < b["y"] + b["h"] and b["y"] + slack < a["y"] + a["h"])


def chart_problems(page: Any) -> list[str]:
    problems = []
    for chart in page.evaluate(CHART_TEXT):
        boxes = chart["boxes"]
        for b in boxes:
            if b["px"] < 11.95:
                problems.append(f"{chart['id']}: '{b['text']}' at {b['px']:.1f} px")
        for i, a in enumerate(boxes):
            for b in boxes[i + 1:]:
                if overlaps(a, b):
                    problems.append(f"{chart['id']}: '{a['text']}' overlaps '{b['text']}'")
    return problems


def test_every_kind_of_page_is_clean_on_a_phone(browser: Any, site_server: Server,
                                                one_of_each: list[str]) -> None:
    ctx = browser.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=2,
                              locale="zh-CN")
    failures: dict[str, Any] = {}
    try:
        pg = ctx.new_page()
        for url in one_of_each:
            pg.goto(site_server.url + url)
            pg.wait_for_load_state("load")
            found: dict[str, Any] = {}
            axe = axe_problems(pg)
            if axe:
                found["axe"] = axe
            sideways = sideways_overflow(pg)
            if sideways > 0:
                found["sideways px"] = sideways
            charts = chart_problems(pg)
            if charts:
                found["charts"] = charts
            if found:
                failures[url] = found
                name = re.sub(r"[^A-Za-z0-9]+", "-", url) or "home"
                pg.screenshot(path=str(artifact(f"every-page-{name}.png")), full_page=True)
    finally:
        ctx.close()
    report = "\n".join(f"{url}: {found}" for url, found in failures.items())
    assert failures == {}, f"checked {len(one_of_each)} kinds of page: {one_of_each}\n{report}"

