"""The clerk sees a failed publish on the editor's page, in real Chromium: the built example
site with a status file beside the editor, as a publish run leaves it in the bucket."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import publishing  # scripts/publishing.py
import pytest
from playwright.sync_api import expect

from conftest import AXE, Server, Site, serve

pytestmark = pytest.mark.browser

PROBLEMS = (
    "2 problems in the portal content:",
    "content/notices/2026/2026-03-01-lift.md: department: expected a value (this field is "
    "required), found nothing",
    "content/notices/2026/2026-03-01-lift.md: level: expected one of 'normal', 'important' or "
    "'urgent', found 'loud'",
)
BANNER = "构建失败，网站仍是上次成功发布的版本"


def linked(site: Path, root: Path, real: str) -> None:
    """`root` shows the built `site` through links to its files, except along the path
    `real` (e.g. staff/content), whose folders are real: a file put there stays out of the
    build the other tests share."""
    root.mkdir()
    head, _, rest = real.partition("/")
    for entry in site.iterdir():
        if head and entry.name == head:
            linked(entry, root / entry.name, rest)
        else:
            (root / entry.name).symlink_to(entry)


@pytest.fixture
def editor(example_site: Site, tmp_path: Path) -> Iterator[tuple[Server, Path]]:
    root = tmp_path / "site"
    linked(example_site.root, root, "staff/content")
    assert (root / "staff" / "content" / "index.html").is_file()
    for server in serve(root):
        yield server, root / publishing.STATUS_KEY


def write(status: Path, ok: bool, when: datetime, problems: tuple[str, ...] = ()) -> None:
    status.write_text(publishing.Status(when, "0123456789abcdef", ok, problems).to_json(),
                      encoding="utf-8")


def test_a_failed_publish_shows_on_the_editor_until_one_succeeds(
        browser: Any, editor: tuple[Server, Path]) -> None:
    server, status = editor
    write(status, False, datetime(2026, 11, 23, 1, 5, tzinfo=UTC), PROBLEMS)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text
            and "status" in m.text else None)
    try:
        page.clock.install()
        page.goto(server.url + "staff/content/")
        alert = page.get_by_role("alert").filter(has_text=BANNER)
        expect(alert).to_be_visible()
        # what the build printed, line by line, with when and which commit
        items = alert.locator("li")
        expect(items).to_have_text(list(PROBLEMS))
        expect(alert).to_contain_text("2026/11/23 09:05:00")
        expect(alert).to_contain_text("提交 0123456")
        assert alert.evaluate("e => getComputedStyle(e).position") == "fixed"
        # accessible as ours: the banner alone, checked by axe-core
        page.evaluate(AXE.read_text(encoding="utf-8") + "\n;window.axe = axe; true")
        found = page.evaluate("async () => (await axe.run('#portal-publish-status', "
                              "{resultTypes: ['violations']})).violations.map(v => v.id)")
        assert found == []
        # the next run succeeds: gone at the next poll (a minute)
        write(status, True, datetime(2026, 11, 23, 1, 9, tzinfo=UTC))
        page.clock.run_for(30_000)
        expect(alert).to_be_visible()
        page.clock.run_for(31_000)
        expect(page.get_by_role("alert").filter(has_text=BANNER)).to_have_count(0)
        # another failure comes back; closed, it stays closed until the status changes
        write(status, False, datetime(2026, 11, 23, 2, 0, tzinfo=UTC), PROBLEMS[1:])
        page.clock.run_for(61_000)
        expect(alert).to_be_visible()
        expect(items).to_have_count(2)
        alert.get_by_role("button", name="知道了").click()
        expect(alert).to_have_count(0)
        page.clock.run_for(61_000)
        expect(alert).to_have_count(0)
        assert refused == []
    finally:
        context.close()


def test_no_status_file_no_banner(browser: Any, editor: tuple[Server, Path]) -> None:
    """A stage nothing has published to yet, or the local preview: the editor as it was."""
    server, status = editor
    assert not status.exists()
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    try:
        with page.expect_response(lambda r: r.url.endswith("/staff/content/status.json")) as got:
            page.goto(server.url + "staff/content/")
        assert got.value.status == 404
        page.wait_for_timeout(300)
        expect(page.get_by_text(BANNER)).to_have_count(0)
    finally:
        context.close()
