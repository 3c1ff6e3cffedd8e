"""The content editor's git proxy (staff_api/git_proxy.py over portal_domain.git_proxy).

Driven with real HTTP on both sides: the Lambda handler is served the way API Gateway's
REST API calls it (`ANY /{proxy+}`, the path still percent-encoded, the body base64), and
the proxy calls a recording stand-in for the git host's REST API on 127.0.0.1
(tests/git_host.py; GitHub is not reachable from the test machines). Tokens come from the
test issuer and are checked by the staff API's own verifier, configured from the
environment as in production. The decision itself (`decide`) is also tested on its own.
"""

from __future__ import annotations

import base64
import http.server
import importlib.util
import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

import pytest
from git_host import FEATURE, MAIN, NAME, ORPHAN, OWNER, GitHost
from issuer import forged

from conftest import ROOT
from portal_domain import git_proxy
from portal_domain.auth import Forbidden, Staff, use_verifier
from portal_domain.errors import Invalid
from portal_domain.git_proxy import ProxySettings, Request, decide

if TYPE_CHECKING:
    from issuer import TestIssuer

SECRET = "ghp_TheProxysOwnTokenNeverLeaves0123456789"
ORIGIN = "https://portal.example.cn"
REPO = f"/repos/{OWNER}/{NAME}"
BLOB = "b" * 40


def adapter() -> Any:
    """staff_api/git_proxy.py, the Lambda function's module."""
    import sys

    if "staff_git_proxy" not in sys.modules:
        spec = importlib.util.spec_from_file_location("staff_git_proxy",
                                                      ROOT / "staff_api" / "git_proxy.py")
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules["staff_git_proxy"] = module
        spec.loader.exec_module(module)
    return sys.modules["staff_git_proxy"]


class ApiGateway:
    """The Lambda handler behind HTTP, as API Gateway's REST API invokes it."""

    def __init__(self) -> None:
        handler = adapter().handler

        class Handler(http.server.BaseHTTPRequestHandler):
            def _serve(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                query = parse_qs(parts.query, keep_blank_values=True) or None
                # the stage (/git) is part of the address, not of the event's path
                event = {"resource": "/{proxy+}", "path": parts.path.removeprefix("/git"),
                         "httpMethod": self.command,
                         "headers": dict(self.headers.items()),
                         "queryStringParameters": {k: v[-1] for k, v in query.items()}
                         if query else None,
                         "multiValueQueryStringParameters": query,
                         "requestContext": {"stage": "git", "path": parts.path},
                         "body": base64.b64encode(raw).decode() if raw else None,
                         "isBase64Encoded": bool(raw)}
                out = handler(event, None)
                data = base64.b64decode(out["body"]) if out["isBase64Encoded"] \
                    else out["body"].encode()
                self.send_response(out["statusCode"])
                for k, v in out["headers"].items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _serve

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/git"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    raw: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.raw)


@dataclass
class Editor:
    """Decap's side: calls through the proxy with a staff token, keeping every answer."""

    proxy: ApiGateway
    host: GitHost
    issuer: TestIssuer
    answers: list[Answer] = field(default_factory=list)

    def token(self, *groups: str, username: str = "li.clerk", **claims: Any) -> str:
        return self.issuer.token(list(groups), username=username, **claims)

    def call(self, method: str, path: str, token: str | None, body: Any = None,
             headers: dict[str, str] | None = None) -> Answer:
        url = self.proxy.url + path
        sent = {"Origin": ORIGIN, "Content-Type": "application/json; charset=utf-8",
                **(headers or {})}
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(url, data=data, method=method, headers=sent)
        try:
            with urllib.request.urlopen(req, timeout=20) as got:
                answer = Answer(got.status, dict(got.headers.items()), got.read())
        except urllib.error.HTTPError as err:
            with err:
                answer = Answer(err.code, dict(err.headers.items()), err.read())
        self.answers.append(answer)
        return answer


@pytest.fixture
def editor(issuer: TestIssuer, monkeypatch: pytest.MonkeyPatch) -> Iterator[Editor]:
    """The proxy configured as on AWS (environment), against the stand-in git host."""
    host, gateway = GitHost(), ApiGateway()
    env = {"STAGE": "local", "OIDC_ISSUER": issuer.url, "OIDC_CLIENT_ID": issuer.client_id,
           "OIDC_JWKS_URL": issuer.url + "/.well-known/jwks.json",
           "EDITOR_REPO": f"{OWNER}/{NAME}", "EDITOR_BRANCH": "main",
           "EDITOR_GIT_API": host.url, "EDITOR_GIT_TOKEN": SECRET, "CORS_ORIGIN": ORIGIN}
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    monkeypatch.setattr(adapter(), "_proxy", None)
    use_verifier(None)  # built from the environment, as on AWS
    try:
        yield Editor(gateway, host, issuer)
    finally:
        use_verifier(None)
        gateway.close()
        host.close()


def no_secret_in(answers: list[Answer]) -> None:
    for a in answers:
        assert SECRET not in a.raw.decode("utf-8", "replace")
        assert SECRET not in json.dumps(a.headers)
        assert not {"X-RateLimit-Remaining", "X-GitHub-Request-Id", "Set-Cookie", "Link",
                    "Location"} & set(a.headers), a.headers


def draft(e: Editor, token: str, slug: str = "water-cut",
          path: str = "content/notices/2026/2026-11-23-water-cut.md") -> dict[str, Any]:
    """What Decap does to save a new entry in the editorial workflow; the calls' answers."""
    blob = e.call("POST", f"{REPO}/git/blobs", token,
                  {"content": base64.b64encode("---\ntitle: 停水\n---\n".encode()).decode(),
                   "encoding": "base64"})
    assert blob.status == 201, blob.raw
    branch = e.call("GET", f"{REPO}/branches/main", token)
    assert branch.status == 200 and branch.json["commit"]["sha"] == MAIN
    tree = e.call("POST", f"{REPO}/git/trees", token, {"base_tree": MAIN, "tree": [
        {"path": path, "mode": "100644", "type": "blob", "sha": blob.json["sha"]}]})
    assert tree.status == 201, tree.raw
    commit = e.call("POST", f"{REPO}/git/commits", token,
                    {"message": "Create notice “water-cut”", "tree": tree.json["sha"],
                     "parents": [MAIN]})
    assert commit.status == 201, commit.raw
    ref = e.call("POST", f"{REPO}/git/refs", token,
                 {"ref": f"refs/heads/cms/notices/{slug}", "sha": commit.json["sha"]})
    assert ref.status == 201, ref.raw
    pull = e.call("POST", f"{REPO}/pulls", token,
                  {"title": "Create notice “water-cut”", "body": "Automatically generated",
                   "head": f"{OWNER}:cms/notices/{slug}", "base": "main"})
    assert pull.status == 201, pull.raw
    labels = e.call("PUT", f"{REPO}/issues/{pull.json['number']}/labels", token,
                    {"labels": ["decap-cms/draft"]})
    assert labels.status == 200, labels.raw
    return {"commit": commit.json["sha"], "number": pull.json["number"]}


# --- through HTTP ----------------------------------------------------------------------------

def test_a_clerks_draft_reaches_the_git_host_in_her_name(editor: Editor) -> None:
    clerk = editor.token("clerk", username="li.clerk")
    made = draft(editor, clerk)
    host = editor.host
    commit = host.sent("POST", f"{REPO}/git/commits")[0].body
    me = {"name": "li.clerk", "email": "li.clerk@staff.invalid"}
    assert commit["author"] == commit["committer"] == me
    assert commit["message"] == "Create notice “water-cut”"
    # the branch was checked against what it changes before it was created
    compare = host.sent("GET", rf"{REPO}/compare/main\.\.\.{made['commit']}")
    refs = host.sent("POST", f"{REPO}/git/refs")
    assert compare and refs and host.calls.index(compare[0]) < host.calls.index(refs[0])
    assert host.state.refs["refs/heads/cms/notices/water-cut"] == made["commit"]
    assert host.state.labels[made["number"]] == ["decap-cms/draft"]
    # the proxy's own token upstream, the staff token never
    for call in host.calls:
        assert call.headers["authorization"] == f"token {SECRET}"
    assert "Bearer" not in json.dumps([c.headers for c in host.calls])
    no_secret_in(editor.answers)


def test_reads_pass_with_their_path_query_and_accept_as_sent(editor: Editor) -> None:
    clerk = editor.token("clerk")
    draft(editor, clerk)
    r = editor.call("GET", f"{REPO}/git/trees/main:content/notices?recursive=1", clerk)
    assert r.status == 200 and r.json["tree"][0]["path"] == "2026-11-01-lift.md"
    assert r.headers["Access-Control-Allow-Origin"] == ORIGIN and r.headers["ETag"] == '"etag-1"'
    r = editor.call("GET", f"{REPO}/git/trees/cms/notices/water-cut:content%2Fnotices%2F2026",
                    clerk)
    assert r.status == 200
    r = editor.call("GET", f"{REPO}/branches/cms%2Fnotices%2Fwater-cut", clerk,
                    headers={"Accept": "application/vnd.github.v3+json"})
    assert r.status == 200
    r = editor.call("GET", f"{REPO}/commits?path=content%2Fnotices%2F2026%2Fa.md&sha=main", clerk)
    assert r.status == 200
    host = editor.host
    assert host.sent("GET", f"{REPO}/git/trees/main:content/notices")[0].query == "recursive=1"
    assert host.sent("GET", f"{REPO}/git/trees/cms/notices/water-cut:content%2Fnotices%2F2026")
    branch = host.sent("GET", f"{REPO}/branches/cms%2Fnotices%2Fwater-cut")  # still encoded
    assert branch and branch[0].headers["accept"] == "application/vnd.github.v3+json"
    assert host.sent("GET", f"{REPO}/commits")[0].query == "path=content%2Fnotices%2F2026%2Fa.md&sha=main"


def test_editing_a_draft_moves_only_its_branch(editor: Editor) -> None:
    clerk = editor.token("clerk")
    made = draft(editor, clerk)
    tree = editor.call("POST", f"{REPO}/git/trees", clerk, {"base_tree": MAIN, "tree": [
        {"path": "content/notices/2026/2026-11-23-water-cut.md", "mode": "100644",
         "type": "blob", "sha": BLOB}]})
    commit = editor.call("POST", f"{REPO}/git/commits", clerk,
                         {"message": "Update", "tree": tree.json["sha"], "parents": [made["commit"]]})
    r = editor.call("PATCH", f"{REPO}/git/refs/heads/cms%2Fnotices%2Fwater-cut", clerk,
                    {"sha": commit.json["sha"], "force": True})
    assert r.status == 200, r.raw
    assert editor.host.sent("PATCH", f"{REPO}/git/refs/heads/cms%2Fnotices%2Fwater-cut")
    r = editor.call("DELETE", f"{REPO}/git/refs/heads/cms%2Fnotices%2Fwater-cut", clerk)
    assert r.status == 204


@pytest.mark.parametrize(("path", "entry", "says"), [
    ("mkdocs.yml", {}, "'mkdocs.yml' is outside content/"),
    (".github/workflows/deploy.yml", {}, "'.github/workflows/deploy.yml' is outside content/"),
    ("content/../scripts/deploy.py", {}, "outside content/"),
    ("contents/x.md", {}, "outside content/"),
    ("/content/notices/x.md", {}, "outside content/"),
    ("content", {}, "'content' is outside content/"),
    ("content/.git/config", {}, "outside content/"),
    ("content/notices/evil.md", {"mode": "120000"}, "never links"),
    ("content/notices/run.sh", {"mode": "100755"}, "never links"),
    ("content/sub", {"mode": "160000", "type": "commit"}, "submodules"),
])
def test_a_tree_entry_outside_content_is_refused_and_nothing_is_sent(
        editor: Editor, path: str, entry: dict[str, str], says: str) -> None:
    clerk = editor.token("clerk")
    r = editor.call("POST", f"{REPO}/git/trees", clerk, {"base_tree": MAIN, "tree": [
        {"path": "content/notices/2026/ok.md", "mode": "100644", "type": "blob", "sha": BLOB},
        {"path": path, "mode": "100644", "type": "blob", "sha": BLOB, **entry}]})
    assert r.status == 403 and r.json["code"] == "forbidden", r.raw
    assert says in r.json["message"]
    assert editor.host.calls == []


@pytest.mark.parametrize("path", [
    f"{REPO}/git/trees/main",                              # the whole repository
    f"{REPO}/git/trees/main:scripts",
    f"{REPO}/git/trees/main:",
    f"{REPO}/git/trees/main:content%2F..%2Fscripts",
    f"{REPO}/git/trees/main:content/../scripts",
    f"{REPO}/contents/mkdocs.yml",
    f"{REPO}/contents/content%2F..%2Fmkdocs.yml",
    f"{REPO}/commits",
    f"{REPO}/commits?path=scripts/deploy.py",
    f"{REPO}/commits?path=content/a.md&path=scripts/deploy.py",
    f"{REPO}/commits?path[]=content/a.md",
])
def test_reads_outside_content_are_refused(editor: Editor, path: str) -> None:
    r = editor.call("GET", path, editor.token("clerk", "manager"))
    assert r.status == 403, r.raw
    assert editor.host.calls == []


def test_a_clerk_cannot_publish_or_move_the_published_branch(editor: Editor) -> None:
    clerk = editor.token("clerk")
    made = draft(editor, clerk)
    before = len(editor.host.calls)
    r = editor.call("PUT", f"{REPO}/pulls/{made['number']}/merge", clerk,
                    {"commit_message": "Automatically generated. Merged on Decap CMS.",
                     "sha": made["commit"], "merge_method": "squash"})
    assert r.status == 403 and "Only a manager publishes" in r.json["message"]
    for path in (f"{REPO}/git/refs/heads/main", f"{REPO}/git/refs/heads%2Fmain"):
        r = editor.call("PATCH", path, clerk, {"sha": made["commit"], "force": False})
        assert r.status == 403, r.raw
    r = editor.call("POST", f"{REPO}/git/refs", clerk,
                    {"ref": "refs/heads/main-copy", "sha": made["commit"]})
    assert r.status == 403 and "only its draft branches" in r.json["message"]
    r = editor.call("DELETE", f"{REPO}/git/refs/heads/main", clerk)
    assert r.status == 403
    assert len(editor.host.calls) == before and not editor.host.state.merged
    assert editor.host.state.refs["refs/heads/main"] == MAIN


def test_a_manager_publishes_and_the_merge_names_both(editor: Editor) -> None:
    made = draft(editor, editor.token("clerk", username="li.clerk"))
    boss = editor.token("manager", username="wang.jingli")
    r = editor.call("PUT", f"{REPO}/pulls/{made['number']}/merge", boss,
                    {"commit_message": "Automatically generated. Merged on Decap CMS.",
                     "sha": made["commit"], "merge_method": "squash"})
    assert r.status == 200 and r.json["merged"] is True, r.raw
    merge = editor.host.state.merged[made["number"]]
    assert merge["sha"] == made["commit"] and merge["merge_method"] == "squash"
    assert merge["commit_message"] == (
        "Automatically generated. Merged on Decap CMS.\n\n"
        "Published by wang.jingli <wang.jingli@staff.invalid>\n\n"
        "Co-authored-by: li.clerk <li.clerk@staff.invalid>")
    # it read the pull request and what it changes before merging
    order = [(c.method, c.path) for c in editor.host.calls[-4:]]
    assert order == [("GET", f"{REPO}/pulls/{made['number']}"),
                     ("GET", f"{REPO}/compare/main...{made['commit']}"),
                     ("GET", f"{REPO}/pulls/{made['number']}/commits"),
                     ("PUT", f"{REPO}/pulls/{made['number']}/merge")]
    r = editor.call("DELETE", f"{REPO}/git/refs/heads/cms%2Fnotices%2Fwater-cut", boss)
    assert r.status == 204


def test_nothing_outside_content_reaches_a_branch_or_a_merge(editor: Editor) -> None:
    """A draft branch may not be pointed at a commit that changes anything else (here a
    developer's commit that also changes a script), nor at one without common history,
    and a review of such a branch is never merged."""
    clerk, boss = editor.token("clerk"), editor.token("manager", username="boss")
    r = editor.call("POST", f"{REPO}/git/refs", clerk,
                    {"ref": "refs/heads/cms/notices/sneaky", "sha": FEATURE})
    assert r.status == 403 and "'scripts/deploy.py'" in r.json["message"], r.raw
    r = editor.call("PATCH", f"{REPO}/git/refs/heads/main", boss, {"sha": FEATURE, "force": False})
    assert r.status == 403 and "'scripts/deploy.py'" in r.json["message"]
    r = editor.call("POST", f"{REPO}/git/refs", clerk,
                    {"ref": "refs/heads/cms/notices/orphan", "sha": ORPHAN})
    assert r.status == 422 and r.json["code"] == "unverifiable"
    assert set(editor.host.state.refs) == {"refs/heads/main", "refs/heads/feature"}
    # a review whose branch got there some other way is still not published
    made = draft(editor, clerk)
    editor.host.state.refs["refs/heads/cms/notices/water-cut"] = FEATURE
    editor.host.state.pulls[made["number"]]["head"]["sha"] = FEATURE
    r = editor.call("PUT", f"{REPO}/pulls/{made['number']}/merge", boss,
                    {"sha": FEATURE, "merge_method": "merge"})
    assert r.status == 403 and "'scripts/deploy.py'" in r.json["message"]
    # nor one from a fork, nor one whose branch is not a draft's
    pull = editor.host.state.pulls[made["number"]]
    pull["head"] = {"ref": "cms/notices/water-cut", "sha": made["commit"],
                    "repo": {"full_name": f"someone/{NAME}"}}
    r = editor.call("PUT", f"{REPO}/pulls/{made['number']}/merge", boss, {})
    assert r.status == 403 and "of jinguiyuan/portal" in r.json["message"]
    pull["head"] = {"ref": "feature", "sha": made["commit"], "repo": {"full_name": f"{OWNER}/{NAME}"}}
    r = editor.call("PUT", f"{REPO}/pulls/{made['number']}/merge", boss, {})
    assert r.status == 403 and "from a draft branch" in r.json["message"]
    assert not editor.host.state.merged


def test_a_manager_moves_the_published_branch_but_never_by_force(editor: Editor) -> None:
    boss = editor.token("manager", username="boss")
    tree = editor.call("POST", f"{REPO}/git/trees", boss, {"base_tree": MAIN, "tree": [
        {"path": "content/notices/2026/old.md", "mode": "100644", "type": "blob", "sha": None}]})
    commit = editor.call("POST", f"{REPO}/git/commits", boss,
                         {"message": "Delete notice", "tree": tree.json["sha"], "parents": [MAIN]})
    r = editor.call("PATCH", f"{REPO}/git/refs/heads/main", boss,
                    {"sha": commit.json["sha"], "force": True})
    assert r.status == 403 and "never moved by force" in r.json["message"]
    r = editor.call("PATCH", f"{REPO}/git/refs/heads/main", boss,
                    {"sha": commit.json["sha"], "force": False})
    assert r.status == 200, r.raw
    assert editor.host.state.refs["refs/heads/main"] == commit.json["sha"]


def test_answers_name_no_file_outside_content(editor: Editor) -> None:
    """A comparison lists only content/ files, and a new tree only its content/ entry: no
    answer gives away the id of a file (or folder) elsewhere, which could be read by id."""
    clerk = editor.token("clerk")
    r = editor.call("GET", f"{REPO}/compare/main...{FEATURE}", clerk)
    assert r.status == 200
    assert [f["filename"] for f in r.json["files"]] == ["content/notices/2026/2026-11-20-x.md"]
    r = editor.call("POST", f"{REPO}/git/trees", clerk, {"base_tree": MAIN, "tree": [
        {"path": "content/a.md", "mode": "100644", "type": "blob", "sha": BLOB}]})
    assert r.status == 201 and [e["path"] for e in r.json["tree"]] == ["content"]
    assert len(r.json["sha"]) == 40  # what Decap uses of it


def test_tokens_the_staff_api_refuses_are_refused(editor: Editor) -> None:
    for what, token in forged(editor.issuer).items():
        r = editor.call("GET", f"{REPO}/git/trees/main:content", token)
        assert r.status == 401, (what, r.raw)
        assert r.json["code"] == "unauthorized" and "Bearer" in r.headers["WWW-Authenticate"]
        assert r.headers["Access-Control-Allow-Origin"] == ORIGIN  # Decap can read why
    for groups in ([], ["department-engineering"], ["department-security"]):
        r = editor.call("GET", f"{REPO}/git/trees/main:content", editor.token(*groups))
        assert r.status == 403 and r.json["code"] == "forbidden", (groups, r.raw)
    assert editor.host.calls == []


def test_other_repositories_and_other_calls_are_refused(editor: Editor) -> None:
    both = editor.token("clerk", "manager")
    for method, path in [("GET", "/repos/jinguiyuan/other/git/trees/main:content"),
                         ("GET", "/repos/someone/portal"),
                         ("POST", "/repos/jinguiyuan/other/git/blobs"),
                         ("GET", "/repos/jinguiyuan%2Fportal/git/trees/main:content"),
                         ("GET", f"{REPO}/actions/secrets"),
                         ("DELETE", REPO),
                         ("PATCH", REPO),
                         ("GET", f"{REPO}/git%2Ftrees/main:content"),
                         ("GET", "/search/issues?q=repo"),
                         ("GET", "/user"),
                         ("POST", f"{REPO}/forks"),
                         ("POST", f"{REPO}/git/refs/heads/cms%2Fx")]:
        r = editor.call(method, path, both, {} if method != "GET" else None)
        assert r.status == 403, (method, path, r.raw)
    assert editor.host.calls == []
    r = editor.call("GET", f"/repos/{OWNER.upper()}/{NAME}", both)
    assert r.status == 200 and editor.call("GET", "/users/portal", both).status == 200


def test_the_git_host_token_never_reaches_the_browser(editor: Editor) -> None:
    clerk = editor.token("clerk")
    draft(editor, clerk)
    r = editor.call("GET", f"{REPO}/contents/content/community.yml?ref=main", clerk)
    assert r.status == 200 and "[redacted]" in r.json["received"]["authorization"]
    editor.call("GET", f"{REPO}/pulls?state=open&base=main&per_page=100", clerk)
    editor.call("GET", f"{REPO}/branches/cms%2Fnotices%2Fnone", clerk)   # the host's 404
    editor.call("POST", f"{REPO}/git/refs", clerk, {"ref": "refs/heads/cms/notices/water-cut",
                                                    "sha": MAIN})          # the host's 422
    assert len(editor.answers) > 10
    no_secret_in(editor.answers)


def test_cors_preflights_only_for_the_portal(editor: Editor) -> None:
    path = f"{REPO}/git/trees/main:content"
    r = editor.call("OPTIONS", path, None, headers={
        "Access-Control-Request-Method": "PATCH",
        "Access-Control-Request-Headers": "authorization,content-type"})
    assert r.status == 204 and r.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "PATCH" in r.headers["Access-Control-Allow-Methods"]
    assert "Authorization" in r.headers["Access-Control-Allow-Headers"]
    for other in ("https://evil.example", "null", ORIGIN + ".evil.example", "http://portal.example.cn"):
        r = editor.call("OPTIONS", path, None, headers={"Origin": other})
        assert r.status == 403 and "Access-Control-Allow-Origin" not in r.headers, other
        r = editor.call("GET", path, editor.token("clerk"), headers={"Origin": other})
        assert r.status == 403 and "Access-Control-Allow-Origin" not in r.headers, other
    assert editor.host.calls == []


@pytest.mark.parametrize("unset", ["OIDC_ISSUER", "OIDC_CLIENT_ID", "STAGE"])
def test_without_the_sign_in_configuration_every_call_is_refused(
        editor: Editor, monkeypatch: pytest.MonkeyPatch, unset: str) -> None:
    monkeypatch.delenv(unset)
    r = editor.call("GET", f"{REPO}/git/trees/main:content", editor.token("clerk"))
    assert r.status == 503 and r.json["code"] == "not_configured"
    assert editor.host.calls == []


@pytest.mark.parametrize(("name", "value"), [
    ("EDITOR_GIT_TOKEN", None), ("EDITOR_REPO", None), ("CORS_ORIGIN", None),
    ("EDITOR_REPO", "no-slash"), ("EDITOR_BRANCH", "cms/notices/x"),
])
def test_without_the_proxys_own_configuration_every_call_is_refused(
        editor: Editor, monkeypatch: pytest.MonkeyPatch, name: str, value: str | None) -> None:
    if value is None:
        monkeypatch.delenv(name)
    else:
        monkeypatch.setenv(name, value)
    r = editor.call("GET", f"{REPO}/git/trees/main:content", editor.token("clerk"))
    assert r.status == 503 and r.json["code"] == "not_configured"
    assert editor.host.calls == []


def test_an_unreachable_git_host_is_a_502(editor: Editor) -> None:
    editor.host.close()
    r = editor.call("GET", f"{REPO}/git/trees/main:content", editor.token("clerk"))
    assert r.status == 502 and r.json["code"] == "upstream_unreachable"


# --- the decision on its own -----------------------------------------------------------------

SETTINGS = ProxySettings(f"{OWNER}/{NAME}", "main", "https://api.github.com", SECRET, ORIGIN,
                         "dev")
CLERK = Staff("li.clerk", frozenset({"clerk"}))
MANAGER = Staff("boss", frozenset({"manager"}))
DEPARTMENT = Staff("gong", frozenset({"department"}), "工程部")


def ask(method: str, path: str, staff: Staff = CLERK, body: Any = None) -> git_proxy.Decision:
    target = urlsplit(path)
    return decide(Request(method, target.path, target.query, {},
                          json.dumps(body).encode() if body is not None else b""),
                  staff, SETTINGS)


@pytest.mark.parametrize(("method", "path", "body"), [
    ("GET", REPO, None),
    ("GET", f"/repos/{OWNER.upper()}/{NAME}", None),
    ("GET", f"{REPO}/git/trees/main:content/notices?recursive=1", None),
    ("GET", f"{REPO}/git/trees/{MAIN}:content", None),
    ("GET", f"{REPO}/git/trees/cms/notices/x:content%2Fnotices", None),
    ("GET", f"{REPO}/git/blobs/{BLOB}", None),
    ("GET", f"{REPO}/commits?path=content/notices/a.md&sha=main", None),
    ("GET", f"{REPO}/commits/{MAIN}/status", None),
    ("GET", f"{REPO}/branches/cms%2Fnotices%2Fx", None),
    ("GET", f"{REPO}/compare/main...{OWNER}:cms/notices/x", None),
    ("GET", f"{REPO}/compare/main...{OWNER}%3Acms%2Fnotices%2Fx", None),
    ("GET", f"{REPO}/contents/content/community.yml?ref=main", None),
    ("GET", f"{REPO}/git/refs/meta/_decap_cms", None),
    ("GET", f"{REPO}/git/matching-refs/heads/cms", None),
    ("GET", f"{REPO}/pulls?head={OWNER}:cms/notices/x&base=main&state=open", None),
    ("GET", f"{REPO}/pulls/12", None),
    ("GET", f"{REPO}/pulls/12/commits", None),
    ("PATCH", f"{REPO}/pulls/12", {"state": "closed"}),
    ("PUT", f"{REPO}/issues/12/labels", {"labels": ["decap-cms/pending_review", "urgent"]}),
    ("POST", f"{REPO}/git/blobs", {"content": "eA==", "encoding": "base64"}),
    ("DELETE", f"{REPO}/git/refs/heads/cms%2Fnotices%2Fx", None),
    ("DELETE", f"{REPO}/git/refs/heads/cms_1732000000/notices/x", None),
    ("GET", "/users/portal", None),
])
def test_the_calls_decap_makes_pass(method: str, path: str, body: Any) -> None:
    assert ask(method, path, CLERK, body).what.startswith(method)


@pytest.mark.parametrize(("method", "path", "body", "says"), [
    ("GET", "/repos/jinguiyuan/other", None, "only on the repository jinguiyuan/portal"),
    ("GET", f"{REPO}/git/trees/main", None, "a whole tree is refused"),
    ("GET", f"{REPO}/git/trees/main:site_src", None, "'site_src' is outside content/"),
    ("GET", f"{REPO}/git/trees/main:content//x", None, "Empty"),
    ("GET", f"{REPO}/git/trees/main^{{tree}}:content", None, "whole tree"),
    ("GET", f"{REPO}/git/blobs/HEAD", None, "by its id"),
    ("GET", f"{REPO}/compare/main...evil:cms/x", None, "within the repository"),
    ("GET", f"{REPO}/compare/main..cms/x", None, "within the repository"),
    ("GET", f"{REPO}/contents/.github/workflows/deploy.yml", None, "outside content/"),
    ("POST", f"{REPO}/git/refs", {"ref": "refs/heads/cms/../main", "sha": MAIN},
     "only its draft branches"),
    ("POST", f"{REPO}/git/refs", {"ref": "refs/tags/v1", "sha": MAIN}, "only its draft branches"),
    ("POST", f"{REPO}/git/refs", {"ref": "refs/meta/_decap_cms", "sha": MAIN},
     "only its draft branches"),
    ("PATCH", f"{REPO}/git/refs/heads/feature", {"sha": MAIN}, "moves only its draft branches"),
    ("PATCH", f"{REPO}/git/refs/heads/main", {"sha": MAIN}, "Only a manager"),
    ("DELETE", f"{REPO}/git/refs/heads/main", None, "deletes only its draft branches"),
    ("POST", f"{REPO}/pulls", {"title": "t", "head": "feature", "base": "main"},
     "from a draft branch"),
    ("POST", f"{REPO}/pulls", {"title": "t", "head": f"{OWNER}:cms/x", "base": "feature"},
     "from a draft branch"),
    ("POST", f"{REPO}/pulls", {"title": "t", "head": "evil:cms/x", "base": "main"},
     "from a draft branch"),
    ("PATCH", f"{REPO}/pulls/12", {"base": "feature"}, "does not pass base"),
    ("PUT", f"{REPO}/pulls/12/merge", {}, "Only a manager publishes"),
    ("POST", f"{REPO}/git/commits", {"message": "m", "tree": MAIN, "parents": [],
                                     "signature": "x"}, "does not pass signature"),
    ("POST", f"{REPO}/git/trees", {"base_tree": MAIN, "tree": [
        {"path": "content/a.md", "mode": "100644", "sha": BLOB, "url": "x"}]}, "does not pass url"),
    ("GET", f"{REPO}/pulls/0", None, "Not a pull request number"),
    ("GET", "/users/../repos", None, "'..'"),
    ("GET", "/search/issues?q=x", None, "does not pass GET /search/issues"),
    ("GET", f"{REPO}/commits?path=content/a.md;path=mkdocs.yml", None, "';'"),
    ("PATCH", f"{REPO}/git/refs/heads%252Fmain", {"sha": MAIN}, "encoded twice"),
    ("GET", f"{REPO}/git/trees/main:content%252F..%252Fscripts", None, "encoded twice"),
    ("GET", f"{REPO}/commits?path=content/%2E%2E%252Fx", None, "outside content/"),
])
def test_what_the_editor_never_does_is_refused(method: str, path: str, body: Any,
                                               says: str) -> None:
    with pytest.raises(Forbidden) as refused:
        ask(method, path, CLERK, body)
    assert says in refused.value.message


def test_departments_may_not_edit() -> None:
    with pytest.raises(Forbidden, match="departments"):
        ask("GET", REPO, DEPARTMENT)
    assert ask("GET", REPO, Staff("x", frozenset({"department", "clerk"}), "工程部"))


@pytest.mark.parametrize("body", [
    {"tree": [{"path": "content/a.md", "mode": "100644", "sha": BLOB}]},   # no base tree
    {"base_tree": MAIN, "tree": []},
    {"base_tree": MAIN, "tree": "content/a.md"},
    {"base_tree": MAIN, "tree": [{"mode": "100644"}]},
    {"base_tree": "main", "tree": [{"path": "content/a.md", "mode": "100644", "sha": BLOB}]},
])
def test_malformed_trees_are_400(body: Any) -> None:
    with pytest.raises(Invalid):
        ask("POST", f"{REPO}/git/trees", CLERK, body)


def test_a_commit_is_written_in_the_signed_in_name_whatever_it_claims() -> None:
    sent = ask("POST", f"{REPO}/git/commits", Staff("李客服", frozenset({"clerk"})),
               {"message": "m", "tree": MAIN, "parents": [MAIN],
                "author": {"name": "boss", "email": "boss@staff.invalid"},
                "committer": {"name": "boss", "email": "boss@staff.invalid"}})
    body = json.loads(sent.body or b"")
    who = {"name": "李客服", "email": "%E6%9D%8E%E5%AE%A2%E6%9C%8D@staff.invalid"}
    assert body == {"message": "m", "tree": MAIN, "parents": [MAIN], "author": who,
                    "committer": who}


def test_moves_and_merges_are_checked_against_the_git_host_first() -> None:
    d = ask("PATCH", f"{REPO}/git/refs/heads/cms%2Fnotices%2Fx", CLERK,
            {"sha": MAIN, "force": True})
    assert d.guard == git_proxy.ChangesOnlyContent(MAIN)
    d = ask("PUT", f"{REPO}/pulls/3/merge", MANAGER, {"sha": MAIN, "merge_method": "squash"})
    assert d.guard == git_proxy.Publishes(3, {"sha": MAIN, "merge_method": "squash"})
    with pytest.raises(Invalid):
        ask("PUT", f"{REPO}/pulls/3/merge", MANAGER, {"merge_method": "rebase"})


def test_what_a_comparison_changes_outside_content() -> None:
    files = [{"filename": "content/a.md"}, {"filename": "content/b.md",
                                            "previous_filename": "docs/b.md"},
             {"filename": "mkdocs.yml"}]
    assert git_proxy.outside_content({"files": files}, "content") == ["docs/b.md", "mkdocs.yml"]
    assert git_proxy.outside_content({"files": files[:1]}, "content") == []
    assert git_proxy.outside_content({"status": "identical"}, "content") == []
    many = [{"filename": f"content/{i}.md"} for i in range(300)]
    with pytest.raises(Forbidden, match="300 or more files"):
        git_proxy.outside_content({"files": many}, "content")
    shown = git_proxy.content_files({"files": files, "commits": []}, "content")
    assert shown == {"files": files[:1], "commits": []}


def test_the_publish_message_names_the_manager_and_the_writers() -> None:
    body = json.loads(git_proxy.publish_body(
        {"merge_method": "squash"}, MANAGER, MAIN,
        git_proxy.authors([{"commit": {"author": {"name": "li.clerk",
                                                  "email": "li.clerk@staff.invalid"}}},
                           {"commit": {"author": {"name": "li.clerk",
                                                  "email": "li.clerk@staff.invalid"}}},
                           {"commit": {"author": {"name": "boss <x>\nEvil: y",
                                                  "email": "boss@staff.invalid"}}}])))
    assert body == {"sha": MAIN, "merge_method": "squash", "commit_message": (
        "Published with the content editor.\n\nPublished by boss <boss@staff.invalid>\n\n"
        "Co-authored-by: li.clerk <li.clerk@staff.invalid>")}
