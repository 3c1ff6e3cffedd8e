"""What owners do in a real headless Chromium: read on a phone, zoom, call the hotline.

Search is in test_search_browser.py.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

import pytest

from conftest import Server, artifact, axe_problems, sideways_overflow

pytestmark = pytest.mark.browser

PAGE_TYPES = {
    "home": "",
    "handbook-index": "handbook/",
    "handbook-page": "handbook/renovation/",
    "contact-card": "contact-card/",
}


@pytest.mark.parametrize("path", PAGE_TYPES.values(), ids=PAGE_TYPES.keys())
def test_no_serious_accessibility_violations(page: Any, site_server: Server, path: str) -> None:
    page.goto(site_server.url + path)
    assert axe_problems(page) == []


@pytest.mark.parametrize("path", PAGE_TYPES.values(), ids=PAGE_TYPES.keys())
@pytest.mark.parametrize(("width", "scale", "name"), [(360, 2, "phone-360"), (640, 2, "zoom-200")])
def test_readable_on_a_phone_and_at_200_percent(browser: Any, site_server: Server, path: str,
                                                width: int, scale: int, name: str) -> None:
    # 200% zoom of a 1280 px window lays the page out in 640 CSS px.
    ctx = browser.new_context(viewport={"width": width, "height": 740},
                              device_scale_factor=scale, locale="zh-CN")
    pg = ctx.new_page()
    pg.goto(site_server.url + path)
    overflow = sideways_overflow(pg)
    slug = path.strip("/").replace("/", "-") or "home"
    pg.screenshot(path=str(artifact(f"{name}-{slug}.png")), full_page=False)
    ctx.close()
    assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at {width}px"


def test_no_request_leaves_for_another_host(page: Any, site_server: Server) -> None:
    hosts: set[str] = set()
    page.on("request", lambda r: hosts.add(urlparse(r.url).netloc))
    for path in PAGE_TYPES.values():
        page.goto(site_server.url + path, wait_until="networkidle")
    assert hosts == {urlparse(site_server.url).netloc}


def test_hotline_is_one_tap_away_on_a_phone(browser: Any, site_server: Server) -> None:
    ctx = browser.new_context(viewport={"width": 360, "height": 640}, is_mobile=True,
                              has_touch=True, locale="zh-CN")
    pg = ctx.new_page()
    pg.goto(site_server.url)
    # The banner on every page carries it; the home page repeats it in large type.
    banner = pg.locator("a.portal-announce")
    box = banner.bounding_box()
    assert banner.get_attribute("href") == "tel:057187654300"
    assert box is not None and box["y"] + box["height"] <= 640, "visible without scrolling"
    assert box["height"] >= 24, "large enough to tap"
    assert pg.locator("a.portal-hotline__number").get_attribute("href") == "tel:057187654300"
    ctx.close()


