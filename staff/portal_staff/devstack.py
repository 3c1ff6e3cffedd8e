"""The local stack: DynamoDB Local, the API under `chalice local`, the site under `mkdocs serve`.

`python -m portal_staff.devstack` is what `scripts/serve.sh` runs. The browser tests start the
same DynamoDB Local and `chalice local` through these functions.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from portal_domain.store import create_table
from portal_staff.surveys import bundle

from .editor_local import Publisher, RepoError, prepare

ROOT = Path(__file__).resolve().parents[2]  # staff/portal_staff/devstack.py
EMULATOR = ROOT / "tools" / "node_modules" / "amplify-dynamodb-simulator" / "emulator"
DECAP_SERVER = ROOT / "tools" / "node_modules" / "decap-server" / "dist" / "index.js"
COGNITO_LOCAL = ROOT / "tools" / "node_modules" / ".bin" / "cognito-local"
API_DIR = ROOT / "api"
STAFF_API_DIR = ROOT / "staff_api"
# The desk's local accounts (printed at start-up). Passwords are for this machine only: the
# dev and prod stages refuse every token of the local issuer.
LOCAL_STAFF = (("clerk", "Desk-clerk-1", ["clerk"]),
               ("engineer", "Desk-dept-1", ["department-engineering"]),
               ("manager", "Desk-manager-1", ["manager"]))
LOCAL_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local",
                     "AWS_DEFAULT_REGION": "ap-east-1"}


class StackError(RuntimeError):
    """Something the person running the portal has to fix (the message says how)."""


def wait_for_port(port: int, timeout: float = 30.0, proc: subprocess.Popen[bytes] | None = None
                  ) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise StackError(f"the process for port {port} exited with code {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise StackError(f"nothing answers on port {port} after {timeout:.0f} s")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_dynamodb(port: int, data_dir: Path | None) -> subprocess.Popen[bytes]:
    """DynamoDB Local; with `data_dir` the data survives restarts, without it lives in memory."""
    if shutil.which("java") is None:
        raise StackError("Java is needed for DynamoDB Local and was not found. Install it "
                         "(Debian/Ubuntu: sudo apt-get install default-jre-headless) and run again.")
    if not (EMULATOR / "DynamoDBLocal.jar").is_file():
        raise StackError("DynamoDB Local is missing: run bash scripts/setup.sh first.")
    storage = ["-inMemory"]
    if data_dir is not None:
        data_dir.mkdir(parents=True, exist_ok=True)
        storage = ["-sharedDb", "-dbPath", str(data_dir.resolve())]
    proc = subprocess.Popen(
        ["java", "-Djava.library.path=DynamoDBLocal_lib", "-jar", "DynamoDBLocal.jar",
         *storage, "-port", str(port)],
        cwd=EMULATOR, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wait_for_port(port, proc=proc)
    return proc


def local_client(endpoint: str) -> Any:
    """A DynamoDB client for DynamoDB Local (its keys are not AWS keys)."""
    import boto3

    return boto3.client("dynamodb", endpoint_url=endpoint,
                        region_name=LOCAL_CREDENTIALS["AWS_DEFAULT_REGION"],
                        aws_access_key_id=LOCAL_CREDENTIALS["AWS_ACCESS_KEY_ID"],
                        aws_secret_access_key=LOCAL_CREDENTIALS["AWS_SECRET_ACCESS_KEY"])


def ensure_table(endpoint: str, table: str) -> None:
    create_table(local_client(endpoint), table)


def start_api(port: int, endpoint: str, table: str, origin: str, surveys: Path,
              extra_env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    """`chalice local` for the local stage, pointed at DynamoDB Local and at the survey
    definitions bundled in `surveys`."""
    return chalice_local(API_DIR, port, endpoint, table, origin,
                         {"SURVEY_DEFINITIONS": str(surveys), **(extra_env or {})})


def chalice_local(app_dir: Path, port: int, endpoint: str, table: str, origin: str,
                  extra_env: dict[str, str]) -> subprocess.Popen[bytes]:
    """`chalice local` (stage local) of the app in `app_dir`, on DynamoDB Local."""
    env = {**os.environ, **LOCAL_CREDENTIALS, "DYNAMODB_ENDPOINT": endpoint, "TABLE_NAME": table,
           "CORS_ORIGIN": origin, **extra_env}
    chalice = Path(sys.executable).with_name("chalice")
    proc = subprocess.Popen(
        [str(chalice), "local", "--stage", "local", "--host", "127.0.0.1", "--port", str(port),
         "--no-autoreload"],
        cwd=app_dir, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for_port(port, proc=proc)
    return proc


@dataclass(frozen=True)
class LocalIssuer:
    """cognito-local with a user pool, the desk's client and the three staff accounts."""

    url: str          # the hosted sign-in page and token endpoint: {url}/oauth2/...
    pool_id: str
    client_id: str

    @property
    def issuer(self) -> str:
        return f"{self.url}/{self.pool_id}"


def start_cognito(port: int, data_dir: Path) -> subprocess.Popen[bytes]:
    """cognito-local, started afresh in `data_dir` (its pool is seeded by seed_cognito)."""
    if not COGNITO_LOCAL.is_file():
        raise StackError("cognito-local is missing: run bash scripts/setup.sh first.")
    shutil.rmtree(data_dir, ignore_errors=True)
    (data_dir / ".cognito").mkdir(parents=True)
    # plain user names (clerk, manager) instead of e-mail addresses
    (data_dir / ".cognito" / "config.json").write_text(
        '{"UserPoolDefaults": {"UsernameAttributes": []}}', encoding="utf-8")
    proc = subprocess.Popen([str(COGNITO_LOCAL)], cwd=data_dir,
                            env={**os.environ, "PORT": str(port), "HOST": "127.0.0.1"},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for_port(port, proc=proc)
    return proc


def seed_cognito(port: int, callbacks: list[str]) -> LocalIssuer:
    """A pool, the desk's public client (code + PKCE, `callbacks`), the groups, the accounts."""
    import boto3

    url = f"http://127.0.0.1:{port}"
    idp = boto3.client("cognito-idp", endpoint_url=url, region_name="ap-east-1",
                       aws_access_key_id="local", aws_secret_access_key="local")
    pool = idp.create_user_pool(PoolName="portal-staff")["UserPool"]["Id"]
    client = idp.create_user_pool_client(
        UserPoolId=pool, ClientName="desk", CallbackURLs=callbacks, LogoutURLs=callbacks,
        AllowedOAuthFlows=["code"], AllowedOAuthScopes=["openid"],
        AllowedOAuthFlowsUserPoolClient=True, IdTokenValidity=1, AccessTokenValidity=1,
        TokenValidityUnits={"IdToken": "hours", "AccessToken": "hours"},
        ExplicitAuthFlows=["ALLOW_REFRESH_TOKEN_AUTH"])["UserPoolClient"]["ClientId"]
    for group in sorted({g for _, _, groups in LOCAL_STAFF for g in groups}):
        idp.create_group(UserPoolId=pool, GroupName=group)
    for user, password, groups in LOCAL_STAFF:
        idp.admin_create_user(UserPoolId=pool, Username=user, MessageAction="SUPPRESS")
        idp.admin_set_user_password(UserPoolId=pool, Username=user, Password=password,
                                    Permanent=True)
        for group in groups:
            idp.admin_add_user_to_group(UserPoolId=pool, Username=user, GroupName=group)
    return LocalIssuer(url, pool, client)


def start_staff_api(port: int, endpoint: str, table: str, origin: str, issuer: LocalIssuer,
                    extra_env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    """`chalice local` for the staff API, checking tokens of the local issuer."""
    return chalice_local(STAFF_API_DIR, port, endpoint, table, origin, {
        "STAGE": "local", "OIDC_ISSUER": issuer.issuer, "OIDC_CLIENT_ID": issuer.client_id,
        **(extra_env or {})})


def start_decap_server(port: int, repo: Path, origin: str) -> subprocess.Popen[bytes]:
    if not DECAP_SERVER.is_file():
        raise StackError(f"{DECAP_SERVER} is missing: run bash scripts/setup.sh")
    node = shutil.which("node")
    if node is None:
        raise StackError("node is missing: run bash scripts/setup.sh (Debian: apt-get install nodejs)")
    # its own settings only (it reads a .env too: started in the editor's repository, which has none)
    env = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", ""),
           "PORT": str(port), "MODE": "git", "GIT_REPO_DIRECTORY": str(repo),
           "BIND_HOST": "127.0.0.1", "ORIGIN": origin, "LOG_LEVEL": "warn"}
    proc = subprocess.Popen([node, str(DECAP_SERVER)], cwd=repo, env=env)
    wait_for_port(port, proc=proc)
    return proc


def desk_env(staff_api: str, issuer: LocalIssuer) -> dict[str, str]:
    """What the site build needs to put into the desk page."""
    return {"PORTAL_STAFF_API_URL": staff_api, "PORTAL_OIDC_URL": issuer.url,
            "PORTAL_OIDC_CLIENT_ID": issuer.client_id}


def stop(*procs: subprocess.Popen[bytes] | None) -> None:
    for proc in procs:
        if proc is not None and proc.poll() is None:
            proc.terminate()
    for proc in procs:
        if proc is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=10)
            if proc.poll() is None:
                proc.kill()


@contextlib.contextmanager
def running(*procs: subprocess.Popen[bytes]) -> Iterator[None]:
    try:
        yield
    finally:
        stop(*procs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m portal_staff.devstack",
        description="Run the portal locally: DynamoDB Local (data kept in .data/dynamodb), the API "
                    "under chalice local, and the site with live reload.")
    parser.add_argument("--port", type=int, default=8000, help="site port (default 8000)")
    parser.add_argument("--api-port", type=int, default=8002)
    parser.add_argument("--db-port", type=int, default=8001)
    parser.add_argument("--staff-api-port", type=int, default=8003)
    parser.add_argument("--issuer-port", type=int, default=9229)
    parser.add_argument("--editor-port", type=int, default=8081,
                        help="decap-server, the content editor's local backend (default 8081)")
    parser.add_argument("--table", default="portal-local")
    args = parser.parse_args(argv)

    endpoint = f"http://127.0.0.1:{args.db_port}"
    origin = f"http://127.0.0.1:{args.port}"
    try:
        db = start_dynamodb(args.db_port, ROOT / ".data" / "dynamodb")
    except StackError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    procs: list[subprocess.Popen[bytes]] = [db]
    try:
        ensure_table(endpoint, args.table)
        surveys = ROOT / ".data" / "survey_definitions.json"
        bundle(ROOT / "content", surveys)  # the API validates survey answers against these
        api = start_api(args.api_port, endpoint, args.table, origin, surveys)
        procs.append(api)
        procs.append(start_cognito(args.issuer_port, ROOT / ".data" / "cognito"))
        issuer = seed_cognito(args.issuer_port, [f"{origin}/staff/"])
        staff_api = f"http://127.0.0.1:{args.staff_api_port}"
        procs.append(start_staff_api(args.staff_api_port, endpoint, args.table, origin, issuer))
        editor_repo = ROOT / ".data" / "editor" / "repo"
        prepare(editor_repo, ROOT / "content")
        procs.append(start_decap_server(args.editor_port, editor_repo, origin))
        publisher = Publisher(editor_repo, ROOT / "content").start()
        print(f"DynamoDB Local: {endpoint} (table {args.table}, data in .data/dynamodb)")
        print(f"API:            http://127.0.0.1:{args.api_port}/suggestions")
        print(f"Staff API:      {staff_api}/staff/me")
        print(f"Sign-in:        {issuer.issuer} (cognito-local; accounts for this machine only)")
        for user, password, groups in LOCAL_STAFF:
            print(f"                {user:9} {password:15} {', '.join(groups)}")
        print(f"Case desk:      {origin}/staff/")
        print(f"Content editor: {origin}/staff/content/   (drafts and reviews in {editor_repo};"
              f" what is published is copied into content/)")
        print(f"Portal:         {origin}/   (Ctrl-C stops everything)", flush=True)
        env = {**os.environ, "PORTAL_API_URL": f"http://127.0.0.1:{args.api_port}",
               "PORTAL_EDITOR_LOCAL_URL": f"http://127.0.0.1:{args.editor_port}/api/v1",
               "NO_MKDOCS_2_WARNING": "1", **desk_env(staff_api, issuer)}
        site = subprocess.Popen(
            [str(Path(sys.executable).with_name("mkdocs")), "serve", "--livereload", "--dirty",
             "--dev-addr", f"127.0.0.1:{args.port}"], cwd=ROOT, env=env)
        procs.append(site)
        signal.signal(signal.SIGTERM, lambda *_: site.terminate())
        try:
            return site.wait()
        finally:
            publisher.stop()
    except (StackError, RepoError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 0
    finally:
        stop(*reversed(procs))


if __name__ == "__main__":
    raise SystemExit(main())
