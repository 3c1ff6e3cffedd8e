"""Staff edit content in the browser: Decap CMS at /staff/content/ on the local stack's
decap-server (git mode, a repository of its own), in real Chromium."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from conftest import ROOT, build_site, serve, site_config
from portal_staff import devstack
from portal_staff.editor_local import Publisher, prepare

pytestmark = pytest.mark.browser


@dataclass
class Editor:
    url: str
    repo: Path
    content: Path  # the "checkout's" content/ that published entries are copied into


@pytest.fixture(scope="module")
def editor_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Editor]:
    base = tmp_path_factory.mktemp("editor")
    content = base / "content"
    shutil.copytree(ROOT / "content", content)
    repo = base / "repo"
    prepare(repo, content)
    port = devstack.free_port()
    site_dir = base / "site"
    site_dir.mkdir()
    for server in serve(site_dir):
        proc = devstack.start_decap_server(port, repo, server.url.rstrip("/"))
        os.environ["PORTAL_EDITOR_LOCAL_URL"] = f"http://127.0.0.1:{port}/api/v1"
        try:
            build_site(site_config(base, content, site_dir))
        finally:
            del os.environ["PORTAL_EDITOR_LOCAL_URL"]
        publisher = Publisher(repo, content).start()
        try:
            yield Editor(server.url + "staff/content/", repo, content)
        finally:
            publisher.stop()
            devstack.stop(proc)


@pytest.fixture
def cms(browser: Any, editor_stack: Editor) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None)
    page.goto(editor_stack.url)
    page.get_by_role("button", name="登录").click()
    page.get_by_role("link", name="通知公告").first.wait_for()
    yield page
    context.close()
    # Decap rejects a save the form's checks refused with `undefined` (its own behaviour)
    assert [e for e in errors if e != "undefined"] == []


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True,
                          check=True).stdout


def save(page: Any) -> None:
    page.get_by_role("button", name="保存").click()
    page.get_by_text("修改已保存").first.wait_for()


# collection, entry slug (as Decap names it), the field changed and changed back
def entries() -> list[tuple[str, str, str]]:
    """Every example file staff can open in the editor."""
    content = ROOT / "content"
    out = [("community", "community", "小区简称")]
    for path in sorted((content / "notices").rglob("*.md")):
        out.append(("notices", path.relative_to(content / "notices").with_suffix("").as_posix(), "标题"))
    out += [("handbook", p.stem, "标题") for p in sorted((content / "handbook").glob("*.md"))]
    out += [("events", p.stem, "标题") for p in sorted((content / "events").glob("*.yml"))]
    out += [("reports", p.stem, "公示日期") for p in sorted((content / "reports").glob("*.yml"))]
    out += [("surveys", p.stem, "标题") for p in sorted((content / "surveys").glob("*.yml"))]
    return out


def test_every_example_file_survives_an_edit_and_its_undo(cms: Any, editor_stack: Editor) -> None:
    """Change one field and save: only its line differs from the published file; change it
    back and save: the draft is the published file, byte for byte."""
    repo = editor_stack.repo
    checked = []
    for collection, slug, label in entries():
        if collection == "community":
            cms.goto(editor_stack.url + "#/collections/community/entries/community")
        else:
            cms.goto(editor_stack.url + f"#/collections/{collection}/entries/{slug}")
            cms.reload()  # Decap keeps the previous entry's form on a change of fragment alone
        box = cms.get_by_label(label, exact=True)
        expect(box).not_to_have_value("", timeout=30_000)  # loaded (the input is re-rendered)
        value = box.input_value()
        changed = "2027-01-01" if label == "公示日期" else value + "改"
        box.fill(changed)
        save(cms)
        branch = f"cms/{collection}/{slug}"
        diff = git(repo, "diff", "--unified=0", "main", branch)
        lines = [x for x in diff.splitlines() if x[:1] in "+-" and x[:3] not in ("+++", "---")]
        assert len(lines) == 2 and changed in lines[1], (slug, lines)
        box.fill(value)
        save(cms)
        # the draft is the published file again (and is then dropped as empty)
        undone = subprocess.run(["git", "-C", str(repo), "diff", "main", branch],
                                capture_output=True, text=True)
        gone = undone.returncode == 128 and "unknown revision" in undone.stderr
        assert gone or (undone.returncode == 0 and undone.stdout == ""), (slug, undone.stderr)
        checked.append(slug)
    assert len(checked) == len(entries()) > 80


def test_an_expiry_before_the_publish_date_is_refused_in_the_form(cms: Any, editor_stack: Editor) -> None:
    cms.goto(editor_stack.url + "#/collections/notices/entries/2026/2026-11-23-urgent-water-cut-3-4")
    expires = cms.get_by_label("有效期至", exact=False).first
    expires.wait_for()
    cms.wait_for_function("() => document.querySelector('input[id^=title]')?.value")  # loaded
    expires.fill("2026-11-22T08:00")
    cms.get_by_role("button", name="保存").click()
    cms.get_by_text("有效期必须晚于发布时间").wait_for()
    assert git(editor_stack.repo, "branch", "--list", "cms/notices/2026/2026-11-23-urgent-water-cut-3-4"
               ).strip() == "" or "2026-11-22" not in git(
        editor_stack.repo, "show", "cms/notices/2026/2026-11-23-urgent-water-cut-3-4:"
        "content/notices/2026/2026-11-23-urgent-water-cut-3-4.md")
