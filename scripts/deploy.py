"""Deploy the portal to AWS: the API (Lambda, API Gateway, DynamoDB) and the static site.

    bash scripts/deploy.sh dev --dry-run     offline: package the templates, touch no AWS
    bash scripts/deploy.sh prod              package, deploy both stacks, build, upload
    bash scripts/deploy.sh publish prod      only build the site and upload it (what the
                                             workflow .github/workflows/site.yml runs)
    .venv/bin/python scripts/deploy.py build-site --api-url URL --site-url URL --out DIR

A deploy runs STEPS, in order (running it again updates; nothing is created twice); a dry
run runs the offline ones (packaging) and writes the others' commands to plan.txt:
  1. the secret community-portal/<stage> (RECEIPT_SECRET, RATE_SALT), created if missing;
  2. the API packaged: portal_domain and portal_contracts copied into api/vendor/ with the
     survey definitions, `chalice package --merge-template deploy/api.yml` (offline);
  3. the stack community-portal-artifacts: a private bucket for the API's code package;
  4. the stack community-portal-<stage>-site: S3 bucket + CloudFront (deploy/site.yml),
     whose address must be the API's CORS_ORIGIN;
  5. the API: `aws cloudformation package` and `deploy` as the stack community-portal-<stage>;
  6. with publish.repository set in deploy/stages.yml: the git host's OpenID Connect
     provider, and the stack community-portal-<stage>-publish (deploy/publish.yml): the
     role the workflow assumes, and the timed rebuilds;
  7. the site, built with PORTAL_API_URL = the API stack's EndpointURL; its pages'
     Content-Security-Policy set as CloudFront's response header (the site stack again);
     the site uploaded with per-type Content-Type and Cache-Control, and the CloudFront
     cache invalidated; the run's status written for the editor, and the next run
     scheduled at the next change the build reported.

`publish` runs only the site's part (PUBLISH_STEPS): it reads the stacks' outputs, builds,
refuses a site whose pages' policy is not CloudFront's header (that takes a deploy), uploads,
invalidates, writes the status and schedules the next run. A build that fails uploads
nothing: the last good site stays live, and the status file carries the build's problems.

Settings: the portal's address is CORS_ORIGIN of the stage in api/.chalice/config.json; the
region, certificate, deletion protection, throttling and the repository that publishes are in
deploy/stages.yml (PORTAL_STAGES_FILE names another file).

Exit codes: 0 done; 1 an AWS step failed, or the site did not build; 2 bad stage or settings;
3 the aws command or credentials are missing; 4 CORS_ORIGIN is not the site's address (the
message says what to set).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    PositiveInt,
    StrictBool,
    StringConstraints,
    ValidationError,
    model_validator,
)

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "site_src"))  # portal.errors also when run without the venv's install
from publishing import (  # noqa: E402
    NEXT_CHANGE_FILE,
    SCHEDULE_NAME,
    STATUS_CACHE,
    STATUS_CONTENT_TYPE,
    STATUS_KEY,
    WORKFLOW,
    BuildLog,
    Status,
    commit_id,
    next_run,
    schedule_args,
    write_next_change,
)

from portal.errors import FieldProblem, from_pydantic  # noqa: E402

API_DIR = ROOT / "api"
STAFF_DIR = ROOT / "staff_api"
# The staff function's own dependencies (PyJWT and cryptography): manylinux wheels that
# `bash scripts/setup.sh` downloads into LAMBDA_WHEELS, installed offline at packaging time.
STAFF_REQUIREMENTS = STAFF_DIR / "lambda-requirements.txt"
LAMBDA_WHEELS = ROOT / ".data" / "lambda-wheels"
# The Lambda's own packages besides app.py: Chalice ships whatever is in api/vendor/.
VENDORED = (ROOT / "api" / "portal_domain", ROOT / "contracts" / "portal_contracts")
DEPLOY_DIR = ROOT / "deploy"
CHALICE_CONFIG = API_DIR / ".chalice" / "config.json"
STAGES_FILE = Path(os.environ.get("PORTAL_STAGES_FILE") or DEPLOY_DIR / "stages.yml")
MKDOCS_YML = ROOT / "mkdocs.yml"
GITHUB_OIDC = "token.actions.githubusercontent.com"
BIN = Path(sys.executable).parent
ARTIFACTS_STACK = "community-portal-artifacts"
# IAM roles and policies without fixed names; the SAM transform Chalice's template uses.
API_CAPABILITIES = ("CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND")


class DeployError(Exception):
    """A problem the person deploying can fix; `code` is the exit status."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


# --- settings ------------------------------------------------------------------------------

class Throttle(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rate: PositiveInt    # requests per second, all clients together
    burst: PositiveInt   # requests at once above the rate

    @model_validator(mode="after")
    def _burst_covers_rate(self) -> Throttle:
        if self.burst < self.rate:
            raise FieldProblem("burst", f"at least 'rate' ({self.rate})", str(self.burst))
        return self


class PublishSettings(BaseModel):
    """Where the site is published from: one branch of one repository, whose workflow
    assumes the stage's publish role through the git host's OpenID Connect issuer."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # owner/name, spelled as the git host does (the token's `sub` is compared exactly);
    # "" = nothing publishes from git (no role, no timed rebuilds)
    repository: Annotated[str, StringConstraints(
        pattern=r"^([A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+)?$")] = ""
    branch: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*$")] = "main"
    # the issuer of the workflow's tokens without https:// (Forgejo: <host>/api/actions)
    oidc_issuer: Annotated[str, StringConstraints(
        pattern=r"^[a-z0-9.-]+(:[0-9]+)?(/[A-Za-z0-9._-]+)*$")] = GITHUB_OIDC
    # the git host's REST API, where the timed rebuilds dispatch the workflow
    api_root: Annotated[str, StringConstraints(pattern=r"^https://[^\s/]+(/[^\s/]+)*$")] = \
        "https://api.github.com"


class StageSettings(BaseModel):
    """One stage of deploy/stages.yml."""

    model_config = ConfigDict(extra="forbid")

    region: Annotated[str, StringConstraints(pattern=r"^[a-z]{2}(-gov)?-[a-z]+-\d$")]
    # CloudFront reads certificates only in us-east-1; empty: serve on *.cloudfront.net.
    certificate_arn: Annotated[str, StringConstraints(
        pattern=r"^(arn:aws[a-z-]*:acm:us-east-1:\d{12}:certificate/.+)?$")] = ""
    deletion_protection: StrictBool
    throttle: Throttle
    # The staff sign-in's hosted page: <prefix>.auth.<region>.amazoncognito.com
    auth_domain_prefix: Annotated[str, StringConstraints(
        pattern=r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")]
    staff_throttle: Throttle
    # The content editor's repository (owner/name on GitHub) and branch; "" = no git proxy.
    editor_repo: Annotated[str, StringConstraints(pattern=r"^([A-Za-z0-9-]+/[A-Za-z0-9._-]+)?$")] = ""
    editor_branch: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._/-]+$")] = "main"
    publish: PublishSettings = PublishSettings()


@dataclass(frozen=True)
class Stage:
    name: str
    region: str
    origin: str               # CORS_ORIGIN: the portal's address, e.g. https://portal.example.cn
    certificate_arn: str      # ACM (us-east-1) for the origin's host; "" = *.cloudfront.net
    deletion_protection: bool
    throttle_rate: int
    throttle_burst: int
    auth_domain_prefix: str = ""
    staff_throttle: tuple[int, int] = (5, 10)
    editor: tuple[str, str] = ("", "main")  # (repository, branch) of the content editor
    publish: PublishSettings = field(default_factory=PublishSettings)

    @property
    def api_stack(self) -> str:
        return f"community-portal-{self.name}"

    @property
    def site_stack(self) -> str:
        return f"community-portal-{self.name}-site"

    @property
    def staff_stack(self) -> str:
        return f"community-portal-{self.name}-staff"

    @property
    def publish_stack(self) -> str:
        return f"community-portal-{self.name}-publish"

    @property
    def secret_name(self) -> str:
        return f"community-portal/{self.name}"

    @property
    def dispatch_secret(self) -> str:
        """The git host's token the timed rebuilds dispatch the workflow with (by hand)."""
        return f"community-portal/{self.name}/dispatch-token"

    @property
    def publishes(self) -> bool:
        """Whether a repository's workflow publishes this stage (publish.repository)."""
        return bool(self.publish.repository)

    @property
    def domain(self) -> str:
        """The alias CloudFront answers for; none without a certificate."""
        return (urlsplit(self.origin).hostname or "") if self.certificate_arn else ""

    def api_parameters(self) -> list[str]:
        return [f"SecretName={self.secret_name}",
                f"DeletionProtection={'true' if self.deletion_protection else 'false'}",
                f"ThrottleRate={self.throttle_rate}", f"ThrottleBurst={self.throttle_burst}"]

    def staff_parameters(self, table: str, table_arn: str) -> list[str]:
        return [f"TableName={table}", f"TableArn={table_arn}", f"SecretName={self.secret_name}",
                f"DeskURL={self.origin}/staff/", f"AuthDomainPrefix={self.auth_domain_prefix}",
                f"ThrottleRate={self.staff_throttle[0]}", f"ThrottleBurst={self.staff_throttle[1]}",
                f"Stage={self.name}", f"EditorRepo={self.editor[0]}", f"EditorBranch={self.editor[1]}"]

    def publish_parameters(self, bucket: str, distribution: str, token_version: str) -> list[str]:
        """The publish stack's parameters; without a token version no timed rebuilds."""
        p = self.publish
        return [f"Stage={self.name}", f"Repository={p.repository}", f"Branch={p.branch}",
                f"OidcIssuer={p.oidc_issuer}", f"SiteBucket={bucket}",
                f"DistributionId={distribution}",
                f"DispatchURL={p.api_root}/repos/{p.repository}/actions/workflows/{WORKFLOW}"
                "/dispatches",
                f"DispatchTokenVersion={token_version}"]

    def site_parameters(self, csp: tuple[str, str | None] | None = None) -> list[str]:
        """The site stack's parameters; without `csp` (the site's header policy, and the
        content editor's) the header policies stay as they are."""
        site, editor = csp if csp is not None else (None, None)
        return [f"DomainName={self.domain}", f"CertificateArn={self.certificate_arn}",
                *([f"ContentSecurityPolicy={site}"] if site is not None else []),
                *([f"EditorContentSecurityPolicy={editor}"] if editor is not None else [])]


def load_stage(name: str) -> Stage:
    """The stage's settings from api/.chalice/config.json and deploy/stages.yml, checked."""
    problems: list[str] = []
    config = json.loads(CHALICE_CONFIG.read_text(encoding="utf-8"))
    chalice_stages = config.get("stages", {})
    deployable = sorted(s for s in chalice_stages if s != "local")
    if name == "local" or name not in chalice_stages:
        raise DeployError(f"api/.chalice/config.json: stages: expected one of {deployable} "
                          f"(\"local\" is for chalice local), found {name!r}", 2)
    if not re.fullmatch(r"[a-z][a-z0-9-]{0,19}", name):
        raise DeployError(f"stage name: expected lower-case letters, digits and '-' (at most 20), "
                          f"found {name!r}", 2)
    stage_cfg = chalice_stages[name]
    origin = str(stage_cfg.get("environment_variables", {}).get("CORS_ORIGIN", ""))
    parts = urlsplit(origin)
    if parts.scheme != "https" or not parts.hostname or parts.path or parts.query:
        # Browsers send the origin without a path or a trailing slash; it must match exactly.
        problems.append(f"api/.chalice/config.json: stages.{name}.environment_variables.CORS_ORIGIN: "
                        f"expected the portal's address such as 'https://portal.example.cn' "
                        f"(no path, no trailing slash), found {origin!r}")
    if stage_cfg.get("autogen_policy", config.get("autogen_policy")) is not False:
        problems.append(f"api/.chalice/config.json: stages.{name}.autogen_policy: expected false "
                        f"(the policy is .chalice/policy-{name}.json), found "
                        f"{stage_cfg.get('autogen_policy')!r}")
    policy = API_DIR / ".chalice" / str(stage_cfg.get("iam_policy_file", f"policy-{name}.json"))
    if not policy.is_file():
        problems.append(f"api/.chalice/config.json: stages.{name}.iam_policy_file: expected an "
                        f"existing file, found {policy.name!r} missing")
    raw = (yaml.safe_load(STAGES_FILE.read_text(encoding="utf-8")) or {}).get(name)
    settings = None
    try:
        settings = StageSettings.model_validate(raw)
    except ValidationError as exc:
        problems += [str(e) for e in from_pydantic("deploy/stages.yml", exc, f"{name}.")]
    if problems or settings is None:
        raise DeployError("\n".join(problems), 2)
    return Stage(name, settings.region, origin, settings.certificate_arn,
                 settings.deletion_protection, settings.throttle.rate, settings.throttle.burst,
                 settings.auth_domain_prefix,
                 (settings.staff_throttle.rate, settings.staff_throttle.burst),
                 (settings.editor_repo, settings.editor_branch), settings.publish)


# --- running commands ----------------------------------------------------------------------

def run(cmd: Sequence[str], *, env: dict[str, str] | None = None, cwd: Path | None = None,
        capture: bool = False, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run a command, echoing it; a failure becomes a DeployError naming the command."""
    print("$ " + shlex.join(cmd), flush=True)
    proc = subprocess.run(list(cmd), env=env, cwd=cwd, text=True,
                          stdout=subprocess.PIPE if capture else None,
                          stderr=subprocess.PIPE if capture else None)
    if check and proc.returncode != 0:
        detail = (proc.stderr or "").strip()[-2000:] if capture else ""
        raise DeployError(f"this command failed (exit {proc.returncode}):\n  {shlex.join(cmd)}"
                          + (f"\n{detail}" if detail else ""))
    return proc


def tool_env(region: str) -> dict[str, str]:
    return {**os.environ, "AWS_DEFAULT_REGION": region, "AWS_REGION": region,
            "AWS_PAGER": "", "NO_MKDOCS_2_WARNING": "1"}


# --- packaging (offline) -------------------------------------------------------------------

def package(stage: Stage, out: Path, lint: bool = True) -> dict[str, Path]:
    """`chalice package` the API with deploy/api.yml merged in; copy the other templates beside.

    Needs no credentials and no network: Chalice only reads the app and its config. The
    region only decides the service principals (lambda.amazonaws.com vs .com.cn).
    """
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    chalice = BIN / "chalice"
    if not chalice.exists():
        raise DeployError(f"{chalice} is missing: run `bash scripts/setup.sh` first", 2)
    for app_dir in (API_DIR, STAFF_DIR):
        vendor = app_dir / "vendor"
        try:
            vendor_packages(vendor, staff=app_dir == STAFF_DIR)
            run(package_command(stage, out, app_dir), env=tool_env(stage.region), cwd=app_dir)
        finally:
            shutil.rmtree(vendor, ignore_errors=True)
    templates = {"api": out / "api" / "sam.yaml", "staff": out / "staff" / "sam.yaml",
                 "site": out / "site.yml", "artifacts": out / "artifacts.yml",
                 "publish": out / "publish.yml"}
    for name in ("site", "artifacts", "publish"):
        shutil.copyfile(DEPLOY_DIR / f"{name}.yml", templates[name])
    if lint and (BIN / "cfn-lint").exists():
        run([str(BIN / "cfn-lint"), "--regions", stage.region, "--",
             *(str(p) for p in templates.values())])
    return templates


def package_command(stage: Stage, out: Path, app_dir: Path = API_DIR) -> list[str]:
    name = "staff" if app_dir == STAFF_DIR else "api"
    return [str(BIN / "chalice"), "package", "--stage", stage.name, "--merge-template",
            str(DEPLOY_DIR / f"{name}.yml"), str(out / name)]


def vendor_packages(vendor: Path, staff: bool = False) -> None:
    """Copy the Lambda's packages into <app>/vendor/ and bundle content/surveys/ beside the
    domain (portal_domain/survey_definitions.json), so the function validates answers
    against the definitions the site's forms were built from. The staff function also
    gets its wheels (Lambda's Linux, Python 3.11), installed from LAMBDA_WHEELS offline."""
    from portal.errors import ContentInvalid
    from portal_staff.surveys import bundle

    shutil.rmtree(vendor, ignore_errors=True)
    for package_dir in VENDORED:
        shutil.copytree(package_dir, vendor / package_dir.name,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    try:
        bundle(ROOT / "content", vendor / "portal_domain" / "survey_definitions.json")
    except ContentInvalid as exc:
        raise DeployError(exc.report(), 2) from exc
    if staff:  # the editor's git proxy, a function of its own from the same package
        shutil.copyfile(STAFF_DIR / "git_proxy.py", vendor / "git_proxy.py")
        if not LAMBDA_WHEELS.is_dir():
            raise DeployError(f"{LAMBDA_WHEELS} is missing: run `bash scripts/setup.sh` first", 2)
        run([sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check",
             "--no-index", "--find-links", str(LAMBDA_WHEELS), "--only-binary=:all:",
             "--platform", "manylinux2014_x86_64", "--python-version", "3.11",
             "--implementation", "cp", "--target", str(vendor), "-r", str(STAFF_REQUIREMENTS)])


# --- the site: build and upload ------------------------------------------------------------

HTML_CACHE = "public, max-age=300"              # pages and feeds: a notice shows within 5 min
DAY_CACHE = "public, max-age=86400"             # assets whose name does not change with content
YEAR_CACHE = "public, max-age=31536000, immutable"  # fingerprinted theme bundles


@dataclass(frozen=True)
class Upload:
    """Files matching `patterns` (aws s3 filter globs; `*` crosses folders) get these headers."""

    patterns: tuple[str, ...]
    content_type: str | None     # None: the aws CLI guesses from the extension
    cache_control: str
    delete: bool = True          # remove stale files of this kind; old bundles stay for old pages


# First match wins; together they cover every file (the last rule is "*").
UPLOADS: tuple[Upload, ...] = (
    Upload(("*.html",), "text/html; charset=utf-8", HTML_CACHE),
    Upload(("*rss.xml",), "application/rss+xml; charset=utf-8", HTML_CACHE),
    Upload(("*atom.xml",), "application/atom+xml; charset=utf-8", HTML_CACHE),
    Upload(("*feed.json",), "application/feed+json; charset=utf-8", HTML_CACHE),
    Upload(("*.ics",), "text/calendar; charset=utf-8", HTML_CACHE),
    Upload(("*.xml",), "application/xml; charset=utf-8", HTML_CACHE),
    Upload(("*.xml.gz",), "application/gzip", HTML_CACHE),
    Upload(("*.json",), "application/json; charset=utf-8", HTML_CACHE),
    Upload(("*.csv",), "text/csv; charset=utf-8", HTML_CACHE),
    Upload(("*.yml", "*.yaml"), "application/yaml; charset=utf-8", HTML_CACHE),
    Upload(("assets/javascripts/bundle.*.min.js", "assets/javascripts/workers/search.*.min.js"),
           "text/javascript; charset=utf-8", YEAR_CACHE, delete=False),
    Upload(("assets/stylesheets/main.*.min.css", "assets/stylesheets/palette.*.min.css"),
           "text/css; charset=utf-8", YEAR_CACHE, delete=False),
    Upload(("*.js",), "text/javascript; charset=utf-8", DAY_CACHE),
    Upload(("*.css",), "text/css; charset=utf-8", DAY_CACHE),
    Upload(("*.svg",), "image/svg+xml", DAY_CACHE),
    Upload(("*",), None, DAY_CACHE),
)


def upload_commands(site: Path, bucket: str, region: str) -> list[list[str]]:
    """One `aws s3 sync` per rule, each excluding what earlier rules claim.

    They run assets first and HTML last, so no new page points at a file not yet uploaded.
    None touches the publish status (STATUS_KEY), which is not part of the built site:
    an excluded file is neither uploaded nor deleted by `--delete`.
    """
    commands: list[list[str]] = []
    claimed: list[str] = []
    for rule in UPLOADS:
        cmd = ["aws", "s3", "sync", str(site), f"s3://{bucket}", "--region", region,
               "--no-progress", "--exclude", "*"]
        for pattern in rule.patterns:
            cmd += ["--include", pattern]
        for pattern in [*claimed, STATUS_KEY]:
            cmd += ["--exclude", pattern]
        cmd += ["--cache-control", rule.cache_control]
        if rule.content_type:
            cmd += ["--content-type", rule.content_type]
        if rule.delete:
            cmd.append("--delete")
        commands.append(cmd)
        claimed += rule.patterns
    return commands[::-1]


class BuildFailed(DeployError):
    """The site did not build; `problems` are the lines the build printed about why."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("the site did not build:\n  " + "\n  ".join(problems))


@dataclass(frozen=True)
class Built:
    site: Path
    next_change: datetime | None  # when the clock next changes what the site shows


def build_site(api_url: str, site_url: str, out: Path, desk: dict[str, str] | None = None,
               config_file: Path = MKDOCS_YML) -> Built:
    """Build the portal (strict, as `mkdocs build`) with the stage's API base URL, its own
    address (feeds, QR codes) and the case desk's settings (staff API, sign-in page, client
    id). A build that fails raises BuildFailed with the lines it printed."""
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    values = {"PORTAL_API_URL": api_url.rstrip("/"), **(desk or {})}
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
    log = BuildLog()
    try:
        with log.listening("mkdocs", "portal"):
            config = load_config(str(config_file), site_url=site_url.rstrip("/") + "/",
                                 site_dir=str(out))
            build(config)
    except Exception as exc:  # Abort after what it logged, or anything else that stopped it
        raise BuildFailed(log.lines or [f"{type(exc).__name__}: {exc}"]) from exc
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    # The portal plugin reports it (PortalPlugin.next_change), unimported: the deploy stays
    # clear of the site's sections (tests/test_architecture.py).
    report = getattr(config.plugins.get("portal"), "next_change", None)
    return Built(out, report() if callable(report) else None)


# --- AWS -----------------------------------------------------------------------------------

class Aws:
    """The aws CLI for one region; checks that it is installed and has credentials."""

    def __init__(self, region: str) -> None:
        self.region = region
        self.env = tool_env(region)
        if shutil.which("aws", path=self.env.get("PATH")) is None:
            raise DeployError(
                "the `aws` command is not installed. Install AWS CLI v2 "
                "(https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html), "
                "run `aws configure`, then run this again. (--dry-run needs neither.)", 3)
        who = self.call(["sts", "get-caller-identity"], check=False)
        if who.returncode != 0:
            raise DeployError(
                "the aws command has no working credentials for region " + region + ":\n  "
                + (who.stderr or "").strip()[-500:] + "\nRun `aws configure` (or set AWS_PROFILE) "
                "with an IAM user or role allowed to deploy, then run this again.", 3)
        self.account = str(json.loads(who.stdout or "{}").get("Account", "?"))

    def call(self, args: list[str], check: bool = True) -> subprocess.CompletedProcess[str]:
        return run(["aws", *args, "--region", self.region, "--output", "json"], env=self.env,
                   capture=True, check=check)

    def stack_status(self, stack: str) -> str | None:
        proc = self.call(["cloudformation", "describe-stacks", "--stack-name", stack], check=False)
        if proc.returncode != 0:
            if "does not exist" in (proc.stderr or ""):
                return None
            raise DeployError(f"cannot read the stack {stack}:\n{(proc.stderr or '').strip()}")
        return str(json.loads(proc.stdout)["Stacks"][0]["StackStatus"])

    def outputs(self, stack: str) -> dict[str, str]:
        return self.describe(stack)[0]

    def describe(self, stack: str) -> tuple[dict[str, str], dict[str, str]]:
        """A stack's outputs and parameters."""
        proc = self.call(["cloudformation", "describe-stacks", "--stack-name", stack], check=False)
        if proc.returncode != 0:
            if "does not exist" in (proc.stderr or ""):
                raise DeployError(f"the stack {stack} does not exist: deploy the stage first "
                                  f"(bash scripts/deploy.sh <stage>)", 2)
            raise DeployError(f"cannot read the stack {stack}:\n{(proc.stderr or '').strip()}")
        found = json.loads(proc.stdout)["Stacks"][0]
        return ({o["OutputKey"]: o["OutputValue"] for o in found.get("Outputs", [])},
                {p["ParameterKey"]: p.get("ParameterValue", "") for p in found.get("Parameters", [])})

    def secret_version(self, name: str) -> str:
        """The current version id of a secret; "" when there is no such secret."""
        proc = self.call(["secretsmanager", "describe-secret", "--secret-id", name], check=False)
        if proc.returncode != 0:
            if "ResourceNotFoundException" in (proc.stderr or ""):
                return ""
            raise DeployError(f"cannot read the secret {name}:\n{(proc.stderr or '').strip()}")
        versions = json.loads(proc.stdout).get("VersionIdsToStages", {})
        return next((v for v, stages in versions.items() if "AWSCURRENT" in stages), "")

    def ensure_oidc_provider(self, issuer: str) -> None:
        """Register the git host's token issuer with IAM once per account (audience
        sts.amazonaws.com); AWS checks its certificate against its own trusted CAs."""
        proc = self.call(["iam", "list-open-id-connect-providers"])
        arns = [p["Arn"] for p in json.loads(proc.stdout).get("OpenIDConnectProviderList", [])]
        if any(arn.endswith(f":oidc-provider/{issuer}") for arn in arns):
            return
        print(f"registering the OpenID Connect provider https://{issuer} with IAM")
        self.call(oidc_provider_args(issuer))

    def deploy(self, template: Path, stack: str, stage: str, parameters: list[str],
               capabilities: Sequence[str] = (), bucket: str | None = None) -> dict[str, str]:
        """Create or update the stack through a change set; a failed update rolls back."""
        if self.stack_status(stack) == "ROLLBACK_COMPLETE":
            # A first creation that failed leaves an empty stack that cannot be updated.
            print(f"{stack} failed when it was created and holds nothing; deleting it first")
            self.call(["cloudformation", "delete-stack", "--stack-name", stack])
            self.call(["cloudformation", "wait", "stack-delete-complete", "--stack-name", stack])
        cmd = stack_deploy_args(template, stack, stage, parameters, capabilities, bucket)
        proc = run(["aws", *cmd, "--region", self.region], env=self.env, check=False)
        if proc.returncode != 0:
            raise DeployError(
                f"CloudFormation could not deploy {stack}; it rolled back to the previous version. "
                f"See why:\n  aws cloudformation describe-stack-events --region {self.region} "
                f"--stack-name {stack} --max-items 20")
        return self.outputs(stack)

    def ensure_secret(self, name: str) -> None:
        """Create the app's secrets once, random; they never need to be known by a person."""
        proc = self.call(["secretsmanager", "describe-secret", "--secret-id", name], check=False)
        if proc.returncode == 0:
            return
        if "ResourceNotFoundException" not in (proc.stderr or ""):
            raise DeployError(f"cannot read the secret {name}:\n{(proc.stderr or '').strip()}")
        value = json.dumps({"RECEIPT_SECRET": secrets.token_urlsafe(48),
                            "RATE_SALT": secrets.token_urlsafe(24)})
        fd, path = tempfile.mkstemp(prefix="portal-secret-", suffix=".json")  # mode 0600
        try:
            with os.fdopen(fd, "w") as f:
                f.write(value)
            print(f"creating the secret {name} (random RECEIPT_SECRET and RATE_SALT)")
            self.call(["secretsmanager", "create-secret", "--name", name, "--description",
                       "Community portal API: receipt HMAC key and rate-limit salt",
                       "--secret-string", f"file://{path}"])
        finally:
            os.unlink(path)


def oidc_provider_args(issuer: str) -> list[str]:
    return ["iam", "create-open-id-connect-provider", "--url", f"https://{issuer}",
            "--client-id-list", "sts.amazonaws.com"]


def stack_deploy_args(template: Path, stack: str, stage: str, parameters: Sequence[str],
                      capabilities: Sequence[str] = (), bucket: str | None = None) -> list[str]:
    cmd = ["cloudformation", "deploy", "--template-file", str(template), "--stack-name", stack,
           "--no-fail-on-empty-changeset", "--tags", "app=community-portal", f"stage={stage}"]
    if capabilities:
        cmd += ["--capabilities", *capabilities]
    if bucket:  # templates over 51,200 bytes must go through S3; harmless below
        cmd += ["--s3-bucket", bucket, "--s3-prefix", stack]
    if parameters:
        cmd += ["--parameter-overrides", *parameters]
    return cmd


# --- the steps: one list, run by a deploy, printed by a dry run ---------------------------

@dataclass
class Deployment:
    """One deploy or publish run (or dry run) of a stage: what the steps read and what they
    found out."""

    stage: Stage
    out: Path
    lint: bool
    aws: Aws | None = None  # None: a dry run, nothing is sent to AWS
    config_file: Path = MKDOCS_YML
    templates: dict[str, Path] = field(default_factory=dict)
    outputs: dict[str, dict[str, str]] = field(default_factory=dict)  # stack → its outputs
    parameters: dict[str, dict[str, str]] = field(default_factory=dict)  # as a publish read them
    built: Built | None = None

    def output(self, stack: str, key: str) -> str:
        """A stack's output; in a dry run a placeholder such as <site BucketName>."""
        return self.outputs.get(stack, {}).get(key, f"<{stack} {key}>")

    @property
    def live(self) -> Aws:
        assert self.aws is not None, "a dry run runs only the offline steps"
        return self.aws


@dataclass(frozen=True)
class Step:
    what: str
    commands: Callable[[Deployment], list[str]]  # what it runs, as the plan shows it
    run: Callable[[Deployment], None]
    offline: bool = False  # runs in a dry run too (touches no AWS)
    # Part of publishing the site: when it fails, the editor's status file says so and why.
    site: bool = False
    # Only for a stage a repository publishes (publish.repository in deploy/stages.yml).
    publishing: bool = False


NOT_PUBLISHING = "skipped: publish.repository is not set in deploy/stages.yml"


def _secret(d: Deployment) -> None:
    d.live.ensure_secret(d.stage.secret_name)


def _package(d: Deployment) -> None:
    d.templates = package(d.stage, d.out, d.lint)


Plan = Callable[[Deployment], list[str]]
Act = Callable[[Deployment], None]


def _stack(name: str, template: str, stack: Callable[[Stage], str], stage_tag: Callable[[Stage], str],
           parameters: Callable[[Deployment], list[str]], capabilities: Sequence[str] = (),
           bucket: bool = False) -> tuple[Plan, Act]:
    """The commands and the action of deploying one stack, from one description."""

    def args(d: Deployment) -> list[str]:
        return stack_deploy_args(d.out / template, stack(d.stage), stage_tag(d.stage),
                                 parameters(d), capabilities,
                                 d.output("artifacts", "BucketName") if bucket else None)

    def act(d: Deployment) -> None:
        d.outputs[name] = d.live.deploy(
            d.out / template, stack(d.stage), stage_tag(d.stage), parameters(d),
            capabilities, d.outputs["artifacts"]["BucketName"] if bucket else None)

    return (lambda d: ["aws " + shlex.join(args(d))]), act


def _upload_code(app: str, stack: Callable[[Stage], str]) -> tuple[Plan, Act]:
    """`aws cloudformation package`: an app's code to the artifacts bucket."""

    def args(d: Deployment) -> list[str]:
        return ["cloudformation", "package", "--template-file", str(d.out / app / "sam.yaml"),
                "--s3-bucket", d.output("artifacts", "BucketName"), "--s3-prefix",
                stack(d.stage), "--output-template-file", str(d.out / app / "packaged.yaml")]

    def act(d: Deployment) -> None:
        d.live.call(args(d))

    return (lambda d: ["aws " + shlex.join(args(d))]), act


def _same_origin(d: Deployment) -> None:
    stage, url = d.stage, d.outputs["site"]["SiteURL"]
    if url.rstrip("/") != stage.origin:
        raise DeployError(
            f"the site of stage {stage.name} is served at {url}, but the API would "
            f"allow only {stage.origin}. Either set in api/.chalice/config.json\n"
            f"  stages.{stage.name}.environment_variables.CORS_ORIGIN = \"{url}\"\n"
            f"or, to serve the site at {urlsplit(stage.origin).hostname}, set "
            f"{stage.name}.certificate_arn in deploy/stages.yml (an ACM certificate in us-east-1); "
            f"then run this again.", 4)


def _oidc_provider(d: Deployment) -> None:
    d.live.ensure_oidc_provider(d.stage.publish.oidc_issuer)


def _dispatch_token(d: Deployment) -> None:
    version = d.live.secret_version(d.stage.dispatch_secret)
    d.outputs["dispatch-token"] = {"Version": version}
    if not version:
        print(f"no secret {d.stage.dispatch_secret}: the site is published on each commit and "
              f"daily, but not at each scheduled notice's time (README, \"Published by itself\")")


def _desk(d: Deployment) -> dict[str, str]:
    return {"PORTAL_STAFF_API_URL": d.output("staff", "EndpointURL").rstrip("/"),
            "PORTAL_OIDC_URL": d.output("staff", "SignInURL"),
            "PORTAL_OIDC_CLIENT_ID": d.output("staff", "DeskClientId"),
            **({"PORTAL_EDITOR_BACKEND": "proxy", "PORTAL_EDITOR_PROXY_URL":
                d.output("staff", "GitProxyURL"), "PORTAL_EDITOR_REPO": d.stage.editor[0],
                "PORTAL_EDITOR_BRANCH": d.stage.editor[1]} if d.stage.editor[0]
               # no repository named: no editor page (it would point at a laptop's backend)
               else {"PORTAL_EDITOR_BACKEND": "none"})}


def _build_site(d: Deployment) -> None:
    d.built = build_site(d.output("api", "EndpointURL").rstrip("/"), d.stage.origin,
                         d.out / "site", _desk(d), d.config_file)
    write_next_change(d.out / NEXT_CHANGE_FILE, d.built.next_change)
    when = d.built.next_change
    print(f"the site next changes by the clock at {when.isoformat()}" if when else
          "nothing the site shows changes by the clock")


# CloudFront's limit on a ContentSecurityPolicy header value (characters).
CSP_HEADER_MAX = 1783


def _site_csp(d: Deployment) -> tuple[str, str | None]:
    """The CDN's policies: the built pages' own policies merged, and the content editor's
    (placeholders in a dry run)."""
    from portal import csp

    site = d.out / "site"
    if not site.is_dir():
        return ("<site ContentSecurityPolicy>",
                "<editor ContentSecurityPolicy>" if d.stage.editor[0] else None)
    try:
        policy, editor = csp.site_policy(site), csp.editor_policy(site)
    except ValueError as exc:
        raise DeployError(f"the site's Content-Security-Policy: {exc}") from exc
    for name, value in (("site", policy), ("content editor", editor)):
        if value is not None and len(value) > CSP_HEADER_MAX:
            raise DeployError(f"the {name}'s Content-Security-Policy is {len(value)} characters; "
                              f"CloudFront takes at most {CSP_HEADER_MAX}:\n  {value}")
    return policy, editor


def _same_header(d: Deployment) -> None:
    """A publish run cannot change CloudFront's headers (only a deploy can): the pages it
    uploads must need exactly the policies the headers already send (the site's, and the
    content editor's folder's)."""
    site, editor = _site_csp(d)
    sent = d.parameters["site"]
    if site != sent.get("ContentSecurityPolicy") or (
            editor is not None and editor != sent.get("EditorContentSecurityPolicy")):
        raise DeployError(
            "the built pages need a Content-Security-Policy other than CloudFront's header "
            "(a new theme, or new API or sign-in addresses), which only a deploy sets; nothing "
            f"was uploaded. Run bash scripts/deploy.sh {d.stage.name}")


def _upload(d: Deployment) -> None:
    for cmd in upload_commands(d.out / "site", d.output("site", "BucketName"), d.stage.region):
        run(cmd, env=d.live.env)


def _invalidate_args(d: Deployment) -> list[str]:
    return ["cloudfront", "create-invalidation", "--distribution-id",
            d.output("site", "DistributionId"), "--paths", "/*"]


def _invalidate(d: Deployment) -> None:
    d.live.call(_invalidate_args(d))


def status_command(path: Path, bucket: str, region: str) -> list[str]:
    return ["aws", "s3", "cp", str(path), f"s3://{bucket}/{STATUS_KEY}", "--region", region,
            "--no-progress", "--content-type", STATUS_CONTENT_TYPE, "--cache-control", STATUS_CACHE]


def write_status(d: Deployment, ok: bool, problems: Sequence[str] = ()) -> None:
    """Put the run's status beside the editor's page (publishing.Status)."""
    status = Status(datetime.now(UTC), commit_id(ROOT), ok, tuple(problems))
    d.out.mkdir(parents=True, exist_ok=True)
    path = d.out / "status.json"
    path.write_text(status.to_json(), encoding="utf-8")
    run(status_command(path, d.output("site", "BucketName"), d.stage.region), env=d.live.env)


def report_failure(d: Deployment, exc: DeployError) -> None:
    """Tell the editor the site was not published, with the lines that say why."""
    if d.aws is None or "BucketName" not in d.outputs.get("site", {}):
        return  # nowhere to write it
    problems = exc.problems if isinstance(exc, BuildFailed) else [
        line.strip() for line in str(exc).splitlines() if line.strip()]
    try:
        write_status(d, False, problems)
    except DeployError as failed:
        print(f"the status file could not be written either: {failed}", file=sys.stderr)


def _schedule(d: Deployment) -> None:
    """Move the stage's one-time schedule to the next change (disable it if none)."""
    from portal.options import Options

    publish = d.outputs["publish"]
    group = publish["ScheduleGroup"]
    now = datetime.now(UTC)
    when = next_run(d.built.next_change if d.built else None, now)
    zone = Options.from_mkdocs_yml(d.config_file.parent).timezone
    found = d.live.call(["scheduler", "get-schedule", "--group-name", group, "--name",
                         SCHEDULE_NAME], check=False)
    if found.returncode != 0 and "ResourceNotFoundException" not in (found.stderr or ""):
        raise DeployError(f"cannot read the schedule {group}/{SCHEDULE_NAME}:\n"
                          f"{(found.stderr or '').strip()}")
    verb = "update-schedule" if found.returncode == 0 else "create-schedule"
    d.live.call(["scheduler", verb, *schedule_args(group, when, zone, publish["EventBusArn"],
                                                   publish["SchedulerRoleArn"], now)])
    print(f"the next run is at {when.astimezone(ZoneInfo(zone)):%Y-%m-%d %H:%M} ({zone})" if when
          else "nothing is due: the next run is the next commit's, or the daily one")


def _schedule_plan(d: Deployment) -> list[str]:
    group = d.output("publish", "ScheduleGroup")
    return [f"aws scheduler get-schedule --group-name {group} --name {SCHEDULE_NAME}",
            f"# then update-schedule (create-schedule the first time): at(<the build's next "
            f"change>) in the portal's time zone, target {d.output('publish', 'EventBusArn')}"]


def _stacks_read(stage: Stage) -> dict[str, str]:
    """The stacks a publish run reads, by the name their outputs go under."""
    return {"api": stage.api_stack, "staff": stage.staff_stack, "site": stage.site_stack,
            **({"publish": stage.publish_stack} if stage.publishes else {})}


def _read_stacks(d: Deployment) -> None:
    for name, stack in _stacks_read(d.stage).items():
        d.outputs[name], d.parameters[name] = d.live.describe(stack)


_artifacts = _stack("artifacts", "artifacts.yml", lambda s: ARTIFACTS_STACK, lambda s: "shared",
                    lambda d: [])
_site = _stack("site", "site.yml", lambda s: s.site_stack, lambda s: s.name,
               lambda d: d.stage.site_parameters())
_site_headers = _stack("site", "site.yml", lambda s: s.site_stack, lambda s: s.name,
                      lambda d: d.stage.site_parameters(_site_csp(d)))
_api_code = _upload_code("api", lambda s: s.api_stack)
_api = _stack("api", "api/packaged.yaml", lambda s: s.api_stack, lambda s: s.name,
              lambda d: d.stage.api_parameters(), API_CAPABILITIES, bucket=True)
_staff_code = _upload_code("staff", lambda s: s.staff_stack)
_staff = _stack("staff", "staff/packaged.yaml", lambda s: s.staff_stack, lambda s: s.name,
                lambda d: d.stage.staff_parameters(d.output("api", "TableName"),
                                                   d.output("api", "TableArn")),
                API_CAPABILITIES, bucket=True)
_publish = _stack("publish", "publish.yml", lambda s: s.publish_stack, lambda s: s.name,
                  lambda d: d.stage.publish_parameters(d.output("site", "BucketName"),
                                                       d.output("site", "DistributionId"),
                                                       d.output("dispatch-token", "Version")),
                  ("CAPABILITY_IAM",))

# What publishing the site is, in a deploy and in a publish run alike: build (strict), then
# upload, so a site that does not build uploads nothing and the last good one stays live.
BUILD = Step("the site built against the API",
             lambda d: [f"# build the site: PORTAL_API_URL={d.output('api', 'EndpointURL')}, "
                        + ", ".join(f"{k}={v}" for k, v in _desk(d).items())
                        + f", site_url={d.stage.origin}/; the next change to {NEXT_CHANGE_FILE}"],
             _build_site, site=True)
UPLOAD = Step("the site uploaded, pages last",
              lambda d: [shlex.join(c) for c in upload_commands(
                  d.out / "site", d.output("site", "BucketName"), d.stage.region)], _upload,
              site=True)
INVALIDATE = Step("the CDN's cache emptied",
                  lambda d: ["aws " + shlex.join(_invalidate_args(d))],
                  _invalidate, site=True)
STATUS = Step("the editor told the site is published (" + STATUS_KEY + ")",
              lambda d: [shlex.join(status_command(d.out / "status.json",
                                                   d.output("site", "BucketName"), d.stage.region))],
              lambda d: write_status(d, True), site=True)
SCHEDULE = Step("the next run scheduled at the next change the build reported",
                _schedule_plan, _schedule, publishing=True)

STEPS: tuple[Step, ...] = (
    Step("the app's secrets, created with random values if missing",
         lambda d: [f"aws secretsmanager describe-secret --secret-id {d.stage.secret_name}"],
         _secret),
    Step("the API packaged with its vendored packages and survey definitions (offline)",
         lambda d: [shlex.join(package_command(d.stage, d.out))], _package, offline=True),
    Step("the bucket for code packages", *_artifacts),
    Step("the site's bucket and CloudFront", *_site),
    Step("the site's address is the API's CORS_ORIGIN",
         lambda d: [f"# check: {d.output('site', 'SiteURL')} == {d.stage.origin}"], _same_origin),
    Step("the API's code uploaded", *_api_code),
    Step("the API stack", *_api),
    Step("the staff API's code uploaded", *_staff_code),
    Step("the staff API and its sign-in (Cognito user pool, hosted page)", *_staff),
    Step("the git host's OpenID Connect provider, registered once per account",
         lambda d: ["aws iam list-open-id-connect-providers",
                    "# if missing: aws " + shlex.join(oidc_provider_args(
                        d.stage.publish.oidc_issuer))], _oidc_provider, publishing=True),
    Step("the token the timed rebuilds dispatch the workflow with (kept by hand)",
         lambda d: [f"aws secretsmanager describe-secret --secret-id {d.stage.dispatch_secret}"],
         _dispatch_token, publishing=True),
    Step("the publish role and the timed rebuilds", *_publish, publishing=True),
    BUILD,
    Step("the built pages' Content-Security-Policy as the CDN's header", *_site_headers, site=True),
    UPLOAD,
    INVALIDATE,
    STATUS,
    SCHEDULE,
)

# `deploy.py publish`: the site only, with the role the workflow assumes (deploy/publish.yml).
PUBLISH_STEPS: tuple[Step, ...] = (
    Step("the stage's stacks read: their outputs, and CloudFront's header policy",
         lambda d: [f"aws cloudformation describe-stacks --stack-name {stack}"
                    for stack in _stacks_read(d.stage).values()], _read_stacks),
    BUILD,
    Step("the built pages need the policy CloudFront already sends",
         lambda d: [f"# check: the pages' merged policy == {d.stage.site_stack}'s "
                    "ContentSecurityPolicy"], _same_header, site=True),
    UPLOAD,
    INVALIDATE,
    STATUS,
    SCHEDULE,
)


def run_steps(d: Deployment, steps: Sequence[Step]) -> None:
    """Run the steps in order; the first that fails stops the run (a site step's failure is
    reported to the editor first)."""
    for step in steps:
        if step.publishing and not d.stage.publishes:
            continue
        print(f"== {step.what}", flush=True)
        try:
            step.run(d)
        except DeployError as exc:
            if step.site:
                report_failure(d, exc)
            raise


def deploy(stage: Stage, out: Path, lint: bool) -> None:
    aws = Aws(stage.region)
    print(f"deploying stage {stage.name} to account {aws.account}, region {stage.region}")
    d = Deployment(stage, out, lint, aws)
    run_steps(d, STEPS)
    api, site = d.outputs["api"], d.outputs["site"]
    print(f"\nstage {stage.name} is deployed:\n"
          f"  site       {stage.origin}/\n"
          f"  API        {api['EndpointURL'].rstrip('/')}\n"
          f"  table      {api['TableName']}   (TABLE_NAME for portal-cases / portal-surveys)\n"
          f"  staff IAM  {api['StaffPolicyArn']}   (attach to the staff's users or roles)")
    if stage.domain:
        print(f"  DNS        {stage.domain} CNAME {site['DistributionDomainName']}")
    if stage.publishes:
        print(f"  publish    {d.outputs['publish']['RoleArn']}   (repository variable "
              f"PORTAL_PUBLISH_ROLE_ARN of {stage.publish.repository})")
        if not d.outputs["dispatch-token"]["Version"]:
            print(f"  timed rebuilds are off until the secret {stage.dispatch_secret} holds a "
                  f"token of the git host (README, \"Published by itself\"); deploy again then")


def publish(stage: Stage, out: Path, config_file: Path) -> None:
    """Build the site and publish it, with the publish role's rights only."""
    aws = Aws(stage.region)
    print(f"publishing the site of stage {stage.name} (account {aws.account})")
    d = Deployment(stage, out, False, aws, config_file)
    run_steps(d, PUBLISH_STEPS)
    print(f"\npublished {stage.origin}/")


def report(stage: Stage, out: Path, problems: Sequence[str]) -> None:
    """Tell the editor a run failed outside the build (the workflow's last resort)."""
    aws = Aws(stage.region)
    d = Deployment(stage, out, False, aws)
    d.outputs["site"] = aws.outputs(stage.site_stack)
    write_status(d, False, problems)


def dry_run(stage: Stage, out: Path, lint: bool, steps: Sequence[Step] = STEPS) -> str:
    """Run the offline steps; return the plan: every step with the commands it would run."""
    d = Deployment(stage, out, lint)
    lines = []
    for n, step in enumerate(steps, 1):
        if step.publishing and not stage.publishes:
            lines.append(f"# {n}. {step.what} ({NOT_PUBLISHING})")
            continue
        if step.offline:
            step.run(d)
        lines.append(f"# {n}. {step.what}" + (" (done in this dry run)" if step.offline else ""))
        lines += step.commands(d)
    return "\n".join(lines) + "\n"


# --- command line --------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="scripts/deploy.py", description=__doc__.split("\n\n")[0],
        epilog=__doc__.split("\n\n", 1)[1], formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("deploy", help="deploy a stage to AWS (scripts/deploy.sh STAGE runs this)")
    p.add_argument("stage", help="a stage of api/.chalice/config.json other than local")
    p.add_argument("--dry-run", action="store_true",
                   help="only package the templates (offline, no credentials) and write the plan")
    p.add_argument("--out", type=Path, help="where the packaged templates go "
                   "(default: .data/deploy/<stage>/)")
    p.add_argument("--no-lint", action="store_true", help="skip cfn-lint on the templates")
    p = sub.add_parser("publish", help="build the site and publish it to a deployed stage "
                       "(the workflow .github/workflows/site.yml runs this)")
    p.add_argument("stage", help="a deployed stage")
    p.add_argument("--dry-run", action="store_true", help="only write the plan (offline)")
    p.add_argument("--out", type=Path, help="where the site is built (default: .data/publish/<stage>/)")
    p.add_argument("--config-file", type=Path, default=MKDOCS_YML,
                   help="the site's mkdocs.yml (default: the checkout's)")
    p = sub.add_parser("status", help="tell the editor a publish run failed (for a run that "
                       "failed before it could build)")
    p.add_argument("stage", help="a deployed stage")
    p.add_argument("--failed", nargs="+", required=True, metavar="LINE",
                   help="what went wrong, one line each")
    p = sub.add_parser("region", help="print the stage's AWS region (deploy/stages.yml)")
    p.add_argument("stage")
    p = sub.add_parser("build-site",
                       help="build the site for a host other than AWS (e.g. GitHub Pages)")
    p.add_argument("--api-url", required=True, help="the API's base URL (PORTAL_API_URL)")
    p.add_argument("--site-url", required=True, help="the address the site is served at")
    p.add_argument("--out", type=Path, default=ROOT / "site")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    try:
        if args.command == "build-site":
            built = build_site(args.api_url, args.site_url, args.out.resolve())
            print(f"built {built.site}; the site next changes by the clock at "
                  f"{built.next_change.isoformat() if built.next_change else '(nothing due)'}")
            return 0
        stage = load_stage(args.stage)
        if args.command == "region":
            print(stage.region)
            return 0
        if args.command == "status":
            report(stage, (ROOT / ".data" / "publish" / stage.name).resolve(), args.failed)
            return 0
        if args.command == "publish":
            out = (args.out or ROOT / ".data" / "publish" / stage.name).resolve()
            if args.dry_run:
                out.mkdir(parents=True, exist_ok=True)
                plan = dry_run(stage, out, False, PUBLISH_STEPS)
                (out / "plan.txt").write_text(plan, encoding="utf-8")
                print(plan, end="")
                return 0
            publish(stage, out, args.config_file.resolve())
            return 0
        out = (args.out or ROOT / ".data" / "deploy" / args.stage).resolve()
        if not args.dry_run:
            deploy(stage, out, lint=not args.no_lint)
            return 0
        plan = dry_run(stage, out, lint=not args.no_lint)
        (out / "plan.txt").write_text(plan, encoding="utf-8")
        print(f"\npackaged stage {stage.name} (region {stage.region}) into {out}:")
        for rel in ("api/sam.yaml", "api/deployment.zip", "staff/sam.yaml", "staff/deployment.zip",
                    "site.yml", "artifacts.yml", "publish.yml", "plan.txt"):
            print(f"  {rel}")
        print("a deploy would run the commands in plan.txt; nothing was sent to AWS")
    except DeployError as exc:
        print(f"deploy: {exc}", file=sys.stderr)
        return exc.code
    return 0


if __name__ == "__main__":
    sys.exit(main())
