"""The event calendar in a real headless Chromium: accessible, readable on a phone, feeds served."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from conftest import Server, artifact, axe_problems, phone_overflow

pytestmark = pytest.mark.browser

PAGE_TYPES = {
    "upcoming": "events/",
    "month-today": "events/month/2026/11/",
    "month-busy": "events/month/2026/12/",
    "event-series": "events/taiji-saturday/",
    "event-multi-day": "events/2026-charity-drive/",
    "event-cancelled": "events/2026-movie-night/",
    "category": "events/category/health/",
    "archive": "events/archive/",
    "subscribe": "events/subscribe/",
}


@pytest.mark.parametrize("path", PAGE_TYPES.values(), ids=PAGE_TYPES.keys())
def test_calendar_pages_have_no_serious_accessibility_violations(page: Any, site_server: Server,
                                                                 path: str) -> None:
    page.goto(site_server.url + path)
    assert axe_problems(page) == []


@pytest.mark.parametrize("path", PAGE_TYPES.values(), ids=PAGE_TYPES.keys())
def test_calendar_pages_fit_a_360px_phone(browser: Any, site_server: Server, path: str) -> None:
    overflow = phone_overflow(browser, site_server.url, path)
    assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at 360px"


def test_month_grid_becomes_a_list_of_busy_days_on_a_phone(browser: Any, site_server: Server) -> None:
    ctx = browser.new_context(viewport={"width": 360, "height": 740}, locale="zh-CN")
    pg = ctx.new_page()
    pg.goto(site_server.url + "events/month/2026/12/")
    assert pg.locator('td[data-date="2026-12-19"]').is_visible()  # the winter run
    assert not pg.locator('td[data-date="2026-12-01"]').is_visible()  # nothing that day
    label = pg.locator('td[data-date="2026-12-19"] .events-day__label').inner_text()
    assert label == "12月19日 周六"
    cells = pg.locator("td.events-day--busy")
    boxes = [cells.nth(i).bounding_box() for i in range(cells.count())]
    assert all(b is not None and b["width"] > 300 for b in boxes), "one day per full-width row"
    ctx.close()


def test_month_grid_is_seven_columns_on_a_desktop(page: Any, site_server: Server) -> None:
    page.goto(site_server.url + "events/month/2026/11/")
    today = page.locator('td[aria-current="date"]')
    assert today.get_attribute("data-date") == "2026-11-23"
    assert "今天" in today.inner_text()
    row = page.locator("table.events-grid tbody tr").first.locator("td")
    xs = [row.nth(i).bounding_box()["x"] for i in range(7)]  # type: ignore[index]
    assert xs == sorted(xs) and len(set(xs)) == 7
    page.screenshot(path=str(artifact("desktop-events-month-2026-11.png")), full_page=True)


def test_feeds_are_served_as_calendars(page: Any, site_server: Server) -> None:
    page.goto(site_server.url + "events/subscribe/")
    webcal = page.locator('a[href^="webcal://"]').first.get_attribute("href")
    assert webcal == "webcal://portal.jinguiyuan.example.cn/events/calendar.ics"
    for path in ("events/calendar.ics", "events/health.ics", "events/taiji-saturday/taiji-saturday.ics"):
        response = page.request.get(site_server.url + path)
        assert response.ok, path
        assert response.headers["content-type"].startswith("text/calendar"), path
        assert response.body().startswith(b"BEGIN:VCALENDAR\r\n"), path


def test_add_to_calendar_downloads_the_event_file(page: Any, site_server: Server) -> None:
    page.goto(site_server.url + "events/2026-winter-solstice/")
    with page.expect_download() as info:
        page.get_by_role("link", name="下载日历文件（.ics）").click()
    download = info.value
    assert download.suggested_filename == "2026-winter-solstice.ics"
    body = Path(download.path()).read_bytes()
    assert b"UID:2026-winter-solstice@portal.jinguiyuan.example.cn" in body


def test_home_page_links_to_the_next_event(page: Any, site_server: Server) -> None:
    page.goto(site_server.url)
    link = page.locator(".events-home li a").first
    assert link.inner_text() == "太极拳晨练"
    link.click()
    assert page.url.endswith("/events/taiji-saturday/")
