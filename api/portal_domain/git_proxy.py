"""The content editor's git proxy: Decap CMS's `aws-cognito-github-proxy` backend sends every
GitHub REST call of the editor (/staff/content/) here, with the staff member's sign-in token
as `Authorization: Bearer`. The proxy

- checks the token exactly as the staff API does (`auth.verifier()`: the same settings, the
  same 401 and 403 answers, 503 while the sign-in is not configured); clerks and managers
  may edit, departments may not;
- passes only the calls the editor makes (ROUTES), on the one repository (EDITOR_REPO), and
  only for paths under content/ (trees and files read, tree entries written, `?path=`);
- keeps the roles: a clerk writes only the editorial workflow's branches (cms/…) and never
  merges; only a manager moves the published branch (EDITOR_BRANCH) or publishes;
- asks the git host what a branch would change before moving it (and what a pull request
  would bring before merging it) and refuses if anything outside content/ would change, so
  no sequence of allowed calls reaches code, workflows or the build;
- writes the staff member into every commit it makes (author and committer) and the
  manager into the commit that publishes ("Published by …", the clerks as Co-authored-by);
- sends the call on with its own git-host token (EDITOR_GIT_TOKEN) and answers with the
  host's status and body and a few harmless headers: never the token or the host's other
  headers; a comparison and a new tree are cut to content/, so no answer names the id of
  a file elsewhere (blobs are read by id).

`decide()` is pure (a request and who sent it → what to send, or a refusal) and is tested
on its own; `GitProxy` is the machinery around it (CORS, the token check, the checks that
need the git host, forwarding). Framework-free: a Request in, a Response out; the Lambda
adapter is staff_api/git_proxy.py.

Configuration (environment): EDITOR_REPO (owner/name), EDITOR_BRANCH (default main),
EDITOR_GIT_API (default https://api.github.com), EDITOR_GIT_TOKEN, CORS_ORIGIN (the
portal's address), STAGE; and the sign-in's OIDC_* settings (auth.py). It fails closed:
while any is missing or unsafe every request is refused (503 not_configured).
"""

from __future__ import annotations

import json
import logging
import os
import re
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

from .auth import LOCAL, Forbidden, Staff, verifier
from .errors import ApiError, Invalid

log = logging.getLogger(__name__)

CONTENT = "content"           # the only folder the editor reads and writes
EDITORS = ("clerk", "manager")
# The editorial workflow's branches: cms/<collection>/<slug>, and cms_<time>/… (Decap's
# backup of a branch that outlived its merge).
EDITORIAL = re.compile(r"refs/heads/cms(_\d+)?/")
SHA = re.compile(r"[0-9a-f]{40}(?:[0-9a-f]{24})?")
REV = re.compile(r"[A-Za-z0-9._/-]+")        # a branch name or a commit id, as Decap sends them
LOGIN = re.compile(r"[A-Za-z0-9._-]{1,100}")
NUMBER = re.compile(r"[1-9][0-9]{0,9}")
REPO = re.compile(r"[A-Za-z0-9-]{1,39}/[A-Za-z0-9._-]{1,100}")
MAX_COMPARED = 300  # GitHub lists at most 300 files of a comparison: more cannot be checked
FORWARDED_ANSWER_HEADERS = {"content-type": "Content-Type", "etag": "ETag",
                            "last-modified": "Last-Modified"}
FORWARDED_ASK_HEADERS = ("accept", "if-none-match", "if-modified-since")
PREFLIGHT = {"Access-Control-Allow-Methods": "GET, POST, PUT, PATCH, DELETE",
             "Access-Control-Allow-Headers": "Authorization, Content-Type, Accept",
             "Access-Control-Max-Age": "600"}


# --- settings ----------------------------------------------------------------------------

class ProxyConfigError(RuntimeError):
    """The proxy's settings are missing or unsafe."""


class ProxyNotConfigured(ApiError):
    def __init__(self) -> None:
        super().__init__(503, "not_configured", "The content editor's git proxy is not "
                         "configured on this server, so every request is refused; the "
                         "administrator finds the reason in the function's log.")


@dataclass(frozen=True)
class ProxySettings:
    repo: str          # owner/name: the one repository the editor commits to
    branch: str        # the published branch (Decap's `branch`)
    api: str           # the git host's REST API, e.g. https://api.github.com
    token: str         # the proxy's own token on the git host; never leaves the proxy
    origin: str        # the portal's address: the only origin CORS allows
    stage: str
    content: str = CONTENT
    timeout: float = 8.0

    @property
    def owner(self) -> str:
        return self.repo.split("/")[0]

    @property
    def name(self) -> str:
        return self.repo.split("/")[1]

    @property
    def published(self) -> str:
        return f"refs/heads/{self.branch}"

    @classmethod
    def from_env(cls) -> ProxySettings:
        """The settings the environment gives; ProxyConfigError names what is missing."""
        values = {name: os.environ.get(name, "").strip() for name in (
            "EDITOR_REPO", "EDITOR_GIT_TOKEN", "CORS_ORIGIN", "STAGE")}
        missing = [name for name, value in values.items() if not value]
        if missing:
            raise ProxyConfigError(", ".join(missing) + " must be set for the git proxy")
        settings = cls(values["EDITOR_REPO"], os.environ.get("EDITOR_BRANCH", "").strip() or "main",
                       (os.environ.get("EDITOR_GIT_API", "").strip()
                        or "https://api.github.com").rstrip("/"),
                       values["EDITOR_GIT_TOKEN"], values["CORS_ORIGIN"].rstrip("/"),
                       values["STAGE"])
        settings.check()
        return settings

    def check(self) -> None:
        if not REPO.fullmatch(self.repo):
            raise ProxyConfigError(f"EDITOR_REPO must be owner/name, not {self.repo!r}")
        if not ref_name_ok(self.published):
            raise ProxyConfigError(f"EDITOR_BRANCH is not a branch name: {self.branch!r}")
        if EDITORIAL.match(self.published):
            raise ProxyConfigError(f"EDITOR_BRANCH {self.branch!r} is one of the editorial "
                                   "workflow's draft branches (cms/…)")
        for name, url in (("EDITOR_GIT_API", self.api), ("CORS_ORIGIN", self.origin)):
            parts = urlsplit(url)
            if parts.scheme not in ("https", "http") or not parts.hostname:
                raise ProxyConfigError(f"{name} must be an address, not {url!r}")
            if self.stage != LOCAL and parts.scheme != "https":
                raise ProxyConfigError(f"stage {self.stage}: {name} must be https, not {url!r}")


# --- requests, decisions -------------------------------------------------------------------

@dataclass(frozen=True)
class Request:
    """One call as the browser sent it."""

    method: str
    path: str                     # raw, still percent-encoded: /repos/o/r/git/refs/heads/cms%2F…
    query: str = ""               # raw, without '?'
    headers: Mapping[str, str] = field(default_factory=dict)  # lower-case names
    body: bytes = b""


@dataclass(frozen=True)
class Response:
    status: int
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True)
class ChangesOnlyContent:
    """Before a branch moves to `head`: what `head` changes (against the published branch)
    must all be under content/."""

    head: str


@dataclass(frozen=True)
class Publishes:
    """Before pull request `number` is merged: it must be an editorial branch into the
    published branch that changes only content/; the merge commit names the manager."""

    number: int
    asked: dict[str, Any]


@dataclass(frozen=True)
class Decision:
    """What the proxy sends for an allowed call."""

    what: str = ""                      # the route, e.g. "POST git/commits" (for the log)
    body: bytes | None = None           # what to send (re-serialised JSON); None: no body
    guard: ChangesOnlyContent | Publishes | None = None
    answer: Callable[[Any], Any] | None = None  # rewrites the host's JSON answer


@dataclass(frozen=True)
class Call:
    """An allowed route's view of the request."""

    request: Request
    staff: Staff
    settings: ProxySettings
    params: dict[str, str]              # the route's parameters, percent-decoded
    query: dict[str, list[str]]

    def data(self) -> dict[str, Any]:
        """The JSON object the call sends, or 400."""
        try:
            data = json.loads(self.request.body or b"null")
        except (ValueError, UnicodeDecodeError):
            raise Invalid("(body)", "The body is not JSON.") from None
        if not isinstance(data, dict):
            raise Invalid("(body)", "Expected a JSON object.")
        return data


Check = Callable[[Call], Decision]


@dataclass(frozen=True)
class Route:
    method: str
    pattern: str                   # below /repos/{owner}/{repo}/, or "/users/{login}"
    roles: tuple[str, ...]
    check: Check
    refusal: str = ""              # what a staff member without the role is told


ROUTES: list[Route] = []


def route(method: str, pattern: str, roles: tuple[str, ...] = EDITORS, refusal: str = ""
          ) -> Callable[[Check], Check]:
    """List a check in ROUTES for `method pattern`. A pattern's `{x}` is one path segment,
    `{x*}` the rest of the path (at least one segment); both arrive percent-decoded."""

    def register(check: Check) -> Check:
        ROUTES.append(Route(method, pattern, roles, check, refusal))
        return check

    return register


def decide(request: Request, staff: Staff, settings: ProxySettings) -> Decision:
    """What to send to the git host for this call, or a refusal (Forbidden, Invalid)."""
    if not staff.may(*EDITORS):
        raise Forbidden("The content editor is for customer service (clerk) and managers; "
                        "departments answer their cases on the desk.")
    raw = segments(request.path)
    if raw[:1] == ["repos"]:
        if len(raw) < 3 or raw[1].lower() != settings.owner.lower() \
                or raw[2].lower() != settings.name.lower():
            raise Forbidden(f"The editor's proxy works only on the repository {settings.repo}.")
        rest, in_repo = raw[3:], True
    else:
        rest, in_repo = raw, False
    query = parse_query(request.query)
    for r in ROUTES:
        params = match(r.pattern, rest, in_repo)
        if params is None or r.method != request.method:
            continue
        if not staff.may(*r.roles):
            raise Forbidden(r.refusal or "Your role may not do this.")
        decision = r.check(Call(request, staff, settings, params, query))
        return replace(decision, what=f"{request.method} {r.pattern or '(repository)'}")
    shown = request.path if len(request.path) <= 200 else request.path[:200] + "…"
    raise Forbidden(f"The editor's proxy does not pass {request.method} {shown}: only the "
                    f"calls the content editor makes on {settings.repo} are allowed.")


def segments(path: str) -> list[str]:
    """The raw path's segments; refuses empty, '.' and '..' ones (also percent-encoded),
    backslashes, and anything encoded twice (no name the editor uses has a '%')."""
    if not path.startswith("/"):
        raise Forbidden("The path must start with '/'.")
    parts = path[1:].split("/")
    for part in parts:
        decoded = unquote(part)
        if "%" in decoded or "\\" in decoded:
            raise Forbidden("'%' (encoded twice) and '\\' are refused in paths.")
        if not all(p not in ("", ".", "..") for p in decoded.split("/")):
            raise Forbidden("Empty, '.' and '..' path segments are refused.")
    return parts


def match(pattern: str, raw: list[str], in_repo: bool) -> dict[str, str] | None:
    """A pattern's parameters if the raw segments fit it (`in_repo`: the segments below
    /repos/{owner}/{repo}/). Literal segments must be equal as sent, not encoded, so the git
    host routes the call exactly as it was checked."""
    if pattern.startswith("/") == in_repo:
        return None
    pattern = pattern.removeprefix("/")
    wanted = pattern.split("/") if pattern else []
    params: dict[str, str] = {}
    for i, part in enumerate(wanted):
        if part.endswith("*}"):
            if len(raw) <= i:
                return None
            params[part[1:-2]] = "/".join(unquote(p) for p in raw[i:])
            return params
        if i >= len(raw):
            return None
        if part.startswith("{"):
            params[part[1:-1]] = unquote(raw[i])
        elif raw[i] != part:
            return None
    return params if len(raw) == len(wanted) else None


def parse_query(query: str) -> dict[str, list[str]]:
    """The query's parameters; refuses the forms a server might read otherwise (';' as a
    separator, `key[]` arrays), so the host sees the parameters that were checked."""
    if ";" in query:
        raise Forbidden("';' in the query is refused.")
    parsed = parse_qs(query, keep_blank_values=True)
    if any("[" in key or "]" in key for key in parsed):
        raise Forbidden("Array parameters (key[]) are refused.")
    return parsed


def inside(path: str, content: str, folder: bool = False) -> bool:
    """`path` is a file under content/ (or, with `folder`, content/ itself or a folder in it)."""
    parts = path.split("/")
    for part in parts:
        if part in ("", ".", "..") or part.lower() == ".git" or "%" in part or "\\" in part \
                or any(ord(c) < 32 or ord(c) == 127 for c in part):
            return False
    return parts[0] == content and (len(parts) > 1 or folder)


def in_content(path: str, settings: ProxySettings, what: str, folder: bool = False) -> None:
    if not inside(path, settings.content, folder):
        raise Forbidden(f"{what} '{path}' is outside {settings.content}/: the editor reads and "
                        f"writes only {settings.content}/.")


def ref_name_ok(ref: str) -> bool:
    """git check-ref-format's rules, as far as the editor's names need them."""
    if not ref.startswith("refs/") or ref.endswith((".", "/", ".lock")) or ".." in ref \
            or "@{" in ref or "//" in ref:
        return False
    return all(part and not part.startswith(".") and not any(
        ord(c) < 33 or c in "~^:?*[\\\x7f" for c in part) for part in ref.split("/"))


def only(data: dict[str, Any], allowed: set[str], what: str) -> None:
    extra = sorted(set(data) - allowed)
    if extra:
        raise Forbidden(f"{what}: the editor's proxy does not pass {', '.join(extra)}.")


def text(data: dict[str, Any], name: str, pattern: re.Pattern[str] | None = None,
         required: bool = True) -> str | None:
    value = data.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or (pattern is not None and not pattern.fullmatch(value)):
        raise Invalid(name, f"'{name}' is missing or not what the git host expects.")
    return value


def send(data: Any) -> bytes:
    """What the proxy sends is what it checked: JSON written again from the parsed value."""
    return json.dumps(data, ensure_ascii=False).encode("utf-8")


def ident(staff: Staff) -> dict[str, str]:
    """A staff member as a git author: the user name, and an address that is never real
    (`.invalid`, RFC 2606) and says which sign-in account it was."""
    name = re.sub(r"[<>\x00-\x1f\x7f]", "", staff.username).strip() or "staff"
    local = staff.username if re.fullmatch(r"[A-Za-z0-9._+-]+", staff.username) \
        else quote(staff.username, safe="")
    return {"name": name, "email": f"{local}@staff.invalid"}


# --- the routes: what the editor calls, and what each call may carry -------------------------

@route("GET", "")
def _repository(call: Call) -> Decision:
    """The repository itself (Decap reads whether it may push)."""
    return Decision()


@route("GET", "git/trees/{spec*}")
def _tree(call: Call) -> Decision:
    """A folder's listing, as Decap asks for it: <branch or commit>:<folder>."""
    rev, colon, path = call.params["spec"].partition(":")
    if not colon or not REV.fullmatch(rev):
        raise Forbidden("Trees are read as <branch>:content/<folder>; a whole tree is refused.")
    in_content(path, call.settings, "The folder", folder=True)
    return Decision()


@route("GET", "git/blobs/{sha}")
def _blob(call: Call) -> Decision:
    if not SHA.fullmatch(call.params["sha"]):
        raise Forbidden("A blob is read by its id.")
    return Decision()


@route("POST", "git/blobs")
def _new_blob(call: Call) -> Decision:
    data = call.data()
    only(data, {"content", "encoding"}, "A new blob")
    text(data, "content")
    if data.get("encoding", "utf-8") not in ("utf-8", "base64"):
        raise Invalid("encoding", "'encoding' is utf-8 or base64.")
    return Decision(body=send(data))


@route("POST", "git/trees")
def _new_tree(call: Call) -> Decision:
    """A tree changed from `base_tree`: every entry's path under content/, a plain file."""
    data = call.data()
    only(data, {"base_tree", "tree"}, "A new tree")
    text(data, "base_tree", SHA)
    entries = data.get("tree")
    if not isinstance(entries, list) or not entries:
        raise Invalid("tree", "'tree' is a list of entries.")
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("path"), str):
            raise Invalid("tree", "Every tree entry has a 'path'.")
        only(entry, {"path", "mode", "type", "sha", "content"}, f"Tree entry {entry['path']!r}")
        in_content(entry["path"], call.settings, "The file")
        if entry.get("mode") != "100644" or entry.get("type", "blob") != "blob":
            raise Forbidden(f"'{entry['path']}': the editor writes plain files only (mode "
                            "100644), never links, executables or submodules.")
        if entry.get("sha") is not None:
            text(entry, "sha", SHA)
        if "content" in entry:
            text(entry, "content")
    content = call.settings.content
    return Decision(body=send(data), answer=lambda made: content_entries(made, content))


@route("POST", "git/commits")
def _new_commit(call: Call) -> Decision:
    """A commit, made in the staff member's name whatever the browser said."""
    data = call.data()
    only(data, {"message", "tree", "parents", "author", "committer"}, "A new commit")
    text(data, "message")
    text(data, "tree", SHA)
    parents = data.get("parents", [])
    if not isinstance(parents, list) or len(parents) > 2 or not all(
            isinstance(p, str) and SHA.fullmatch(p) for p in parents):
        raise Invalid("parents", "'parents' is a list of at most two commit ids.")
    who = ident(call.staff)
    return Decision(body=send({"message": data["message"], "tree": data["tree"],
                               "parents": parents, "author": who, "committer": who}))


@route("GET", "git/refs/{ref*}")
def _ref(call: Call) -> Decision:
    if not ref_name_ok("refs/" + call.params["ref"]):
        raise Forbidden("Not a reference name.")
    return Decision()


@route("GET", "git/matching-refs/{ref*}")
def _matching_refs(call: Call) -> Decision:
    return _ref(call)


@route("POST", "git/refs")
def _new_ref(call: Call) -> Decision:
    data = call.data()
    only(data, {"ref", "sha"}, "A new reference")
    ref = text(data, "ref") or ""
    sha = text(data, "sha", SHA) or ""
    if not ref_name_ok(ref) or not EDITORIAL.match(ref):
        raise Forbidden(f"The editor creates only its draft branches (refs/heads/cms/…), "
                        f"not {ref!r}.")
    return Decision(body=send({"ref": ref, "sha": sha}), guard=ChangesOnlyContent(sha))


@route("PATCH", "git/refs/{ref*}")
def _move_ref(call: Call) -> Decision:
    """A draft branch moves for anyone who edits; the published branch only for a manager,
    never by force."""
    ref, settings = "refs/" + call.params["ref"], call.settings
    data = call.data()
    only(data, {"sha", "force"}, "A reference update")
    sha = text(data, "sha", SHA) or ""
    force = data.get("force", False)
    if not isinstance(force, bool):
        raise Invalid("force", "'force' is true or false.")
    if not ref_name_ok(ref):
        raise Forbidden("Not a reference name.")
    if ref == settings.published:
        if not call.staff.may("manager"):
            raise Forbidden(f"Only a manager changes the published branch ({settings.branch}); "
                            "save a draft and submit it for review.")
        if force:
            raise Forbidden(f"The published branch ({settings.branch}) is never moved by force.")
    elif not EDITORIAL.match(ref):
        raise Forbidden(f"The editor moves only its draft branches (refs/heads/cms/…) and, for "
                        f"a manager, {settings.published}; not {ref!r}.")
    return Decision(body=send({"sha": sha, "force": force}), guard=ChangesOnlyContent(sha))


@route("DELETE", "git/refs/{ref*}")
def _delete_ref(call: Call) -> Decision:
    ref = "refs/" + call.params["ref"]
    if not ref_name_ok(ref) or not EDITORIAL.match(ref):
        raise Forbidden(f"The editor deletes only its draft branches (refs/heads/cms/…), "
                        f"not {ref!r}.")
    return Decision()


@route("GET", "commits")
def _commits(call: Call) -> Decision:
    """A file's history (Decap shows who changed it last): one ?path= under content/."""
    paths = call.query.get("path", [])
    if len(paths) != 1:
        raise Forbidden("Commits are listed for one file under content/ (?path=).")
    in_content(paths[0], call.settings, "The path", folder=True)
    return Decision()


@route("GET", "commits/{ref}/status")
def _status(call: Call) -> Decision:
    if not REV.fullmatch(call.params["ref"]):
        raise Forbidden("Not a commit.")
    return Decision()


@route("GET", "branches/{branch*}")
def _branch(call: Call) -> Decision:
    if not ref_name_ok("refs/heads/" + call.params["branch"]):
        raise Forbidden("Not a branch name.")
    return Decision()


@route("GET", "compare/{range*}")
def _compare(call: Call) -> Decision:
    """What a draft changes; the answer keeps only the files under content/."""
    base, dots, head = call.params["range"].partition("...")
    for side in (base, head):
        owner, colon, rev = side.rpartition(":")
        if not dots or not REV.fullmatch(rev) or (
                colon and owner.lower() != call.settings.owner.lower()):
            raise Forbidden("A comparison is <base>...<head> within the repository.")
    content = call.settings.content
    return Decision(answer=lambda data: content_files(data, content))


@route("GET", "contents/{path*}")
def _contents(call: Call) -> Decision:
    in_content(call.params["path"], call.settings, "The file", folder=True)
    return Decision()


@route("GET", "pulls")
def _pulls(call: Call) -> Decision:
    return Decision()


@route("POST", "pulls")
def _new_pull(call: Call) -> Decision:
    """A draft submitted for review: from an editorial branch into the published one."""
    data = call.data()
    only(data, {"title", "body", "head", "base", "draft", "maintainer_can_modify"},
         "A new pull request")
    settings = call.settings
    text(data, "title")
    text(data, "body", required=False)
    base, head = text(data, "base"), text(data, "head") or ""
    owner, colon, branch = head.rpartition(":")
    if base != settings.branch or (colon and owner.lower() != settings.owner.lower()) \
            or not ref_name_ok("refs/heads/" + branch) or not EDITORIAL.match("refs/heads/" + branch):
        raise Forbidden(f"A review is asked from a draft branch (cms/…) into {settings.branch}.")
    return Decision(body=send(data))


@route("GET", "pulls/{number}")
def _pull(call: Call) -> Decision:
    return _number(call, Decision())


@route("PATCH", "pulls/{number}")
def _update_pull(call: Call) -> Decision:
    """Close or reopen a review (its base never changes)."""
    data = call.data()
    only(data, {"state", "title", "body"}, "A pull request update")
    if data.get("state", "open") not in ("open", "closed"):
        raise Invalid("state", "'state' is open or closed.")
    return _number(call, Decision(body=send(data)))


@route("GET", "pulls/{number}/commits")
def _pull_commits(call: Call) -> Decision:
    return _number(call, Decision())


@route("PUT", "pulls/{number}/merge", roles=("manager",),
       refusal="Only a manager publishes; a clerk submits the entry for review.")
def _merge(call: Call) -> Decision:
    data = call.data()
    only(data, {"commit_title", "commit_message", "sha", "merge_method"}, "A merge")
    text(data, "commit_title", required=False)
    text(data, "commit_message", required=False)
    text(data, "sha", SHA, required=False)
    if data.get("merge_method", "merge") not in ("merge", "squash"):
        raise Invalid("merge_method", "'merge_method' is merge or squash (a rebase would not "
                      "record who published).")
    decision = _number(call, Decision())
    return replace(decision, guard=Publishes(int(call.params["number"]), data))


@route("PUT", "issues/{number}/labels")
def _labels(call: Call) -> Decision:
    """The workflow's state (draft, in review, ready) is a label on the pull request."""
    data = call.data()
    only(data, {"labels"}, "Labels")
    labels = data.get("labels")
    if not isinstance(labels, list) or not all(isinstance(x, str) and x for x in labels):
        raise Invalid("labels", "'labels' is a list of names.")
    return _number(call, Decision(body=send(data)))


@route("GET", "/users/{login}")
def _user(call: Call) -> Decision:
    """A pull request's author as the git host shows it (public profile)."""
    if not LOGIN.fullmatch(call.params["login"]):
        raise Forbidden("Not a user name.")
    return Decision()


def _number(call: Call, decision: Decision) -> Decision:
    if not NUMBER.fullmatch(call.params["number"]):
        raise Forbidden("Not a pull request number.")
    return decision


# --- what the git host says, checked and rewritten (pure) ----------------------------------

def outside_content(comparison: Any, content: str) -> list[str]:
    """The paths a comparison changes outside content/ (old names of moved files too)."""
    files = comparison.get("files") if isinstance(comparison, dict) else None
    files = files if isinstance(files, list) else []
    if len(files) >= MAX_COMPARED:
        raise Forbidden(f"This change touches {len(files)} or more files, more than the git "
                        "host lists; the editor's changes are smaller. Nothing was written.")
    paths = [p for f in files if isinstance(f, dict)
             for p in (f.get("filename"), f.get("previous_filename")) if isinstance(p, str)]
    return sorted({p for p in paths if not inside(p, content)})


def content_files(comparison: Any, content: str) -> Any:
    """A comparison as the editor sees it: only the files under content/."""
    if isinstance(comparison, dict) and isinstance(comparison.get("files"), list):
        kept = [f for f in comparison["files"] if isinstance(f, dict)
                and inside(str(f.get("filename", "")), content)
                and inside(str(f.get("previous_filename") or f.get("filename", "")), content)]
        return {**comparison, "files": kept}
    return comparison


def content_entries(tree: Any, content: str) -> Any:
    """A new tree as the editor sees it: its id, and only the entries of content/ (the
    others' ids would let a caller read files outside content/ by their blob ids)."""
    if isinstance(tree, dict) and isinstance(tree.get("tree"), list):
        kept = [e for e in tree["tree"] if isinstance(e, dict)
                and inside(str(e.get("path", "")), content, folder=True)]
        return {**tree, "tree": kept}
    return tree


def authors(commits: Any) -> list[dict[str, str]]:
    """The authors of a pull request's commits, each once, in order."""
    found: dict[str, dict[str, str]] = {}
    for c in commits if isinstance(commits, list) else []:
        author = (c.get("commit") or {}).get("author") if isinstance(c, dict) else None
        if isinstance(author, dict) and isinstance(author.get("email"), str):
            name = re.sub(r"[<>\x00-\x1f\x7f]", "", str(author.get("name") or "")).strip()
            email = re.sub(r"[<>\s]", "", author["email"])
            found.setdefault(email, {"name": name or email, "email": email})
    return list(found.values())


def publish_body(asked: dict[str, Any], manager: Staff, head: str,
                 wrote: list[dict[str, str]]) -> bytes:
    """The merge as sent to the git host: pinned to the head that was checked, its message
    naming the manager who published and, as Co-authored-by, the staff who wrote it."""
    me = ident(manager)
    message = str(asked.get("commit_message") or "Published with the content editor.").rstrip()
    lines = [message, "", f"Published by {me['name']} <{me['email']}>"]
    others = [a for a in wrote if a["email"] != me["email"]]
    if others:
        lines += ["", *(f"Co-authored-by: {a['name']} <{a['email']}>" for a in others)]
    body = {"commit_message": "\n".join(lines), "sha": head,
            "merge_method": asked.get("merge_method", "merge")}
    if asked.get("commit_title"):
        body["commit_title"] = asked["commit_title"]
    return send(body)


# --- the machinery -------------------------------------------------------------------------

class Unverifiable(ApiError):
    def __init__(self, message: str) -> None:
        super().__init__(422, "unverifiable", message)


class Unreachable(ApiError):
    def __init__(self) -> None:
        super().__init__(502, "upstream_unreachable",
                         "The git host did not answer; nothing was changed. Try again.")


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]   # lower-case names
    body: bytes

    def json(self) -> Any:
        try:
            return json.loads(self.body or b"null")
        except (ValueError, UnicodeDecodeError):
            return None


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a redirect is answered as it came, never followed with the token


class Upstream:
    """The git host's REST API, called with the proxy's own token."""

    def __init__(self, settings: ProxySettings) -> None:
        self.base, self.timeout = settings.api, settings.timeout
        self._auth = f"token {settings.token}"  # GitHub's and Gitea's form
        self._open = urllib.request.build_opener(_NoRedirects()).open

    def send(self, method: str, path: str, query: str = "", body: bytes | None = None,
             headers: Mapping[str, str] | None = None) -> Answer:
        url = self.base + path + (f"?{query}" if query else "")
        asked = urllib.request.Request(url, data=body, method=method)
        asked.add_header("User-Agent", "community-portal-git-proxy")
        asked.add_header("Accept", "application/vnd.github+json")
        for name, value in (headers or {}).items():
            asked.add_header(name.title(), value)
        if body is not None:
            asked.add_header("Content-Type", "application/json; charset=utf-8")
        asked.add_unredirected_header("Authorization", self._auth)
        try:
            with self._open(asked, timeout=self.timeout) as got:
                return Answer(got.status, {k.lower(): v for k, v in got.headers.items()},
                              got.read())
        except urllib.error.HTTPError as err:
            with err:
                return Answer(err.code, {k.lower(): v for k, v in err.headers.items()},
                              err.read())
        except (urllib.error.URLError, TimeoutError, OSError):
            raise Unreachable() from None


def json_answer(status: int, body: Any, headers: Mapping[str, str] | None = None) -> Response:
    return Response(status, {"Content-Type": "application/json; charset=utf-8",
                             "Cache-Control": "no-store", **(headers or {})},
                    send(body))


class GitProxy:
    """Answers the editor's calls: CORS, the sign-in, decide(), the checks that need the git
    host, forwarding. Settings come from the environment on first use (503 until they do)."""

    def __init__(self, settings: ProxySettings | None = None,
                 verify: Callable[[str | None], Staff] | None = None,
                 upstream: Callable[[ProxySettings], Upstream] = Upstream) -> None:
        self._settings = settings
        self._verify = verify or (lambda header: verifier().staff(header))
        self._upstream_of = upstream
        self._upstream: Upstream | None = None

    def settings(self) -> ProxySettings:
        if self._settings is None:
            try:
                self._settings = ProxySettings.from_env()
            except ProxyConfigError as exc:
                log.error("the git proxy is not configured, refusing the request: %s", exc)
                raise ProxyNotConfigured() from None
        return self._settings

    def upstream(self) -> Upstream:
        if self._upstream is None:
            self._upstream = self._upstream_of(self.settings())
        return self._upstream

    def handle(self, request: Request) -> Response:
        allowed: dict[str, str] = {}
        who, what = "-", f"{request.method} ?"
        try:
            settings = self.settings()
            origin = request.headers.get("origin")
            if origin is not None:
                if origin != settings.origin:
                    raise Forbidden("The editor's proxy answers only the portal's own pages.")
                allowed = {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}
            if request.method == "OPTIONS":
                if not allowed:
                    raise Forbidden("A preflight comes from the portal's own pages.")
                return Response(204, {**allowed, **PREFLIGHT}, b"")
            staff = self._verify(request.headers.get("authorization"))
            who = staff.username
            decision = decide(request, staff, settings)
            what = decision.what
            body = self._guard(decision, staff, settings)
            forwarded = {k: v for k in FORWARDED_ASK_HEADERS
                         if (v := request.headers.get(k)) is not None}
            got = self.upstream().send(request.method, request.path, request.query, body,
                                       forwarded)
            log.info("git proxy: %s %s -> %d", who, what, got.status)
            return self._answer(got, decision, settings, allowed)
        except (ApiError, Invalid) as err:
            log.info("git proxy: refused %s for %s: %d %s", what, who, err.status, err.code)
            return json_answer(err.status, err.body(), {**err.headers, **allowed})
        except Exception as exc:  # the message could quote a file: only the type is logged
            log.error("unhandled %s in the git proxy", type(exc).__name__)
            return json_answer(500, {"code": "internal", "message": "Internal error."}, allowed)

    def _guard(self, decision: Decision, staff: Staff, settings: ProxySettings) -> bytes | None:
        """Ask the git host what the call would change; the body to send."""
        guard = decision.guard
        if isinstance(guard, ChangesOnlyContent):
            self._only_content(settings.branch, guard.head, settings)
        elif isinstance(guard, Publishes):
            repo = f"/repos/{settings.repo}"
            pull = self._get(f"{repo}/pulls/{guard.number}").json() or {}
            base = (pull.get("base") or {}).get("ref")
            head = pull.get("head") or {}
            source = str((head.get("repo") or {}).get("full_name") or "")
            if base != settings.branch or not isinstance(head.get("ref"), str) \
                    or not EDITORIAL.match("refs/heads/" + head["ref"]) \
                    or not isinstance(head.get("sha"), str) \
                    or source.lower() != settings.repo.lower():
                raise Forbidden(f"Only a review from a draft branch (cms/…) of {settings.repo} "
                                f"into {settings.branch} is published here.")
            if guard.asked.get("sha") not in (None, head["sha"]):
                raise ApiError(409, "changed", "The entry changed since it was opened; reload "
                               "it and publish again.")
            self._only_content(base, head["sha"], settings)
            commits = self._get(f"{repo}/pulls/{guard.number}/commits", "per_page=100").json()
            return publish_body(guard.asked, staff, head["sha"], authors(commits))
        return decision.body

    def _only_content(self, base: str, head: str, settings: ProxySettings) -> None:
        got = self._get(f"/repos/{settings.repo}/compare/{quote(base, safe='')}..."
                        f"{quote(head, safe='')}")
        if got.status != 200:
            raise Unverifiable(f"The git host could not compare {head} with {base} "
                               f"({got.status}); the editor only writes commits that build "
                               f"on {base}. Nothing was written.")
        outside = outside_content(got.json(), settings.content)
        if outside:
            more = f" (and {len(outside) - 1} more)" if len(outside) > 1 else ""
            raise Forbidden(f"This change touches '{outside[0]}'{more}, outside "
                            f"{settings.content}/: the editor changes only {settings.content}/. "
                            "Nothing was written.")

    def _get(self, path: str, query: str = "") -> Answer:
        got = self.upstream().send("GET", path, query)
        if got.status >= 500:
            raise Unreachable()
        return got

    def _answer(self, got: Answer, decision: Decision, settings: ProxySettings,
                allowed: dict[str, str]) -> Response:
        """The host's status and body with a few harmless headers; never its others (rate
        limits, cookies, Location, links to the host) and never the token."""
        headers = {shown: got.headers[name] for name, shown in FORWARDED_ANSWER_HEADERS.items()
                   if name in got.headers}
        headers.update({"Cache-Control": "private, no-cache", **allowed,
                        "Vary": "Origin, Authorization"})
        body = got.body
        if decision.answer is not None and 200 <= got.status < 300 \
                and "json" in headers.get("Content-Type", ""):
            data = got.json()
            if data is not None:
                body = send(decision.answer(data))
        token = settings.token.encode()
        if token and token in body:
            body = body.replace(token, b"[redacted]")
        return Response(got.status, headers, body)
