"""The content editor on this machine: decap-server on a git repository of its own.

decap-server (npm) is the editor's local backend. In its git mode it keeps drafts on a
branch per entry (`cms/<collection>/<slug>`) and publishing merges that branch; it commits
with `git add .` and checks branches out in its working tree, so it gets a repository of its
own (`.data/editor/repo`) holding a copy of `content/`, never the developer's checkout.

What is published there (the repository's main branch moves) is copied back into the
checkout's `content/` by `Publisher`, so the live preview shows it within its own figures;
the checkout's git history is left to the developer (the repository's log says who
published what).
"""

from __future__ import annotations

import filecmp
import shutil
import subprocess
import threading
from pathlib import Path

BRANCH = "main"
AUTHOR = ("内容编辑（本机）", "editor@localhost")


class RepoError(RuntimeError):
    """A git command on the editor's repository failed (the message says which)."""


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True)
    if done.returncode != 0:
        raise RepoError(f"git {' '.join(args)} in {repo}: {done.stderr.strip()}")
    return done.stdout


def prepare(repo: Path, content: Path) -> None:
    """The editor's repository, with the checkout's content as its main branch's latest
    commit (drafts on their branches are kept between runs)."""
    if not (repo / ".git").is_dir():
        repo.mkdir(parents=True, exist_ok=True)
        git(repo, "init", "-q", "-b", BRANCH)
    git(repo, "config", "user.name", AUTHOR[0])
    git(repo, "config", "user.email", AUTHOR[1])
    git(repo, "config", "core.quotePath", "false")  # Chinese file names (a 500 otherwise)
    git(repo, "config", "commit.gpgsign", "false")
    git_dir = repo / ".git"
    if (git_dir / "MERGE_HEAD").exists():  # a publish that conflicted: the draft stays a draft
        git(repo, "merge", "--abort")
    if (git_dir / "rebase-merge").exists() or (git_dir / "rebase-apply").exists():
        git(repo, "rebase", "--abort")
    current = git(repo, "branch", "--show-current").strip()
    if current != BRANCH:
        git(repo, "checkout", "-q", BRANCH) if _has_branch(repo, BRANCH) else git(
            repo, "checkout", "-q", "-b", BRANCH)
    target = repo / content.name
    _mirror(content, target)
    git(repo, "add", "-A", content.name)
    if git(repo, "status", "--porcelain"):
        git(repo, "commit", "-q", "-m", "本机 content/ 的当前内容", "--no-verify")


def _has_branch(repo: Path, name: str) -> bool:
    return bool(git(repo, "branch", "--list", name).strip())


def _mirror(source: Path, target: Path) -> None:
    """Make `target` hold exactly the files of `source` (only changed files are written)."""
    wanted = {p.relative_to(source) for p in source.rglob("*") if p.is_file()}
    have = {p.relative_to(target) for p in target.rglob("*") if p.is_file()} if target.exists() else set()
    for rel in have - wanted:
        (target / rel).unlink()
    for rel in sorted(wanted):
        dst = target / rel
        if not dst.exists() or not filecmp.cmp(source / rel, dst, shallow=False):
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source / rel, dst)


class Publisher:
    """Copies what is published in the editor's repository into the checkout's content/."""

    def __init__(self, repo: Path, content: Path, interval: float = 0.1) -> None:
        self.repo, self.content, self.interval = repo, content, interval
        self.seen = self._head()
        self.stamp = self._stamp()
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._loop, name="editor-publisher", daemon=True)

    def start(self) -> Publisher:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.stopped.set()

    def _blob(self, commit: str, name: str) -> bytes | None:
        done = subprocess.run(["git", "-C", str(self.repo), "show", f"{commit}:{name}"],
                              capture_output=True)
        return done.stdout if done.returncode == 0 else None

    def _head(self) -> str:
        return git(self.repo, "rev-parse", BRANCH).strip()

    def _stamp(self) -> tuple[float, ...]:
        """When the repository's refs last changed (a stat, no git process per poll)."""
        git_dir = self.repo / ".git"
        # a commit or checkout on any branch writes HEAD's log: drafts are pruned then too
        paths = (git_dir / "refs" / "heads" / BRANCH, git_dir / "packed-refs",
                 git_dir / "logs" / "HEAD")
        return tuple(p.stat().st_mtime_ns if p.exists() else 0 for p in paths)

    def _loop(self) -> None:
        while not self.stopped.wait(self.interval):
            stamp = self._stamp()
            if stamp == self.stamp:
                continue
            try:
                self.sync()
            except (RepoError, OSError, subprocess.CalledProcessError) as exc:
                # decap-server switching branches, a file in use: the next poll tries again
                print(f"editor: {exc}", flush=True)
                continue
            self.stamp = stamp  # only once the copy went through

    def _merged(self, branch: str) -> bool:
        """Whether `branch`'s last commit is already in the published branch."""
        return subprocess.run(["git", "-C", str(self.repo), "merge-base", "--is-ancestor", branch,
                               BRANCH], capture_output=True).returncode == 0

    def prune(self) -> list[str]:
        """Drop drafts that no longer differ from what is published (an edit undone and
        saved): decap-server answers 500 for such a draft and the workflow page fails."""
        current = git(self.repo, "branch", "--show-current").strip()
        gone = []
        for branch in git(self.repo, "for-each-ref", "--format=%(refname:short)",
                          "refs/heads/cms/").split():
            if branch == current or self._merged(branch):
                continue  # a draft being published: decap-server deletes it itself
            if subprocess.run(["git", "-C", str(self.repo), "diff", "--quiet", BRANCH, branch],
                              capture_output=True).returncode == 0:
                git(self.repo, "branch", "-D", branch)
                subprocess.run(["git", "-C", str(self.repo), "config", "--unset",
                                f"branch.{branch}.description"], capture_output=True)
                gone.append(branch)
        return gone

    def sync(self) -> list[str]:
        """Bring the checkout up to the repository's main branch; the files copied."""
        self.prune()
        head = self._head()
        if head == self.seen:
            return []
        out = git(self.repo, "diff", "--name-status", "--no-renames", "-z", self.seen, head,
                  "--", self.content.name)
        parts = [p for p in out.split("\0") if p]
        changed = []
        for status, name in zip(parts[::2], parts[1::2], strict=True):
            target = self.content / Path(name).relative_to(self.content.name)
            before = self._blob(self.seen, name) if status != "A" else None
            here = target.read_bytes() if target.is_file() else None
            if here is not None and here != before:
                # changed in the checkout since (a developer's edit): never overwritten
                print(f"editor: {name} was changed in {self.content} too; kept yours, the "
                      f"published one is in {self.repo} ({head[:8]})", flush=True)
                continue
            if status == "D":
                target.unlink(missing_ok=True)
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(self._blob(head, name) or b"")
            changed.append(name)
        self.seen = head
        if changed:
            print(f"editor: published {', '.join(changed)}", flush=True)
        return changed
