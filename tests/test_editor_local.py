"""The editor's local repository: prepared from content/, and what is published there
copied back into content/ (staff/portal_staff/editor_local.py), with real git."""

from __future__ import annotations

import subprocess
from pathlib import Path

from portal_staff.editor_local import Publisher, git, prepare


def commit(repo: Path, message: str) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)


def test_the_repository_starts_as_the_checkouts_content(tmp_path: Path) -> None:
    content = tmp_path / "content"
    (content / "notices" / "2026").mkdir(parents=True)
    (content / "community.yml").write_text("name: 金桂苑\n", encoding="utf-8")
    (content / "notices" / "2026" / "2026-12-01-a.md").write_text("---\ntitle: 甲\n---\n", encoding="utf-8")
    repo = tmp_path / "repo"
    prepare(repo, content)
    assert git(repo, "show", "main:content/community.yml") == "name: 金桂苑\n"
    assert git(repo, "config", "core.quotePath").strip() == "false"
    # a second start with nothing changed commits nothing; a changed checkout is taken in
    head = git(repo, "rev-parse", "main")
    prepare(repo, content)
    assert git(repo, "rev-parse", "main") == head
    (content / "notices" / "2026" / "2026-12-01-a.md").unlink()
    prepare(repo, content)
    assert "2026-12-01-a.md" not in git(repo, "ls-tree", "-r", "--name-only", "main")


def test_what_is_published_reaches_content_and_nothing_else(tmp_path: Path) -> None:
    content = tmp_path / "content"
    (content / "notices").mkdir(parents=True)
    (content / "community.yml").write_text("name: 金桂苑\n", encoding="utf-8")
    (content / "notices" / "old.md").write_text("旧\n", encoding="utf-8")
    repo = tmp_path / "repo"
    prepare(repo, content)
    publisher = Publisher(repo, content)
    # a draft on its branch is not published
    git(repo, "checkout", "-q", "-b", "cms/notices/new")
    (repo / "content" / "notices" / "new.md").write_text("新\n", encoding="utf-8")
    commit(repo, "draft")
    git(repo, "checkout", "-q", "main")
    assert publisher.sync() == []
    assert not (content / "notices" / "new.md").exists()
    # publishing merges it: added, changed and removed files follow
    git(repo, "merge", "-q", "--no-edit", "cms/notices/new")
    (repo / "content" / "notices" / "old.md").unlink()
    (repo / "content" / "community.yml").write_text("name: 金桂苑二期\n", encoding="utf-8")
    commit(repo, "publish")
    assert sorted(publisher.sync()) == ["content/community.yml", "content/notices/new.md",
                                        "content/notices/old.md"]
    assert (content / "notices" / "new.md").read_text(encoding="utf-8") == "新\n"
    assert not (content / "notices" / "old.md").exists()
    assert (content / "community.yml").read_text(encoding="utf-8") == "name: 金桂苑二期\n"
    assert publisher.sync() == []


def test_a_draft_equal_to_what_is_published_is_dropped(tmp_path: Path) -> None:
    """decap-server answers 500 for such a draft (an edit undone and saved): it goes."""
    content = tmp_path / "content"
    content.mkdir()
    (content / "community.yml").write_text("name: 金桂苑\n", encoding="utf-8")
    repo = tmp_path / "repo"
    prepare(repo, content)
    for name, undone in (("cms/community/community", True), ("cms/notices/kept", False)):
        git(repo, "checkout", "-q", "-b", name)
        (repo / "content" / "x.md").write_text("x\n", encoding="utf-8")
        commit(repo, "draft")
        if undone:  # the edit changed back and saved again
            (repo / "content" / "x.md").unlink()
            commit(repo, "draft undone")
        git(repo, "checkout", "-q", "main")
    assert Publisher(repo, content).prune() == ["cms/community/community"]
    branches = subprocess.run(["git", "-C", str(repo), "branch"], capture_output=True, text=True,
                              check=True).stdout
    assert "cms/notices/kept" in branches and "cms/community/community" not in branches


def test_a_developers_edit_in_content_is_never_overwritten(tmp_path: Path) -> None:
    content = tmp_path / "content"
    content.mkdir()
    (content / "a.md").write_text("原文\n", encoding="utf-8")
    repo = tmp_path / "repo"
    prepare(repo, content)
    publisher = Publisher(repo, content)
    (content / "a.md").write_text("开发者改的\n", encoding="utf-8")  # not yet in the editor
    (repo / "content" / "a.md").write_text("编辑器发布的\n", encoding="utf-8")
    (repo / "content" / "b.md").write_text("新\n", encoding="utf-8")
    commit(repo, "publish")
    assert publisher.sync() == ["content/b.md"]
    assert (content / "a.md").read_text(encoding="utf-8") == "开发者改的\n"
    assert (content / "b.md").read_text(encoding="utf-8") == "新\n"


def test_a_draft_being_published_is_left_to_decap_server(tmp_path: Path) -> None:
    """Right after the merge its branch equals main: decap-server deletes it; the publisher
    must not (or decap-server's own delete fails and the clerk sees an error)."""
    content = tmp_path / "content"
    content.mkdir()
    (content / "a.md").write_text("甲\n", encoding="utf-8")
    repo = tmp_path / "repo"
    prepare(repo, content)
    git(repo, "checkout", "-q", "-b", "cms/notices/x")
    (repo / "content" / "x.md").write_text("乙\n", encoding="utf-8")
    commit(repo, "draft")
    git(repo, "checkout", "-q", "main")
    git(repo, "merge", "-q", "--no-edit", "cms/notices/x")
    assert Publisher(repo, content).prune() == []
    git(repo, "branch", "-d", "cms/notices/x")  # what decap-server does next, and can


def test_a_publish_that_stopped_in_a_conflict_does_not_stop_the_next_start(tmp_path: Path) -> None:
    content = tmp_path / "content"
    content.mkdir()
    (content / "a.md").write_text("甲\n", encoding="utf-8")
    repo = tmp_path / "repo"
    prepare(repo, content)
    git(repo, "checkout", "-q", "-b", "cms/notices/a")
    (repo / "content" / "a.md").write_text("草稿\n", encoding="utf-8")
    commit(repo, "draft")
    git(repo, "checkout", "-q", "main")
    (repo / "content" / "a.md").write_text("另一版\n", encoding="utf-8")
    commit(repo, "other")
    subprocess.run(["git", "-C", str(repo), "merge", "cms/notices/a"], capture_output=True)
    assert (repo / ".git" / "MERGE_HEAD").exists()
    prepare(repo, content)  # aborts it, then takes the checkout's content as before
    assert not (repo / ".git" / "MERGE_HEAD").exists()
    assert git(repo, "show", "main:content/a.md") == "甲\n"
    assert "cms/notices/a" in git(repo, "branch", "--list", "cms/notices/a")
