"""Staff edit content in the browser: Decap CMS at /staff/content/ on the local stack's
decap-server (git mode, a repository of its own), in real Chromium."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from conftest import AXE, ROOT, artifact, build_site, run_axe, serve, site_config
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
    # a clerk in Beijing (the browser's time zone decides how Decap reads dates)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN",
                                  timezone_id="Asia/Shanghai")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None)
    page.goto(editor_stack.url)
    page.get_by_role("button", name="登录").click()
    page.get_by_role("link", name="通知公告").first.wait_for()
    yield page
    context.close()
    # Decap rejects a save the form's checks refused by throwing what it was given
    # (`undefined`, or the list of errors: "Object"), its own behaviour
    assert [e for e in errors if e not in ("undefined", "Object")] == []


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True,
                          check=True).stdout


def save(page: Any) -> None:
    page.get_by_text("含未保存的修改").first.wait_for()  # the form took the change
    page.get_by_role("button", name="保存").click()
    try:
        expect(page.get_by_text("含未保存的修改")).to_have_count(0, timeout=30_000)
    except AssertionError:
        page.screenshot(path=str(artifact("editor-save-failed.png")), full_page=True)
        raise
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
    out += [("decisions", p.stem, "标题") for p in sorted((content / "decisions").glob("*.yml"))
            if p.name != "rules.yml"]
    out += [("public-income", p.stem, "公示日期")
            for p in sorted((content / "public-income").glob("*.yml"))]
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
    # the day is part of the file's name: another day is refused too, saying why
    cms.get_by_label("发布时间").fill("2026-11-25T07:30")
    cms.get_by_role("button", name="保存").click()
    cms.get_by_text("发布时间只能在 2026-11-23 这一天里改").wait_for()
    assert git(editor_stack.repo, "branch", "--list", "cms/notices/2026/2026-11-23-urgent-water-cut-3-4"
               ).strip() == "" or "2026-11-22" not in git(
        editor_stack.repo, "show", "cms/notices/2026/2026-11-23-urgent-water-cut-3-4:"
        "content/notices/2026/2026-11-23-urgent-water-cut-3-4.md")


def pick(page: Any, label: str, *values: str) -> None:
    """Choose values in one of Decap's select boxes, as a person types and presses Enter."""
    box = page.get_by_label(label, exact=False)
    for value in values:
        box.click()
        box.fill(value)
        page.keyboard.press("Enter")


def new_notice(page: Any, url: str, name: str, title: str, date: str, expires: str = "") -> None:
    page.goto(url + "#/collections/notices/new")
    page.reload()
    page.get_by_label("文件名", exact=False).first.fill(name)
    page.get_by_label("标题", exact=True).fill(title)
    page.get_by_label("发布时间").fill(date)
    if expires:
        page.get_by_label("有效期至", exact=False).fill(expires)
    pick(page, "类别", "停水停电")
    pick(page, "发布部门", "工程部")


def set_status(page: Any, status: str) -> None:
    page.get_by_role("button", name=re.compile("^状态")).click()
    page.get_by_role("menuitem", name=status).or_(page.get_by_text(status, exact=True)).first.click()
    page.get_by_role("button", name=re.compile(f"状态: {status}")).wait_for()


def publish(page: Any, url: str, title: str) -> None:
    """From the workflow board: the entry set ready, then published at once."""
    page.goto(url + "#/workflow")
    page.reload()
    page.get_by_text(title).first.click()
    set_status(page, "就绪")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="发布", exact=True).click()
    page.get_by_text("立即发布").click()
    page.get_by_text("立即发布").wait_for(state="detached")


def test_a_clerk_writes_a_notice_and_it_is_published_after_review(
        cms: Any, editor_stack: Editor, tmp_path: Path) -> None:
    """An urgent notice for two buildings with a PDF: the form refuses an expiry before the
    publish date; saved, edited, submitted for review and published, it reaches content/
    (and so the preview); another scheduled for tomorrow, only submitted, does not."""
    url, repo = editor_stack.url, editor_stack.repo
    pdf = tmp_path / "停水安排.pdf"  # as clerks name files
    pdf.write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    # 07:30 in Beijing is the day before in UTC: the file is still named by the day written
    new_notice(cms, url, "water-cut-3-4-night", "3栋、4栋今晚停水通知", "2026-11-23T07:30",
               expires="2026-11-23T07:00")
    pick(cms, "级别", "紧急")
    pick(cms, "涉及楼栋", "3栋", "4栋")
    cms.get_by_role("button", name="新增附件").click()
    cms.get_by_role("button", name="选择文件").click()
    cms.locator("input[type=file]").first.set_input_files(str(pdf))
    cms.get_by_text("停水安排.pdf").first.wait_for()
    cms.get_by_role("button", name="选用已选中项目").click()
    cms.locator("[contenteditable=true], textarea").last.click()
    cms.keyboard.type("因3栋、4栋供水管道维修，今晚22:00至明早6:00停水。")
    cms.get_by_role("button", name="保存").click()
    cms.get_by_text("有效期必须晚于发布时间").wait_for()  # refused in the form, in Chinese
    branch = "cms/notices/2026/2026-11-23-water-cut-3-4-night"
    assert git(repo, "branch", "--list", branch).strip() == ""
    cms.get_by_label("有效期至", exact=False).fill("2026-11-24T06:00")
    save(cms)
    path = "content/notices/2026/2026-11-23-water-cut-3-4-night.md"
    assert git(repo, "show", f"{branch}:{path}") == (
        "---\ntitle: 3栋、4栋今晚停水通知\ndate: 2026-11-23 07:30\nexpires: 2026-11-24 06:00\n"
        "category: 停水停电\nlevel: urgent\nbuildings: [3栋, 4栋]\ndepartment: 工程部\n"
        "attachments: [停水安排.pdf]\n---\n因3栋、4栋供水管道维修，今晚22:00至明早6:00停水。\n")
    assert git(repo, "show", f"{branch}:content/notices/2026/停水安排.pdf").startswith("%PDF")
    # an edit: only its line changes (the saved draft reopens first)
    cms.wait_for_url(re.compile("entries/2026/2026-11-23-water-cut-3-4-night"))
    cms.reload()
    title = cms.get_by_label("标题", exact=True)
    expect(title).to_have_value("3栋、4栋今晚停水通知", timeout=30_000)
    title.fill("紧急：3栋、4栋今晚停水通知")
    save(cms)
    assert "title: 紧急：3栋、4栋今晚停水通知\n" in git(repo, "show", f"{branch}:{path}")
    set_status(cms, "审核中")  # the clerk submits it for review (审核中: in review)

    new_notice(cms, url, "water-cut-5-tomorrow", "5栋明日停水通知", "2026-11-24T09:00")
    cms.locator("[contenteditable=true], textarea").last.click()
    cms.keyboard.type("明天9:00起5栋停水。")
    save(cms)
    set_status(cms, "审核中")
    publish(cms, url, "5栋明日停水通知")  # published now, shown at its time

    # the reviewer publishes the first
    publish(cms, url, "紧急：3栋、4栋今晚停水通知")
    folder = editor_stack.content / "notices" / "2026"
    published = folder / "2026-11-23-water-cut-3-4-night.md"
    for name in (published.name, "2026-11-24-water-cut-5-tomorrow.md"):
        for _ in range(100):
            if (folder / name).exists():
                break
            cms.wait_for_timeout(100)
    assert published.read_text(encoding="utf-8").startswith("---\ntitle: 紧急：3栋、4栋今晚停水通知\n")
    assert (folder / "停水安排.pdf").read_bytes().startswith(b"%PDF")
    assert (folder / "2026-11-24-water-cut-5-tomorrow.md").exists()
    # what the preview builds from content/ at 2026-11-23 09:00: the first listed, the
    # second (tomorrow's) not yet
    site = build_site(site_config(tmp_path, editor_stack.content, tmp_path / "site"))
    notices = site.page("notices/")
    assert "紧急：3栋、4栋今晚停水通知" in notices and "5栋明日停水通知" not in notices
    assert site.exists("notices/2026/11/water-cut-3-4-night/")
    (tmp_path / "later").mkdir()
    later = build_site(site_config(tmp_path / "later", editor_stack.content,
                                   tmp_path / "later" / "site", now="2026-11-24T09:30:00"))
    assert "5栋明日停水通知" in later.page("notices/")


def test_what_the_portal_adds_to_the_editor_is_accessible(cms: Any, editor_stack: Editor) -> None:
    """axe-core on the portal's parts of the editor: the notice preview in the portal's look
    (inside Decap's preview frame), the file-name field and the frame's name. Decap's own
    widgets are Decap's (their findings are not the portal's to fix here)."""
    cms.goto(editor_stack.url + "#/collections/notices/entries/2026/2026-11-23-urgent-water-cut-3-4")
    cms.reload()
    expect(cms.get_by_label("标题", exact=True)).not_to_have_value("", timeout=30_000)
    frame = cms.frame_locator("#preview-pane")
    frame.get_by_role("heading", name=re.compile("紧急通知")).wait_for()
    expect(cms.locator("#preview-pane")).to_have_attribute("title", "预览：业主在网站上看到的样子")
    preview = next(f for f in cms.frames if f != cms.main_frame and f.locator("article").count())
    assert preview.locator(".portal-badge").inner_text() == "紧急"
    preview.evaluate(AXE.read_text(encoding="utf-8") + "\n;window.axe = axe; true")
    found = preview.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']}))"
                             ".violations.filter(v => ['serious', 'critical'].includes(v.impact))"
                             ".map(v => v.id)")
    assert found == []
    ours = [(v["id"], n["target"]) for v in run_axe(cms) for n in v["nodes"]
            if any(str(t).startswith(("#file_name", "#preview-pane")) for t in n["target"])]
    assert ours == []
