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
    for name, change in (("cms/community/community", False), ("cms/notices/kept", True)):
        git(repo, "checkout", "-q", "-b", name)
        if change:
            (repo / "content" / "x.md").write_text("x\n", encoding="utf-8")
            commit(repo, "draft")
        git(repo, "checkout", "-q", "main")
    assert Publisher(repo, content).prune() == ["cms/community/community"]
    branches = subprocess.run(["git", "-C", str(repo), "branch"], capture_output=True, text=True,
                              check=True).stdout
    assert "cms/notices/kept" in branches and "cms/community/community" not in branches
