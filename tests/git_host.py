"""A stand-in for the git host's REST API (GitHub's paths and answers, as far as the content
editor uses them), on 127.0.0.1, recording every request it gets. GitHub itself is not
reachable from the test machines, and a test must see exactly what the proxy sent.

It keeps blobs, trees, commits, references and pull requests in memory, so a comparison
answers what a commit really changes: the paths of the tree entries it was made from (the
commit `FEATURE` is a developer's branch that changes a script as well as a notice).
"""

from __future__ import annotations

import base64
import hashlib
import http.server
import json
import re
import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

OWNER, NAME = "jinguiyuan", "portal"
MAIN = "a" * 40      # the published branch's head
FEATURE = "f" * 40   # a developer's commit: changes scripts/deploy.py and a notice
ORPHAN = "0" * 40    # a commit with no history in common with main


@dataclass
class Recorded:
    method: str
    path: str                 # raw, as it arrived
    query: str
    headers: dict[str, str]   # lower-case names
    body: Any                 # parsed JSON, or None


@dataclass
class State:
    commits: dict[str, dict[str, Any]] = field(default_factory=dict)
    trees: dict[str, list[str]] = field(default_factory=dict)    # tree sha → changed paths
    refs: dict[str, str] = field(default_factory=dict)
    pulls: dict[int, dict[str, Any]] = field(default_factory=dict)
    labels: dict[int, list[str]] = field(default_factory=dict)
    merged: dict[int, dict[str, Any]] = field(default_factory=dict)


def sha_of(data: Any) -> str:
    return hashlib.sha1(json.dumps(data, sort_keys=True).encode()).hexdigest()


class GitHost:
    def __init__(self) -> None:
        self.calls: list[Recorded] = []
        self.state = State()
        self.state.refs = {"refs/heads/main": MAIN, "refs/heads/feature": FEATURE}
        self.state.commits = {
            MAIN: {"sha": MAIN, "parents": [], "files": []},
            FEATURE: {"sha": FEATURE, "parents": [MAIN],
                      "files": ["content/notices/2026/2026-11-20-x.md", "scripts/deploy.py"]},
            ORPHAN: {"sha": ORPHAN, "parents": [], "files": ["content/a.md"], "orphan": True},
        }
        host = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _serve(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                body = json.loads(raw) if raw else None
                call = Recorded(self.command, parts.path, parts.query,
                                {k.lower(): v for k, v in self.headers.items()}, body)
                host.calls.append(call)
                status, answer, headers = host.answer(call)
                data = json.dumps(answer).encode() if answer is not None else b""
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                # what GitHub sends besides: none of it may reach the browser
                self.send_header("X-RateLimit-Remaining", "4999")
                self.send_header("X-GitHub-Request-Id", "ABCD:1234")
                self.send_header("Set-Cookie", "logged_in=no; domain=github.com")
                self.send_header("Link", f'<{host.url}/repositories/1/pulls?page=2>; rel="next"')
                self.send_header("ETag", '"etag-1"')
                for k, v in headers.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def sent(self, method: str, pattern: str) -> list[Recorded]:
        """The requests with this method whose raw path matches `pattern` (a regex)."""
        return [c for c in self.calls if c.method == method and re.fullmatch(pattern, c.path)]

    # --- GitHub's answers ------------------------------------------------------------------

    def answer(self, call: Recorded) -> tuple[int, Any, dict[str, str]]:
        s, body = self.state, call.body or {}
        prefix = f"/repos/{OWNER}/{NAME}"
        if call.path.startswith("/users/"):
            login = call.path.rsplit("/", 1)[1]
            return 200, {"login": login, "name": None}, {}
        if not call.path.lower().startswith(prefix):  # GitHub's names ignore case
            return 404, {"message": "Not Found"}, {}
        rest, m = call.path[len(prefix):], call.method
        if m == "GET" and rest == "":
            return 200, {"full_name": f"{OWNER}/{NAME}", "owner": {"login": OWNER},
                         "permissions": {"push": True}}, {}
        if m == "GET" and rest.startswith("/git/trees/"):
            return 200, {"sha": "t" * 40, "truncated": False, "tree": [
                {"path": "2026-11-01-lift.md", "type": "blob", "sha": "b" * 40, "size": 10}]}, {}
        if m == "GET" and rest.startswith("/git/blobs/"):
            return 200, {"content": base64.b64encode(b"---\ntitle: x\n---\n").decode(),
                         "encoding": "base64"}, {}
        if m == "GET" and rest.startswith("/contents/"):
            # a host that echoes what it was sent: the proxy must not pass its token on
            return 200, {"received": call.headers}, {}
        if m == "POST" and rest == "/git/blobs":
            return 201, {"sha": sha_of(body)}, {}
        if m == "POST" and rest == "/git/trees":
            sha = sha_of(body)
            s.trees[sha] = [e["path"] for e in body["tree"]]
            # GitHub answers with the new tree's entries, the folders beside content/ too
            top = [{"path": "content", "type": "tree", "sha": "c" * 40},
                   {"path": "scripts", "type": "tree", "sha": "d" * 40},
                   {"path": "mkdocs.yml", "type": "blob", "sha": "e" * 40}]
            return 201, {"sha": sha, "tree": top}, {}
        if m == "POST" and rest == "/git/commits":
            sha = sha_of(body)
            s.commits[sha] = {"sha": sha, "parents": body["parents"],
                              "files": s.trees.get(body["tree"], []), "commit": body}
            return 201, {"sha": sha, **body}, {}
        if m == "POST" and rest == "/git/refs":
            if body["ref"] in s.refs:
                return 422, {"message": "Reference already exists"}, {}
            s.refs[body["ref"]] = body["sha"]
            return 201, {"ref": body["ref"], "object": {"sha": body["sha"]}}, {}
        if rest.startswith("/git/refs/"):
            ref = "refs/" + unquote(rest[len("/git/refs/"):])
            if m == "PATCH":
                s.refs[ref] = body["sha"]
                return 200, {"ref": ref, "object": {"sha": body["sha"]}}, {}
            if m == "DELETE":
                return (204, None, {}) if s.refs.pop(ref, None) else \
                    (422, {"message": "Reference does not exist"}, {})
            if ref in s.refs:
                return 200, {"ref": ref, "object": {"sha": s.refs[ref]}}, {}
            return 404, {"message": "Not Found"}, {}
        if m == "GET" and rest.startswith("/branches/"):
            name = unquote(rest[len("/branches/"):])
            sha = s.refs.get("refs/heads/" + name)
            return (200, {"name": name, "commit": {"sha": sha}}, {}) if sha else \
                (404, {"message": "Branch not found"}, {})
        if m == "GET" and rest.startswith("/compare/"):
            return self.compare(unquote(rest[len("/compare/"):]))
        if m == "GET" and rest == "/commits":
            return 200, [{"sha": MAIN, "commit": {"author": {"name": "editor",
                                                             "date": "2026-11-01T00:00:00Z"}}}], {}
        if rest == "/pulls" and m == "GET":
            return 200, list(s.pulls.values()), {}
        if rest == "/pulls" and m == "POST":
            number = len(s.pulls) + 1
            branch = body["head"].split(":")[-1]
            s.pulls[number] = {"number": number, "title": body["title"], "state": "open",
                               "labels": [], "base": {"ref": body["base"]},
                               "head": {"ref": branch, "sha": s.refs["refs/heads/" + branch],
                                        "repo": {"full_name": f"{OWNER}/{NAME}"}}}
            return 201, s.pulls[number], {}
        found = re.fullmatch(r"/pulls/(\d+)(/commits|/merge)?", rest)
        if found and int(found.group(1)) in s.pulls:
            pull = s.pulls[int(found.group(1))]
            if m == "GET" and not found.group(2):
                return 200, pull, {}
            if m == "PATCH":
                pull.update(body)
                return 200, pull, {}
            if m == "GET" and found.group(2) == "/commits":
                return 200, [{"sha": c, "commit": s.commits[c].get("commit", {})}
                             for c in self.history(pull["head"]["sha"])], {}
            if m == "PUT" and found.group(2) == "/merge":
                if body.get("sha") != pull["head"]["sha"]:
                    return 409, {"message": "Head branch was modified"}, {}
                s.merged[pull["number"]] = body
                return 200, {"merged": True, "sha": "m" * 40}, {}
        found = re.fullmatch(r"/issues/(\d+)/labels", rest)
        if found and m == "PUT":
            s.labels[int(found.group(1))] = body["labels"]
            return 200, [{"name": n} for n in body["labels"]], {}
        return 404, {"message": "Not Found"}, {}

    def history(self, sha: str) -> list[str]:
        """The commits of `sha` not on main, oldest first."""
        out = []
        while sha in self.state.commits and sha != MAIN:
            out.append(sha)
            parents = self.state.commits[sha]["parents"]
            sha = parents[0] if parents else ""
        return out[::-1]

    def compare(self, spec: str) -> tuple[int, Any, dict[str, str]]:
        base, _, head = spec.partition("...")
        head = head.split(":")[-1]
        head = self.state.refs.get("refs/heads/" + head, head)
        if head not in self.state.commits or self.state.commits[head].get("orphan") \
                or base not in ("main", MAIN):
            return 404, {"message": "Not Found"}, {}
        shas = self.history(head)
        files = sorted({p for c in shas for p in self.state.commits[c]["files"]})
        return 200, {"status": "ahead", "base_commit": {"sha": MAIN},
                     "commits": [{"sha": c, "parents": [{"sha": p} for p in
                                                        self.state.commits[c]["parents"]]}
                                 for c in shas],
                     "files": [{"filename": p, "status": "added", "sha": "b" * 40,
                                "patch": "+x"} for p in files]}, {}
