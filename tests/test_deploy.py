"""Deploying to AWS, checked offline: the packaged templates, the least-privilege policies
derived from what the code calls, throttling, CORS, and the site built for a stage."""

from __future__ import annotations

import ast
import fnmatch
import itertools
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import FIXED_NOW, ROOT
from portal_domain.store import TABLE_DEFINITION, TTL_ATTRIBUTE

STAGES = ("dev", "prod")
BIN = Path(sys.executable).parent
CHALICE_CONFIG = json.loads((ROOT / "api" / ".chalice" / "config.json").read_text(encoding="utf-8"))
TABLE, LOGS = "PortalTable", "ApiLogGroup"
INDEXES = [g["IndexName"] for g in TABLE_DEFINITION["GlobalSecondaryIndexes"]]


import publishing  # scripts/publishing.py  # noqa: E402

import deploy  # scripts/deploy.py  # noqa: E402
from portal import csp  # noqa: E402

REPOSITORY = "example-org/community-portal"


def publishing_stages(base: Path) -> Path:
    """deploy/stages.yml with a repository publishing each stage (the shipped file names
    none: a placeholder there could name someone else's repository)."""
    text = (ROOT / "deploy" / "stages.yml").read_text(encoding="utf-8")
    assert text.count('repository: ""') == len(STAGES)
    path = base / "stages.yml"
    path.write_text(text.replace('repository: ""', f"repository: {REPOSITORY}"), encoding="utf-8")
    return path


def offline_env(tmp: Path) -> dict[str, str]:
    """No credentials, no aws command, and any HTTP(S) attempt fails at once."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(PATH=f"{BIN}:/usr/bin:/bin", AWS_CONFIG_FILE=str(tmp / "none"),
               AWS_SHARED_CREDENTIALS_FILE=str(tmp / "none"), AWS_EC2_METADATA_DISABLED="true",
               HTTP_PROXY="http://127.0.0.1:9", HTTPS_PROXY="http://127.0.0.1:9", NO_PROXY="")
    return env


@pytest.fixture(scope="module")
def packaged(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """`scripts/deploy.sh <stage> --dry-run` for each stage, offline; stage → output folder."""
    base = tmp_path_factory.mktemp("packaged")
    env = offline_env(base)
    env["PORTAL_STAGES_FILE"] = str(publishing_stages(base))
    guard = base / "guard"  # an aws that fails the run if the dry run ever calls it
    guard.mkdir()
    (guard / "aws").write_text("#!/bin/sh\necho 'the dry run called aws' >&2\nexit 99\n")
    (guard / "aws").chmod(0o755)
    env["PATH"] = f"{guard}:{env['PATH']}"
    out = {}
    for stage in STAGES:
        proc = subprocess.run(["bash", str(ROOT / "scripts" / "deploy.sh"), stage, "--dry-run",
                               "--no-lint", "--out", str(base / stage)], env=env, cwd=ROOT,
                              capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert "nothing was sent to AWS" in proc.stdout
        out[stage] = base / stage
    return out


def api_template(packaged: dict[str, Path], stage: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((packaged[stage] / "api" / "sam.yaml").read_text())
    return data


def origin(stage: str) -> str:
    return str(CHALICE_CONFIG["stages"][stage]["environment_variables"]["CORS_ORIGIN"])


# --- the templates -------------------------------------------------------------------------

def test_the_dry_run_writes_every_template_and_the_plan(packaged: dict[str, Path]) -> None:
    for stage, out in packaged.items():
        for rel in ("api/sam.yaml", "api/deployment.zip", "site.yml", "artifacts.yml",
                    "publish.yml", "plan.txt"):
            assert (out / rel).is_file(), f"{stage}: {rel} missing"
        plan = (out / "plan.txt").read_text()
        assert f"--stack-name community-portal-{stage} " in plan
        assert f"--stack-name community-portal-{stage}-publish " in plan
        assert f"Repository={REPOSITORY}" in plan
        assert "aws cloudfront create-invalidation" in plan
        assert f"s3://<site BucketName>/{publishing.STATUS_KEY}" in plan


def test_a_stage_no_repository_publishes_gets_no_publish_role(tmp_path: Path) -> None:
    """The shipped stages name no repository: the plan names the publishing steps, skipped."""
    plan = deploy.dry_run(deploy.load_stage("prod"), tmp_path, lint=False,
                          steps=[s for s in deploy.STEPS if not s.offline])
    assert "community-portal-prod-publish" not in plan and "aws iam" not in plan
    assert plan.count(deploy.NOT_PUBLISHING) == sum(s.publishing for s in deploy.STEPS) == 4


def test_the_code_package_carries_the_app_and_the_survey_definitions(
        packaged: dict[str, Path]) -> None:
    import zipfile

    surveys = sorted(p.stem for p in (ROOT / "content" / "surveys").glob("*.yml"))
    for stage, out in packaged.items():
        with zipfile.ZipFile(out / "api" / "deployment.zip") as z:
            names = set(z.namelist())
            assert {"app.py", "portal_domain/store.py", "portal_domain/cases.py",
                    "portal_contracts/messages.py", "portal_contracts/surveys.py"} <= names, stage
            assert not any(n.startswith(("portal/", "portal_staff/", "chalicelib/")) for n in names)
            bundled = json.loads(z.read("portal_domain/survey_definitions.json"))
        assert sorted(bundled) == surveys, stage


def test_every_produced_template_passes_cfn_lint(packaged: dict[str, Path]) -> None:
    regions = sorted({deploy.load_stage(s).region for s in STAGES})
    files = [str(p) for out in packaged.values()
             for p in (out / "api" / "sam.yaml", out / "staff" / "sam.yaml", out / "site.yml",
                       out / "artifacts.yml", out / "publish.yml")]
    proc = subprocess.run([str(BIN / "cfn-lint"), "--regions", *regions, "--", *files],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and not proc.stdout.strip(), proc.stdout + proc.stderr


def test_the_table_is_the_one_the_store_defines(packaged: dict[str, Path]) -> None:
    for stage in STAGES:
        table = api_template(packaged, stage)["Resources"][TABLE]
        props = table["Properties"]
        assert table["DeletionPolicy"] == table["UpdateReplacePolicy"] == "Retain"
        assert props["KeySchema"] == TABLE_DEFINITION["KeySchema"]
        assert sorted(props["AttributeDefinitions"], key=str) == sorted(
            TABLE_DEFINITION["AttributeDefinitions"], key=str)
        assert props["GlobalSecondaryIndexes"] == TABLE_DEFINITION["GlobalSecondaryIndexes"]
        assert props["BillingMode"] == TABLE_DEFINITION["BillingMode"] == "PAY_PER_REQUEST"
        assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
        assert props["TimeToLiveSpecification"] == {"AttributeName": TTL_ATTRIBUTE, "Enabled": True}
        assert props["DeletionProtectionEnabled"] == {"Ref": "DeletionProtection"}


@pytest.mark.parametrize(("stage", "protected"), [("dev", "false"), ("prod", "true")])
def test_deletion_protection_is_on_in_prod(stage: str, protected: str) -> None:
    assert f"DeletionProtection={protected}" in deploy.load_stage(stage).api_parameters()


def test_the_function_gets_its_table_origin_and_secrets_at_deploy_time(
        packaged: dict[str, Path]) -> None:
    for stage in STAGES:
        fn = api_template(packaged, stage)["Resources"]["APIHandler"]["Properties"]
        env = fn["Environment"]["Variables"]
        assert env["TABLE_NAME"] == {"Ref": TABLE}
        assert env["CORS_ORIGIN"] == origin(stage)
        for name in ("RECEIPT_SECRET", "RATE_SALT"):
            assert env[name] == {"Fn::Sub": "{{resolve:secretsmanager:${SecretName}:SecretString:"
                                            + name + "}}"}
            # Never a value in the repository's config for a deployed stage.
            assert name not in CHALICE_CONFIG["stages"][stage].get("environment_variables", {})
            assert name not in CHALICE_CONFIG.get("environment_variables", {})
        assert fn["Timeout"] == CHALICE_CONFIG["stages"][stage]["lambda_timeout"]


def test_the_local_stage_is_untouched() -> None:
    assert CHALICE_CONFIG["stages"]["local"] == {
        "api_gateway_stage": "api",
        "environment_variables": {
            "AWS_DEFAULT_REGION": "ap-east-1", "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local", "RECEIPT_SECRET": "local-development-secret",
            "RATE_SALT": "local"}}


def test_throttling_is_set_on_the_whole_api_stage(packaged: dict[str, Path]) -> None:
    for stage in STAGES:
        template = api_template(packaged, stage)
        settings = template["Resources"]["RestAPI"]["Properties"]["MethodSettings"]
        assert settings == [{"ResourcePath": "/*", "HttpMethod": "*",
                             "ThrottlingRateLimit": {"Ref": "ThrottleRate"},
                             "ThrottlingBurstLimit": {"Ref": "ThrottleBurst"}}]
        s = deploy.load_stage(stage)
        params = dict(p.split("=", 1) for p in s.api_parameters())
        assert 0 < int(params["ThrottleRate"]) <= int(params["ThrottleBurst"])


def test_cors_allows_only_the_stage_origin(packaged: dict[str, Path]) -> None:
    for stage in STAGES:
        paths = api_template(packaged, stage)["Resources"]["RestAPI"]["Properties"][
            "DefinitionBody"]["paths"]
        assert paths
        for path, methods in paths.items():
            assert "options" in methods, f"{path}: no CORS preflight"
            headers = methods["options"]["x-amazon-apigateway-integration"]["responses"][
                "default"]["responseParameters"]
            assert headers["method.response.header.Access-Control-Allow-Origin"] == \
                f"'{origin(stage)}'"
        assert "*" not in origin(stage)


# --- least privilege -----------------------------------------------------------------------

def resource_name(resource: Any) -> str:
    """The only resources a policy may name: the table, one of its indexes, the log group."""
    if resource == {"Fn::GetAtt": [TABLE, "Arn"]}:
        return "table"
    for index in INDEXES:
        if resource == {"Fn::Sub": "${" + TABLE + ".Arn}/index/" + index}:
            return f"index/{index}"
    if resource == {"Fn::GetAtt": [LOGS, "Arn"]}:
        return "log-group"
    raise AssertionError(f"a policy names {resource!r}: only the table ({TABLE}), its indexes "
                         f"({INDEXES}) and the function's log group ({LOGS}) are allowed")


# --- a policy evaluator for the statements the portal's policies use ------------------------
#
# IAM's rules, for what these policies contain: a request is allowed when some Allow
# statement matches it and no Deny statement does. A statement matches when the action and
# the resource are among its own and every condition holds (operators AND, keys AND, the
# values of one key OR). A condition on a key the request does not carry is false, except
# with `IfExists` and for the negated operators (StringNotEquals, StringNotLike), which are
# then true; `ForAllValues:` holds for a missing or empty key, `ForAnyValue:` does not.
# Anything else (another operator, NotAction, wildcards in resources) is refused, so the
# evaluator never guesses.

CONDITION_KEYS = {"dynamodb:LeadingKeys", "dynamodb:ReturnValues", "dynamodb:EnclosingOperation"}
# the string operators, and whether each is negated
_NEGATED = {"StringEquals": False, "StringNotEquals": True, "StringLike": False,
            "StringNotLike": True}


@dataclass(frozen=True)
class Request:
    """One authorisation IAM makes: an action on a resource ('table', 'index/GSI1',
    'log-group') with the request's condition keys (a key it does not carry is absent)."""

    action: str
    resource: str = "table"
    keys: tuple[tuple[str, tuple[str, ...]], ...] = ()

    @classmethod
    def item(cls, action: str, pk: str, return_values: str | None = None,
             enclosing: str | None = None) -> Request:
        keys = {"dynamodb:LeadingKeys": (pk,)}
        if return_values is not None:
            keys["dynamodb:ReturnValues"] = (return_values,)
        if enclosing is not None:
            keys["dynamodb:EnclosingOperation"] = (enclosing,)
        return cls(f"dynamodb:{action}", "table", tuple(sorted(keys.items())))


def _value_matches(operator: str, value: str, patterns: list[str]) -> bool:
    exact = operator in ("StringEquals", "StringNotEquals")
    hit = any(value == p if exact else fnmatch.fnmatchcase(value, p) for p in patterns)
    return not hit if _NEGATED[operator] else hit


def condition_holds(operator: str, key: str, expected: Any, request: Request) -> bool:
    """One operator on one key, as IAM evaluates it."""
    patterns = expected if isinstance(expected, list) else [expected]
    values = dict(request.keys).get(key)
    if operator == "Null":
        return (values is None) == (str(expected).lower() == "true")
    quantifier, _, base = operator.rpartition(":")
    if_exists = base.endswith("IfExists")
    base = base.removesuffix("IfExists")
    assert base in _NEGATED and quantifier in ("", "ForAllValues", "ForAnyValue"), (
        f"the evaluator does not know the condition operator {operator!r}")
    assert key in CONDITION_KEYS, f"the evaluator does not know the condition key {key!r}"
    if quantifier == "ForAllValues":
        return all(_value_matches(base, v, patterns) for v in values or ())
    if quantifier == "ForAnyValue":
        return any(_value_matches(base, v, patterns) for v in values or ())
    if values is None:
        return if_exists or _NEGATED[base]
    assert len(values) == 1, f"{key} has several values: use ForAllValues or ForAnyValue"
    return _value_matches(base, values[0], patterns)


def statement_matches(st: dict[str, Any], request: Request,
                      name_of: Callable[[Any], str] = resource_name) -> bool:
    assert set(st) <= {"Sid", "Effect", "Action", "Resource", "Condition"}, st
    actions = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
    resources = st["Resource"] if isinstance(st["Resource"], list) else [st["Resource"]]
    if request.action not in actions or request.resource not in {name_of(r) for r in resources}:
        return False
    return all(condition_holds(op, key, expected, request)
               for op, keys in st.get("Condition", {}).items() for key, expected in keys.items())


def allows(document: dict[str, Any], request: Request,
           name_of: Callable[[Any], str] = resource_name) -> bool:
    """Whether the policy allows the request: an Allow matches and no Deny does."""
    matched = [st["Effect"] for st in document["Statement"]
               if statement_matches(st, request, name_of)]
    assert set(matched) <= {"Allow", "Deny"}, matched
    return "Allow" in matched and "Deny" not in matched


def test_the_policy_evaluator_follows_iams_rules() -> None:
    """The evaluator on small policies whose answers IAM's documentation gives."""
    table = {"Fn::GetAtt": [TABLE, "Arn"]}

    def doc(*statements: dict[str, Any]) -> dict[str, Any]:
        return {"Statement": [{"Effect": "Allow", "Action": "dynamodb:PutItem", "Resource": table,
                               **st} for st in statements]}

    put = Request.item("PutItem", "CASE#1")
    assert allows(doc({}), put) and not allows(doc({}), Request.item("GetItem", "CASE#1"))
    assert not allows(doc({}, {"Effect": "Deny"}), put)  # a Deny wins
    only_none = doc({"Condition": {"StringEqualsIfExists": {"dynamodb:ReturnValues": "NONE"}}})
    assert allows(only_none, put)  # IfExists: a request without the key passes
    assert allows(only_none, Request.item("PutItem", "CASE#1", "NONE"))
    assert not allows(only_none, Request.item("PutItem", "CASE#1", "ALL_OLD"))
    strict = doc({"Condition": {"StringEquals": {"dynamodb:ReturnValues": "NONE"}}})
    assert not allows(strict, put)  # without IfExists a missing key fails
    negated = doc({"Condition": {"StringNotEquals": {"dynamodb:ReturnValues": "ALL_OLD"}}})
    assert allows(negated, put)  # a negated operator holds for a missing key
    not_pii = doc({"Condition": {"ForAllValues:StringNotLike": {"dynamodb:LeadingKeys": "PII#*"}}})
    assert allows(not_pii, put) and not allows(not_pii, Request.item("PutItem", "PII#1"))
    in_tx = doc({"Condition": {"ForAnyValue:StringEquals": {
        "dynamodb:EnclosingOperation": "TransactWriteItems"}}})
    assert not allows(in_tx, put)  # ForAnyValue: a missing key fails
    assert allows(in_tx, Request.item("PutItem", "CASE#1", enclosing="TransactWriteItems"))
    present = doc({"Effect": "Allow"}, {"Effect": "Deny", "Condition": {
        "Null": {"dynamodb:ReturnValues": "false"}}})
    assert allows(present, put) and not allows(present, Request.item("PutItem", "CASE#1", "NONE"))
    with pytest.raises(AssertionError, match="does not know the condition operator"):
        allows(doc({"Condition": {"NumericEquals": {"dynamodb:ReturnValues": "1"}}}), put)


def grants(document: dict[str, Any]) -> set[tuple[str, str]]:
    """(action, resource) pairs a policy allows (under some condition); refuses wildcards
    and anything but Allow.

    Rule: every action is `dynamodb:<Name>` or `logs:<Name>` with no wildcard; dynamodb
    actions name only the table or its indexes, logs actions only the function's own log
    group; no NotAction, NotResource or Deny tricks; conditions only narrow a grant, with
    the operators and keys the evaluator above knows.
    """
    pairs = set()
    for st in document["Statement"]:
        assert set(st) <= {"Sid", "Effect", "Action", "Resource", "Condition"}, st
        for operator, keys in st.get("Condition", {}).items():
            for key, expected in keys.items():
                condition_holds(operator, key, expected, Request("check"))  # known ones only
        assert st["Effect"] == "Allow"
        actions = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
        resources = st["Resource"] if isinstance(st["Resource"], list) else [st["Resource"]]
        for action in actions:
            assert re.fullmatch(r"(dynamodb|logs):[A-Za-z]+", action), f"wildcard or odd: {action}"
            for resource in resources:
                name = resource_name(resource)
                assert (name == "log-group") == action.startswith("logs:"), (action, name)
                pairs.add((action, name))
    return pairs


def lambda_policy(template: dict[str, Any]) -> dict[str, Any]:
    role = template["Resources"]["ApiHandlerRole"]["Properties"]
    assert "ManagedPolicyArns" not in role and len(role["Policies"]) == 1
    document: dict[str, Any] = role["Policies"][0]["PolicyDocument"]
    return document


def test_the_policies_name_only_the_table_its_indexes_and_the_log_group(
        packaged: dict[str, Path]) -> None:
    for stage in STAGES:
        template = api_template(packaged, stage)
        policy_file = CHALICE_CONFIG["stages"][stage]["iam_policy_file"]
        assert CHALICE_CONFIG["stages"][stage]["autogen_policy"] is False
        on_disk = json.loads((ROOT / "api" / ".chalice" / policy_file).read_text())
        assert lambda_policy(template) == on_disk
        lambda_grants = grants(on_disk)
        assert {a for a, r in lambda_grants if r == "log-group"} == {
            "logs:CreateLogStream", "logs:PutLogEvents"}
        staff = grants(template["Resources"]["StaffPolicy"]["Properties"]["PolicyDocument"])
        assert all(a.startswith("dynamodb:") for a, _ in staff)
        # The log group is the one the function writes to.
        fn = template["Resources"]["APIHandler"]["Properties"]
        group = template["Resources"][LOGS]["Properties"]["LogGroupName"]
        assert group == {"Fn::Sub": "/aws/lambda/" + fn["FunctionName"]["Fn::Sub"]}


# Recording: the API and staff-tool tests run in a child pytest with botocore patched; each
# DynamoDB call is attributed to the route view (a frame of api/app.py) or the staff command
# (a frame of portal_staff.*) that made it. Calls by the tests themselves are not attributed.
RECORDER = r'''
import json, sys
import botocore.client
import pytest

records = []
_make_api_call = botocore.client.BaseClient._make_api_call

def who():
    frame = sys._getframe(2)
    while frame is not None:
        module = frame.f_globals.get("__name__", "")
        if module == "app" and frame.f_code.co_filename.endswith("app.py"):
            return "lambda", frame.f_code.co_name
        if module == "staff_app":
            return "staff_api", frame.f_code.co_name
        if module.startswith("portal_staff.") and module != "portal_staff.devstack":
            return "staff", module
        frame = frame.f_back
    return None, None

ITEM_ACTION = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem",
               "ConditionCheck": "ConditionCheckItem", "Get": "GetItem"}

def partition(request):
    key = request.get("Key") or request.get("Item") or {}
    return (key.get("PK") or {}).get("S", "")

def requests(operation, params):
    """What IAM authorises, item by item: the action, the partition key, what the request
    asks back (ReturnValues, ReturnValuesOnConditionCheckFailure) and its enclosing call."""
    if operation in ("TransactWriteItems", "TransactGetItems"):
        return [{"action": ITEM_ACTION[kind], "pk": partition(item), "return_values": None,
                 "on_failure": item.get("ReturnValuesOnConditionCheckFailure"),
                 "enclosing": operation}
                for entry in params.get("TransactItems", []) for kind, item in entry.items()]
    if operation == "BatchWriteItem":
        return [{"action": "PutItem" if "PutRequest" in w else "DeleteItem",
                 "pk": partition(w.get("PutRequest") or w.get("DeleteRequest") or {}),
                 "return_values": None, "on_failure": None, "enclosing": None}
                for writes in params.get("RequestItems", {}).values() for w in writes]
    return [{"action": operation, "pk": partition(params),
             "return_values": params.get("ReturnValues"),
             "on_failure": params.get("ReturnValuesOnConditionCheckFailure"), "enclosing": None}]

def recording(self, operation, params):
    if self.meta.service_model.service_name == "dynamodb":
        role, source = who()
        if role:
            items = [k for item in params.get("TransactItems", []) for k in item]
            records.append({"role": role, "source": source, "op": operation,
                            "index": params.get("IndexName"), "items": items,
                            "pk": partition(params), "requests": requests(operation, params)})
    return _make_api_call(self, operation, params)

botocore.client.BaseClient._make_api_call = recording

class OnlyDynamoDB:
    """Keep the tests that reach DynamoDB Local; site builds and browsers are slow and touch none."""
    def pytest_collection_modifyitems(self, items):
        slow = {"example_site", "fixture_site", "site_server", "browser", "page"}
        items[:] = [i for i in items if "dynamodb_endpoint" in getattr(i, "fixturenames", ())
                    and not slow & set(i.fixturenames)]

pytest.main(["-q", "-p", "no:cacheprovider", "--continue-on-collection-errors",
             "-m", "not browser", *sys.argv[2:]], plugins=[OnlyDynamoDB()])
with open(sys.argv[1], "w") as f:
    json.dump(records, f)
'''

DRIVES_DYNAMODB = re.compile(r"\bapi_client\b|\bapp_client\b|Client\(app\)|portal_staff\.|"
                             r"\bstaff_client\b")


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    """Every DynamoDB call the app's routes and the staff tools make in the test suite."""
    base = tmp_path_factory.mktemp("recorded")
    files = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "tests").glob("test_*.py")
                   if p.name != "test_deploy.py" and "browser" not in p.name
                   and DRIVES_DYNAMODB.search(p.read_text(encoding="utf-8")))
    assert "tests/test_api.py" in files
    script, out = base / "record.py", base / "calls.json"
    script.write_text(RECORDER, encoding="utf-8")
    proc = subprocess.run([sys.executable, str(script), str(out), *files], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert out.is_file(), proc.stdout[-3000:] + proc.stderr[-3000:]
    calls: list[dict[str, Any]] = json.loads(out.read_text())
    return calls


TRANSACT_ITEM = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem",
                 "ConditionCheck": "ConditionCheckItem", "Get": "GetItem"}


def needs(call: dict[str, Any]) -> set[tuple[str, str]]:
    """IAM (action, resource) a DynamoDB call needs. Transactions are authorised per item."""
    if call["op"] in ("TransactWriteItems", "TransactGetItems"):
        return {(f"dynamodb:{TRANSACT_ITEM[k]}", "table") for k in call["items"]}
    where = f"index/{call['index']}" if call["index"] else "table"
    return {(f"dynamodb:{call['op']}", where)}


def needed(calls: list[dict[str, Any]], role: str) -> set[tuple[str, str]]:
    return set().union(*(needs(c) for c in calls if c["role"] == role))


def test_every_route_was_exercised_while_recording(recorded: list[dict[str, Any]]) -> None:
    from app import app

    views = {route.view_name for routes in app.routes.values() for route in routes.values()}
    seen = {c["source"] for c in recorded if c["role"] == "lambda"}
    assert views - seen == set(), "routes no test drove to DynamoDB; add a test for them"


def staff_resource(resource: Any) -> str:
    """The staff function's policy names the table by the stack parameter TableArn."""
    if resource == {"Ref": "TableArn"}:
        return "table"
    for index in INDEXES:
        if resource == {"Fn::Sub": "${TableArn}/index/" + index}:
            return f"index/{index}"
    if resource == {"Fn::GetAtt": ["StaffLogGroup", "Arn"]}:
        return "log-group"
    raise AssertionError(f"the staff function's policy names {resource!r}")


def test_the_staff_function_may_do_exactly_what_the_staff_routes_do(
        packaged: dict[str, Path], recorded: list[dict[str, Any]]) -> None:
    used = needed(recorded, "staff_api")
    assert used
    for stage in STAGES:
        template = yaml.safe_load((packaged[stage] / "staff" / "sam.yaml").read_text())
        role = template["Resources"]["ApiHandlerRole"]["Properties"]
        assert len(role["Policies"]) == 1 and "ManagedPolicyArns" not in role
        allowed = set()
        for st in role["Policies"][0]["PolicyDocument"]["Statement"]:
            assert st["Effect"] == "Allow" and set(st) <= {"Sid", "Effect", "Action", "Resource"}
            resources = st["Resource"] if isinstance(st["Resource"], list) else [st["Resource"]]
            for action in st["Action"]:
                assert "*" not in action
                allowed |= {(action, staff_resource(r)) for r in resources}
        assert {a for a in allowed if a[0].startswith("dynamodb:")} == used, stage
        # its own sign-in: a Cognito pool with a hosted page, code flow only, no secret
        client = template["Resources"]["DeskClient"]["Properties"]
        assert client["AllowedOAuthFlows"] == ["code"] and client["GenerateSecret"] is False
        env = template["Resources"]["APIHandler"]["Properties"]["Environment"]["Variables"]
        assert env["STAGE"] == stage and "cognito-idp" in env["OIDC_ISSUER"]["Fn::Sub"]


def lambda_requests(recorded: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every item request the owners' routes made while recording, with its call."""
    return [{**r, "op": c["op"], "source": c["source"], "index": c["index"]}
            for c in recorded if c["role"] == "lambda" for r in c["requests"]]


# What someone holding the owners' function's credentials could try, to get a stored
# contact back (receipt R): each must be refused.
CONTACT_READS = [
    Request.item("GetItem", "PII#R"),
    Request.item("Query", "PII#R"),
    Request.item("UpdateItem", "PII#R", "ALL_OLD"),
    Request.item("UpdateItem", "PII#R", "ALL_NEW"),
    Request.item("UpdateItem", "PII#R"),
    Request.item("DeleteItem", "PII#R", "ALL_OLD"),
    Request.item("ConditionCheckItem", "PII#R", enclosing="TransactWriteItems"),
    Request.item("GetItem", "PII#R", enclosing="TransactGetItems"),
    # a put over the stored contact asking for the old item
    Request.item("PutItem", "PII#R", "ALL_OLD"),
    Request.item("PutItem", "PII#R", "ALL_OLD", enclosing="TransactWriteItems"),
    # a put on its own: it could carry ReturnValuesOnConditionCheckFailure=ALL_OLD with a
    # condition that fails, which no IAM condition key shows; contacts are written only
    # inside the submission's transaction
    Request.item("PutItem", "PII#R"),
    Request.item("PutItem", "PII#R", "NONE"),
]


def test_the_desk_client_registers_the_address_sign_out_returns_to(
        packaged: dict[str, Path]) -> None:
    """The desk's 退出 goes to Cognito's /logout with logout_uri = the desk's address, which
    Cognito accepts only if it is one of the client's LogoutURLs."""
    for stage in STAGES:
        template = yaml.safe_load((packaged[stage] / "staff" / "sam.yaml").read_text())
        client = template["Resources"]["DeskClient"]["Properties"]
        assert client["LogoutURLs"] == [{"Ref": "DeskURL"}]
        # the content editor signs in with the same client and returns to its own page
        assert client["CallbackURLs"] == [{"Ref": "DeskURL"}, {"Fn::Sub": "${DeskURL}content/"}]
        params = dict(p.split("=", 1) for p in deploy.load_stage(stage).staff_parameters("t", "a"))
        assert params["DeskURL"] == origin(stage) + "/staff/"
        # every scope Decap's Cognito sign-in asks for is one the client allows (Cognito
        # refuses the whole sign-in otherwise), the custom one declared by a resource server
        asked = decap_sign_in_scopes()
        assert set(asked) <= set(client["AllowedOAuthScopes"])
        server = template["Resources"]["EditorScope"]["Properties"]
        assert {f"{server['Identifier']}/{s['ScopeName']}" for s in server["Scopes"]} == {
            s for s in asked if s.startswith("https://")}


def decap_sign_in_scopes() -> list[str]:
    """The scope Decap's aws-cognito-github-proxy backend asks for, read from its source."""
    page = (ROOT / "tools" / "node_modules" / "decap-cms-backend-aws-cognito-github-proxy" / "src"
            / "AuthenticationPage.js").read_text(encoding="utf-8")
    found = re.search(r"scope: '([^']+)'", page)
    assert found is not None
    return found.group(1).split()


GIT_PROXY = ("GitProxy", "GitProxyRole", "GitProxyLogGroup", "GitProxyApi")


def test_the_editors_git_proxy_is_a_function_of_its_own_that_may_only_log(
        packaged: dict[str, Path]) -> None:
    """staff_api/git_proxy.py from the staff package, behind a throttled REST API of its
    own; its role writes its log group and nothing else; the git host's token is resolved
    from Secrets Manager at deploy time; it signs in like the staff API."""
    import zipfile

    for stage, out in packaged.items():
        template = yaml.safe_load((out / "staff" / "sam.yaml").read_text())
        res = template["Resources"]
        assert all(res[name]["Condition"] == "HasEditor" for name in GIT_PROXY)
        assert template["Outputs"]["GitProxyURL"]["Condition"] == "HasEditor"
        fn = res["GitProxy"]["Properties"]
        with zipfile.ZipFile(out / "staff" / "deployment.zip") as z:
            assert {"git_proxy.py", "portal_domain/git_proxy.py", "portal_domain/auth.py",
                    "jwt/__init__.py"} <= set(z.namelist())
        assert fn["Handler"] == "git_proxy.handler" and fn["CodeUri"] == "./deployment.zip"
        role = res["GitProxyRole"]["Properties"]
        assert fn["Role"] == {"Fn::GetAtt": ["GitProxyRole", "Arn"]}
        assert "ManagedPolicyArns" not in role and len(role["Policies"]) == 1
        [statement] = role["Policies"][0]["PolicyDocument"]["Statement"]
        assert statement["Effect"] == "Allow" and sorted(statement["Action"]) == [
            "logs:CreateLogStream", "logs:PutLogEvents"]
        assert statement["Resource"] == {"Fn::GetAtt": ["GitProxyLogGroup", "Arn"]}
        group = res["GitProxyLogGroup"]["Properties"]["LogGroupName"]
        assert group == {"Fn::Sub": "/aws/lambda/" + fn["FunctionName"]["Fn::Sub"]}
        env = fn["Environment"]["Variables"]
        staff_env = res["APIHandler"]["Properties"]["Environment"]["Variables"]
        assert env["OIDC_ISSUER"] == staff_env["OIDC_ISSUER"]
        assert env["OIDC_CLIENT_ID"] == staff_env["OIDC_CLIENT_ID"]
        assert env["EDITOR_GIT_TOKEN"] == {"Fn::Sub": "{{resolve:secretsmanager:${SecretName}"
                                           "/editor:SecretString:EDITOR_GIT_TOKEN}}"}
        assert env["CORS_ORIGIN"] == {"Fn::Select": [0, {"Fn::Split": ["/staff/",
                                                                      {"Ref": "DeskURL"}]}]}
        params = dict(p.split("=", 1) for p in deploy.load_stage(stage).staff_parameters("t", "a"))
        assert env["STAGE"] == {"Ref": "Stage"} and params["Stage"] == stage
        assert (params["EditorRepo"], params["EditorBranch"]) == ("", "main")  # none yet
        api = res["GitProxyApi"]["Properties"]
        assert fn["Events"]["Git"]["Properties"] == {"RestApiId": {"Ref": "GitProxyApi"},
                                                     "Path": "/{proxy+}", "Method": "ANY"}
        assert api["MethodSettings"] == [{"ResourcePath": "/*", "HttpMethod": "*",
                                          "ThrottlingRateLimit": {"Ref": "GitProxyThrottleRate"},
                                          "ThrottlingBurstLimit": {"Ref": "GitProxyThrottleBurst"}}]
        assert "Cors" not in api  # the function answers preflights for the portal only
        for config in (CHALICE_CONFIG, json.loads((ROOT / "staff_api" / ".chalice" / "config.json")
                                                   .read_text())):
            assert "EDITOR_GIT_TOKEN" not in json.dumps(config)


def test_the_site_uses_the_git_proxy_when_a_stage_names_the_editors_repository(
        tmp_path: Path) -> None:
    from dataclasses import replace

    stage = deploy.load_stage("prod")
    d = deploy.Deployment(stage, tmp_path, lint=False,
                          outputs={"staff": {"GitProxyURL": "https://g1.execute-api/git"}})
    # no repository yet: no editor page (it would point at a laptop's decap-server)
    assert {k: v for k, v in deploy._desk(d).items() if k.startswith("PORTAL_EDITOR")} == {
        "PORTAL_EDITOR_BACKEND": "none"}
    d.stage = replace(stage, editor=("jinguiyuan/portal", "main"))
    assert {k: v for k, v in deploy._desk(d).items() if k.startswith("PORTAL_EDITOR")} == {
        "PORTAL_EDITOR_BACKEND": "proxy", "PORTAL_EDITOR_PROXY_URL": "https://g1.execute-api/git",
        "PORTAL_EDITOR_REPO": "jinguiyuan/portal", "PORTAL_EDITOR_BRANCH": "main"}
    params = dict(p.split("=", 1) for p in d.stage.staff_parameters("t", "a"))
    assert params["EditorRepo"] == "jinguiyuan/portal"


def test_the_owners_function_can_never_read_a_contact_back(
        packaged: dict[str, Path], recorded: list[dict[str, Any]]) -> None:
    """Its role may write a contact item inside the submission's transaction, and nothing
    else on a PII# partition: no read, no update, no put that returns the old item (by the
    policy, evaluated), while every call its routes made while recording is allowed."""
    own = lambda_requests(recorded)
    assert any(r["pk"].startswith("PII#") for r in own), "no submission with a contact recorded"
    for stage in STAGES:
        policy = lambda_policy(api_template(packaged, stage))
        allowed_anyway = [r for r in CONTACT_READS if allows(policy, r)]
        assert allowed_anyway == [], f"{stage}: the owners' role allows {allowed_anyway}"
        for r in own:
            resource = f"index/{r['index']}" if r["index"] else "table"
            for returned in ({r["return_values"]} | ({"NONE"} if r["return_values"] is None
                                                     else set())):
                # whether IAM sees a missing ReturnValues as absent or as NONE
                request = Request.item(r["action"], r["pk"], returned, r["enclosing"])
                request = Request(request.action, resource, request.keys)
                assert allows(policy, request), f"{stage}: {r['source']} needs {r}"


def test_the_owners_routes_never_ask_for_a_contact_back(recorded: list[dict[str, Any]]) -> None:
    """What the code asks: on PII# items only puts inside a transaction, never with
    ReturnValues or ReturnValuesOnConditionCheckFailure other than NONE (and nothing the
    owners' routes ask for returns an old item of any kind)."""
    own = lambda_requests(recorded)
    contact = [r for r in own if r["pk"].startswith("PII#")]
    assert contact
    assert {(r["action"], r["enclosing"]) for r in contact} == {("PutItem", "TransactWriteItems")}
    for r in own:
        assert r["on_failure"] in (None, "NONE"), r
        assert r["return_values"] in (None, "NONE", "ALL_NEW", "UPDATED_NEW"), r
        if r["pk"].startswith("PII#"):
            assert r["return_values"] in (None, "NONE"), r


def test_the_function_may_do_exactly_what_the_routes_do(packaged: dict[str, Path],
                                                        recorded: list[dict[str, Any]]) -> None:
    used = needed(recorded, "lambda")
    assert used
    for stage in STAGES:
        allowed = {g for g in grants(lambda_policy(api_template(packaged, stage)))
                   if g[0].startswith("dynamodb:")}
        assert allowed == used, (f"{stage}: missing {sorted(used - allowed)}, "
                                 f"not needed {sorted(allowed - used)}")


def test_the_staff_policy_is_exactly_what_the_staff_tools_do(
        packaged: dict[str, Path], recorded: list[dict[str, Any]]) -> None:
    used = needed(recorded, "staff")
    assert used
    for stage in STAGES:
        doc = api_template(packaged, stage)["Resources"]["StaffPolicy"]["Properties"][
            "PolicyDocument"]
        allowed = grants(doc)
        assert allowed == used, (f"{stage}: missing {sorted(used - allowed)}, "
                                 f"not needed {sorted(allowed - used)}")


# Functions that only ever run against DynamoDB Local (the stack creates the table in AWS).
SETUP_ONLY = {"create_table", "_add_missing_indexes"}


def static_actions() -> dict[str, set[str]]:
    """IAM actions of every DynamoDB call written in the code, by where it is written.

    `_call("op", ...)` and `<...client...>.op(...)` calls, and the item kinds of transactions
    (dict keys Put/Update/Delete/ConditionCheck). A function nobody refers to is dead code.
    """
    import botocore.session
    from botocore import xform_name

    model = botocore.session.get_session().get_service_model("dynamodb")
    ops = {xform_name(name): name for name in model.operation_names}
    # Only the store writes DynamoDB calls; the staff tools reach the table through it.
    sources = sorted([ROOT / "api" / "portal_domain" / "store.py",
                      *(ROOT / "staff" / "portal_staff").glob("*.py")])
    everything = "\n".join(p.read_text(encoding="utf-8") for p in
                           [*(ROOT / "api" / "portal_domain").glob("*.py"),
                            *(ROOT / "staff" / "portal_staff").glob("*.py"),
                            ROOT / "api" / "app.py", *(ROOT / "scripts").glob("*.py")])
    found: dict[str, set[str]] = {}
    for path in sources:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for fn in ast.walk(tree):
            if not isinstance(fn, ast.FunctionDef) or fn.name in SETUP_ONLY:
                continue
            if len(re.findall(rf"\b{re.escape(fn.name)}\b", everything)) < 2:
                continue  # defined, never called
            for node in ast.walk(fn):
                action = None
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                    args = node.args
                    if (node.func.attr == "_call" and args and isinstance(args[0], ast.Constant)
                            and args[0].value in ops):
                        action = ops[args[0].value]
                    elif node.func.attr in ops and "client" in ast.unparse(node.func.value):
                        action = ops[node.func.attr]
                elif isinstance(node, ast.Dict):  # {"Put": {"TableName": ..., ...}}
                    for key, value in zip(node.keys, node.values, strict=True):
                        if (isinstance(key, ast.Constant) and key.value in TRANSACT_ITEM
                                and isinstance(value, ast.Dict)
                                and any(isinstance(k, ast.Constant) and k.value == "TableName"
                                        for k in value.keys)):
                            action = TRANSACT_ITEM[key.value]
                if action and action not in ("TransactWriteItems", "TransactGetItems"):
                    found.setdefault(f"dynamodb:{action}", set()).add(
                        f"{path.relative_to(ROOT)}:{fn.name}")
    return found


def test_no_dynamodb_call_in_the_code_escapes_the_recording(
        recorded: list[dict[str, Any]]) -> None:
    seen = {a for a, _ in needed(recorded, "lambda") | needed(recorded, "staff")
            | needed(recorded, "staff_api")}
    written = static_actions()
    assert {"dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:Query"} <= set(written)
    unseen = {a: sorted(w) for a, w in written.items() if a not in seen}
    assert not unseen, f"calls no test makes, so no policy covers them: {unseen}"


# --- the site ------------------------------------------------------------------------------

def test_the_site_template_keeps_the_bucket_private_behind_cloudfront() -> None:
    from cfnlint.decode import decode_str

    site, _ = decode_str((ROOT / "deploy" / "site.yml").read_text())
    assert site is not None
    res = site["Resources"]
    block = res["SiteBucket"]["Properties"]["PublicAccessBlockConfiguration"]
    assert block == {"BlockPublicAcls": True, "BlockPublicPolicy": True,
                     "IgnorePublicAcls": True, "RestrictPublicBuckets": True}
    for st in res["SiteBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]:
        if st["Effect"] == "Allow":
            assert st["Principal"] == {"Service": "cloudfront.amazonaws.com"}
            assert st["Action"] == "s3:GetObject" and "AWS:SourceArn" in st["Condition"][
                "StringEquals"]
    oac = res["OriginAccessControl"]["Properties"]["OriginAccessControlConfig"]
    assert oac["SigningBehavior"] == "always" and oac["OriginAccessControlOriginType"] == "s3"
    config = res["Distribution"]["Properties"]["DistributionConfig"]
    assert config["Origins"][0]["OriginAccessControlId"] == {"Fn::GetAtt": [
        "OriginAccessControl", "Id"]}
    assert config["DefaultCacheBehavior"]["ViewerProtocolPolicy"] == "redirect-to-https"


def test_cloudfront_sends_a_content_security_policy_header() -> None:
    """Every response of the site carries the policy the deploy sets (never below what the
    pages say themselves: the header is their policies merged)."""
    from cfnlint.decode import decode_str

    site, _ = decode_str((ROOT / "deploy" / "site.yml").read_text())
    assert site is not None
    headers = site["Resources"]["SecurityHeaders"]["Properties"]["ResponseHeadersPolicyConfig"][
        "SecurityHeadersConfig"]
    assert headers["ContentSecurityPolicy"] == {
        "ContentSecurityPolicy": {"Ref": "ContentSecurityPolicy"}, "Override": True}
    param = site["Parameters"]["ContentSecurityPolicy"]
    assert param["MaxLength"] == deploy.CSP_HEADER_MAX
    fallback = csp.parse(param["Default"])
    assert fallback["default-src"] == ["'self'"] and "script-src" not in fallback


def test_the_header_is_the_built_pages_policy_with_the_stage_api(
        deployed: tuple[str, Deployed]) -> None:
    stage, result = deployed
    site_deploy = [c for c in result.calls if c[:2] == ["cloudformation", "deploy"]
                   and f"community-portal-{stage}-site" in c][-1]
    sent = next(p.split("=", 1)[1] for p in site_deploy if p.startswith("ContentSecurityPolicy="))
    assert sent == csp.site_policy(result.out / "site")
    assert len(sent) <= deploy.CSP_HEADER_MAX
    policy = csp.parse(sent)
    assert "'unsafe-inline'" not in policy["script-src"] and "'unsafe-eval'" not in policy["script-src"]
    assert sum(s.startswith("'sha256-") for s in policy["script-src"]) >= 3  # the theme's
    # the stage's owners' API, the staff API and its sign-in page; nothing else
    assert policy["connect-src"] == ["'self'", "https://a1b2c3.execute-api.ap-east-1.amazonaws.com",
                                     "https://desk.auth.ap-east-1.amazoncognito.com",
                                     "https://staff1.execute-api.ap-east-1.amazonaws.com"]
    assert policy["frame-ancestors"] == ["'self'"] and policy["object-src"] == ["'none'"]
    # each page's own policy names the stage's API too
    page = csp.page_policy((result.out / "site" / "suggestions" / "status" / "index.html")
                           .read_text(encoding="utf-8"))
    assert page is not None and page["connect-src"] == [
        "'self'", "https://a1b2c3.execute-api.ap-east-1.amazonaws.com"]
    # the content editor's folder has a header of its own: Decap's relaxations stay there
    editor = [p.split("=", 1)[1] for p in site_deploy if p.startswith("EditorContentSecurityPolicy=")]
    if deploy.load_stage(stage).editor[0]:
        assert editor == [csp.editor_policy(result.out / "site")]
        relaxed = csp.parse(editor[0])
        assert "'unsafe-eval'" in relaxed["script-src"] and relaxed["frame-ancestors"] == ["'none'"]
    else:  # no editor built: its folder's header stays the template's strict default
        assert editor == [] and not (result.out / "site" / "staff" / "content").exists()


def sync_claims(cmd: list[str], rel: str) -> bool:
    """Whether `aws s3 sync` with these filters uploads `rel` (later filters win)."""
    included = True
    for flag, pattern in itertools.pairwise(cmd):
        if flag in ("--exclude", "--include") and fnmatch.fnmatchcase(rel, pattern):
            included = flag == "--include"
    return included


def header(cmd: list[str], flag: str) -> str | None:
    return cmd[cmd.index(flag) + 1] if flag in cmd else None


@pytest.fixture(scope="module")
def stage_site(deployed: tuple[str, Deployed]) -> tuple[Path, str, str]:
    """The site the (stand-in) deploy built: the API URL is the API stack's output."""
    return deployed[1].out / "site", FAKE_ENDPOINT.rstrip("/"), deployed[0]


def test_the_site_built_for_a_stage_calls_that_stage_api(stage_site: tuple[Path, str, str]
                                                         ) -> None:
    site, api, stage = stage_site
    form = (site / "suggestions" / "index.html").read_text(encoding="utf-8")
    assert f'data-api="{api}"' in form
    assert "127.0.0.1" not in form
    assert f"{origin(stage)}/" in (site / "notices" / "rss.xml").read_text(encoding="utf-8")


def test_every_file_is_uploaded_once_with_its_type_and_cache(stage_site: tuple[Path, str, str]
                                                            ) -> None:
    site = stage_site[0]
    commands = deploy.upload_commands(site, "bucket", "ap-east-1")
    assert header(commands[-1], "--include") == "*.html"  # pages go last
    expect = {"notices/rss.xml": ("application/rss+xml", deploy.HTML_CACHE),
              "notices/atom.xml": ("application/atom+xml", deploy.HTML_CACHE),
              "notices/feed.json": ("application/feed+json", deploy.HTML_CACHE),
              "events/calendar.ics": ("text/calendar", deploy.HTML_CACHE),
              "index.html": ("text/html", deploy.HTML_CACHE),
              "sitemap.xml": ("application/xml", deploy.HTML_CACHE),
              "pagefind/pagefind-entry.json": ("application/json", deploy.HTML_CACHE)}
    files = [p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file()]
    assert set(expect) <= set(files)
    for rel in files:
        claims = [c for c in commands if sync_claims(c, rel)]
        assert len(claims) == 1, f"{rel} is uploaded by {len(claims)} commands"
        ctype, cache = header(claims[0], "--content-type"), header(claims[0], "--cache-control")
        if rel in expect:
            assert ctype and ctype.split(";")[0] == expect[rel][0] and cache == expect[rel][1], rel
        if re.search(r"\.[0-9a-f]{8}\.min\.(js|css)$", rel):
            assert cache == deploy.YEAR_CACHE, rel
        elif rel.endswith((".html", ".xml", ".json", ".ics")):
            assert cache == deploy.HTML_CACHE and ctype and "charset=utf-8" in ctype, rel


def test_the_pages_workflow_builds_with_an_api_url() -> None:
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "pages.yml").read_text())
    steps = [s for job in workflow["jobs"].values() for s in job.get("steps", [])]
    text = json.dumps(steps)
    assert "scripts/deploy.py build-site" in text and "PORTAL_API_URL" in text
    assert any(str(s.get("uses", "")).startswith("actions/deploy-pages@") for s in steps)


# --- the command ---------------------------------------------------------------------------

@pytest.fixture
def fake_aws(tmp_path: Path) -> Iterator[Path]:
    """An `aws` that has no credentials, first in PATH."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    aws = bindir / "aws"
    aws.write_text("#!/bin/sh\necho 'Unable to locate credentials. You can configure credentials "
                   "by running \"aws configure\".' >&2\nexit 255\n")
    aws.chmod(0o755)
    yield bindir


def run_deploy(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", str(ROOT / "scripts" / "deploy.sh"), *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=60)


def test_deploying_without_the_aws_command_says_how_to_install_it(tmp_path: Path) -> None:
    bindir = tmp_path / "bin"  # what deploy.sh needs, and no aws
    bindir.mkdir()
    for tool in ("bash", "dirname"):
        found = shutil.which(tool)
        assert found
        (bindir / tool).symlink_to(found)
    env = offline_env(tmp_path)
    env["PATH"] = f"{bindir}:{BIN}"
    proc = run_deploy(env, "dev", "--out", str(tmp_path / "out"))
    assert proc.returncode == 3 and "`aws` command is not installed" in proc.stderr
    assert "--dry-run needs neither" in proc.stderr


def test_deploying_without_credentials_says_so(tmp_path: Path, fake_aws: Path) -> None:
    env = offline_env(tmp_path)
    env["PATH"] = f"{fake_aws}:{env['PATH']}"
    proc = run_deploy(env, "prod", "--out", str(tmp_path / "out"))
    assert proc.returncode == 3, proc.stderr
    assert "no working credentials" in proc.stderr and "aws configure" in proc.stderr


FAKE_ENDPOINT = "https://a1b2c3.execute-api.ap-east-1.amazonaws.com/api/"
# A stand-in for the aws CLI: logs each call, keeps which stacks exist, answers like AWS.
FAKE_AWS = r'''#!PYTHON
import json, os, pathlib, shutil, sys

state = pathlib.Path(os.environ["FAKE_AWS_STATE"])
data = json.loads(state.read_text()) if state.exists() else {"stacks": [], "secret": False}
for key, empty in (("parameters", {}), ("oidc", []), ("schedule", None)):
    data.setdefault(key, empty)
args = sys.argv[1:]
with open(os.environ["FAKE_AWS_LOG"], "a") as log:
    log.write(json.dumps(args) + "\n")

def opt(name):
    return args[args.index(name) + 1]

def save():
    state.write_text(json.dumps(data))

STAGE = os.environ["FAKE_STAGE"]
OUTPUTS = {
    "community-portal-artifacts": {"BucketName": "artifact-bucket"},
    f"community-portal-{STAGE}-site": {
        "SiteURL": os.environ["FAKE_SITE_URL"], "BucketName": "site-bucket",
        "DistributionId": "E2EXAMPLE", "DistributionDomainName": "d1.cloudfront.net"},
    f"community-portal-{STAGE}": {
        "EndpointURL": "ENDPOINT",
        "TableName": f"community-portal-{STAGE}-PortalTable-X",
        "TableArn": "arn:aws:dynamodb:ap-east-1:1:table/X",
        "StaffPolicyArn": "arn:aws:iam::1:policy/s"},
    f"community-portal-{STAGE}-staff": {
        "EndpointURL": "https://staff1.execute-api.ap-east-1.amazonaws.com/staff/",
        "SignInURL": "https://desk.auth.ap-east-1.amazoncognito.com",
        "DeskClientId": "deskclient123", "StaffUserPoolId": "ap-east-1_X"},
    f"community-portal-{STAGE}-publish": {
        "RoleArn": "arn:aws:iam::123456789012:role/publish",
        "ScheduleGroup": f"community-portal-{STAGE}",
        "EventBusArn": f"arn:aws:events:ap-east-1:123456789012:event-bus/community-portal-{STAGE}-publish",
        "SchedulerRoleArn": "arn:aws:iam::123456789012:role/scheduler", "TimedRebuilds": "on"},
}
NOT_FOUND = "An error occurred (ResourceNotFoundException) when calling the {} operation"
cmd = args[:2]
if cmd == ["sts", "get-caller-identity"]:
    print(json.dumps({"Account": "123456789012"}))
elif cmd == ["secretsmanager", "describe-secret"] and opt("--secret-id").endswith("/dispatch-token"):
    if not os.environ.get("FAKE_DISPATCH_VERSION"):
        sys.exit(NOT_FOUND.format("DescribeSecret"))
    print(json.dumps({"VersionIdsToStages": {"v-old": ["AWSPREVIOUS"],
                                             os.environ["FAKE_DISPATCH_VERSION"]: ["AWSCURRENT"]}}))
elif cmd == ["secretsmanager", "describe-secret"]:
    if not data["secret"]:
        sys.exit(NOT_FOUND.format("DescribeSecret"))
elif cmd == ["secretsmanager", "create-secret"]:
    value = json.loads(pathlib.Path(opt("--secret-string")[len("file://"):]).read_text())
    assert set(value) == {"RECEIPT_SECRET", "RATE_SALT"} and all(len(v) >= 32 for v in value.values())
    data["secret"] = True
elif cmd == ["cloudformation", "describe-stacks"]:
    name = opt("--stack-name")
    if name not in data["stacks"]:
        sys.exit(f"An error occurred (ValidationError): Stack with id {name} does not exist")
    outputs = [{"OutputKey": k, "OutputValue": v} for k, v in OUTPUTS[name].items()]
    parameters = [{"ParameterKey": k, "ParameterValue": v}
                  for k, v in data["parameters"].get(name, {}).items()]
    print(json.dumps({"Stacks": [{"StackStatus": "CREATE_COMPLETE", "Outputs": outputs,
                                  "Parameters": parameters}]}))
elif cmd == ["cloudformation", "deploy"]:
    assert pathlib.Path(opt("--template-file")).is_file()
    data["stacks"].append(opt("--stack-name"))
    given = args[args.index("--parameter-overrides") + 1:] if "--parameter-overrides" in args else []
    data["parameters"].setdefault(opt("--stack-name"), {}).update(
        p.split("=", 1) for p in given if "=" in p and not p.startswith("--"))
elif cmd == ["cloudformation", "package"]:
    shutil.copyfile(opt("--template-file"), opt("--output-template-file"))
elif cmd == ["iam", "list-open-id-connect-providers"]:
    print(json.dumps({"OpenIDConnectProviderList": [{"Arn": a} for a in data["oidc"]]}))
elif cmd == ["iam", "create-open-id-connect-provider"]:
    assert opt("--client-id-list") == "sts.amazonaws.com"
    data["oidc"].append("arn:aws:iam::123456789012:oidc-provider/" + opt("--url")[len("https://"):])
elif cmd == ["scheduler", "get-schedule"]:
    if data["schedule"] is None:
        sys.exit(NOT_FOUND.format("GetSchedule"))
    print(json.dumps(data["schedule"]))
elif cmd in (["scheduler", "create-schedule"], ["scheduler", "update-schedule"]):
    assert (data["schedule"] is None) == (cmd[1] == "create-schedule"), "create, or update"
    data["schedule"] = {"args": args[2:]}
elif cmd == ["s3", "cp"]:  # what a put leaves in the bucket, kept to be read
    key = args[3].split("/", 3)[3]
    target = pathlib.Path(os.environ["FAKE_S3"]) / key
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(args[2], target)
save()
'''


@dataclass
class Deployed:
    proc: subprocess.CompletedProcess[str]
    calls: list[list[str]]  # the aws commands, in order
    out: Path


def fake_env(base: Path, site_url: str, stage: str) -> dict[str, str]:
    """The environment of a run against the stand-in aws, whose state is kept under `base`."""
    bindir = base / "fakebin"
    bindir.mkdir(exist_ok=True)
    (bindir / "aws").write_text(FAKE_AWS.replace("#!PYTHON", "#!" + sys.executable)
                                .replace('"ENDPOINT"', repr(FAKE_ENDPOINT)))
    (bindir / "aws").chmod(0o755)
    env = offline_env(base)
    env.update(PATH=f"{bindir}:{env['PATH']}", FAKE_AWS_LOG=str(base / "calls.log"),
               FAKE_AWS_STATE=str(base / "state.json"), FAKE_SITE_URL=site_url, FAKE_STAGE=stage,
               FAKE_S3=str(base / "bucket"), FAKE_DISPATCH_VERSION=DISPATCH_VERSION,
               PORTAL_STAGES_FILE=str(publishing_stages(base)))
    return env


def calls_logged(base: Path) -> list[list[str]]:
    log = base / "calls.log"
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


DISPATCH_VERSION = "v-2026"  # the dispatch token's current version in the stand-in


def fake_deploy(base: Path, site_url: str, stage: str = "dev") -> Deployed:
    """`scripts/deploy.sh <stage>` against the stand-in aws, whose site stack answers `site_url`."""
    proc = run_deploy(fake_env(base, site_url, stage), stage, "--no-lint", "--out", str(base / "out"))
    return Deployed(proc, calls_logged(base), base / "out")


@pytest.fixture(scope="module", params=STAGES)
def deployed(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
             ) -> tuple[str, Deployed]:
    stage = str(request.param)
    return stage, fake_deploy(tmp_path_factory.mktemp(f"deployed-{stage}"), origin(stage), stage)


def test_a_deploy_runs_the_steps_in_order(deployed: tuple[str, Deployed]) -> None:
    stage, result = deployed
    proc, calls = result.proc, result.calls
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    steps = [" ".join(c[:2]) + (f" {c[c.index('--stack-name') + 1]}" if "--stack-name" in c
                                  and c[1] == "deploy" else "") for c in calls
             if c[:2] != ["cloudformation", "describe-stacks"]]
    assert steps[:6] == [
        "sts get-caller-identity", "secretsmanager describe-secret", "secretsmanager create-secret",
        "cloudformation deploy community-portal-artifacts",
        f"cloudformation deploy community-portal-{stage}-site", "cloudformation package"]
    assert steps[6] == f"cloudformation deploy community-portal-{stage}"
    api = next(c for c in calls if c[:2] == ["cloudformation", "deploy"]
               and c[c.index("--stack-name") + 1] == f"community-portal-{stage}")
    protected = "true" if stage == "prod" else "false"
    assert "CAPABILITY_IAM" in api and f"DeletionProtection={protected}" in api
    syncs = [c for c in calls if c[:2] == ["s3", "sync"]]
    assert len(syncs) == len(deploy.UPLOADS) and all("s3://site-bucket" in c for c in syncs)
    # the site stack again, once the site is built: the pages' policy as the CDN's header,
    # before any page is uploaded
    site_deploys = [i for i, c in enumerate(calls) if c[:2] == ["cloudformation", "deploy"]
                    and c[c.index("--stack-name") + 1] == f"community-portal-{stage}-site"]
    assert len(site_deploys) == 2 and site_deploys[1] < calls.index(syncs[0])
    assert not any(p.startswith("ContentSecurityPolicy=") for p in calls[site_deploys[0]])
    assert any(p.startswith("ContentSecurityPolicy=") for p in calls[site_deploys[1]])
    # the publishing part: the git host's issuer, the publish stack, then the site's own
    # steps, the same a publish run takes: uploaded, cache emptied, status, next run
    assert steps[9:14] == ["iam list-open-id-connect-providers", "iam create-open-id-connect-provider",
                           "secretsmanager describe-secret",
                           f"cloudformation deploy community-portal-{stage}-publish",
                           f"cloudformation deploy community-portal-{stage}-site"]
    tail = [" ".join(c[:2]) for c in calls[calls.index(syncs[-1]) + 1:]]
    assert tail == ["cloudfront create-invalidation", "s3 cp", "scheduler get-schedule",
                    "scheduler create-schedule"]
    assert f"community-portal-{stage}-PortalTable-X" in proc.stdout
    assert f"publish    arn:aws:iam::123456789012:role/publish   (repository variable " \
           f"PORTAL_PUBLISH_ROLE_ARN of {REPOSITORY})" in proc.stdout


def test_the_dry_run_plan_is_what_a_deploy_runs(deployed: tuple[str, Deployed],
                                                packaged: dict[str, Path]) -> None:
    """Both come from deploy.STEPS: the plan's aws commands, with the stacks' outputs in
    place of its placeholders, are the commands the deploy ran, in the same order."""
    stage, result = deployed
    plan = (packaged[stage] / "plan.txt").read_text(encoding="utf-8")
    outputs = {"<artifacts BucketName>": "artifact-bucket", "<site BucketName>": "site-bucket",
               "<site DistributionId>": "E2EXAMPLE",
               "<api TableName>": f"community-portal-{stage}-PortalTable-X",
               "<api TableArn>": "arn:aws:dynamodb:ap-east-1:1:table/X",
               "<dispatch-token Version>": DISPATCH_VERSION}
    services = ("cloudformation", "s3", "cloudfront")  # iam and scheduler depend on what exists

    def normal(words: list[str], out: Path) -> list[str]:
        """Without the region and output flags the CLI wrapper adds, paths under OUT."""
        keep, skip = [], 0
        for w in words:
            if skip:
                skip -= 1
            elif w in ("--region", "--output"):
                skip = 1
            else:
                keep.append(w.replace(str(out), "OUT"))
        return keep

    # the header policy comes from the pages the deploy built (a dry run builds none)
    outputs["<site ContentSecurityPolicy>"] = csp.site_policy(result.out / "site")
    outputs["<editor ContentSecurityPolicy>"] = str(csp.editor_policy(result.out / "site"))
    planned = []
    for line in plan.splitlines():
        if line.startswith("aws ") and shlex.split(line)[1] in services:
            words = shlex.split(line)[1:]
            for placeholder, value in outputs.items():
                words = [w.replace(placeholder, value) for w in words]
            planned.append(normal(words, packaged[stage]))
    ran = [normal(c, result.out) for c in result.calls
           if c[0] in services and c[1] != "describe-stacks"]
    assert planned and "<" not in repr(planned)
    assert planned == ran


def test_a_site_on_another_address_stops_before_the_api(tmp_path: Path) -> None:
    result = fake_deploy(tmp_path, "https://d1.cloudfront.net")
    proc, calls = result.proc, result.calls
    assert proc.returncode == 4
    assert 'CORS_ORIGIN = "https://d1.cloudfront.net"' in proc.stderr
    deployed = [c[c.index("--stack-name") + 1] for c in calls if c[:2] == ["cloudformation", "deploy"]]
    assert deployed == ["community-portal-artifacts", "community-portal-dev-site"]


@pytest.mark.parametrize(("old", "new", "message"), [
    ("region: ap-east-1", "region: hongkong",
     "deploy/stages.yml: dev.region: expected text matching the pattern "),
    ('certificate_arn: ""', "certificate_arn: arn:aws:acm:ap-east-1:123456789012:certificate/x",
     "deploy/stages.yml: dev.certificate_arn: expected text matching the pattern "
     "'^(arn:aws[a-z-]*:acm:us-east-1"),
    ("deletion_protection: false", "deletion_protection: maybe",
     "deploy/stages.yml: dev.deletion_protection: expected true or false, found 'maybe'"),
    ("{rate: 10, burst: 20}", "{rate: 30, burst: 20}",
     "deploy/stages.yml: dev.throttle.burst: expected at least 'rate' (30), found 20"),
])
def test_bad_stage_settings_are_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, old: str,
                                      new: str, message: str) -> None:
    text = (ROOT / "deploy" / "stages.yml").read_text(encoding="utf-8")
    assert old in text
    bad = tmp_path / "stages.yml"
    bad.write_text(text.replace(old, new, 1), encoding="utf-8")
    monkeypatch.setattr(deploy, "STAGES_FILE", bad)
    with pytest.raises(deploy.DeployError) as err:
        deploy.load_stage("dev")
    assert message in str(err.value) and err.value.code == 2


@pytest.mark.parametrize(("stage", "message"), [
    ("local", "expected one of ['dev', 'prod']"),
    ("staging", "found 'staging'"),
])
def test_an_unknown_stage_is_refused(tmp_path: Path, stage: str, message: str) -> None:
    proc = run_deploy(offline_env(tmp_path), stage, "--dry-run")
    assert proc.returncode == 2 and message in proc.stderr


# --- published by itself: the workflow's run, its role, its schedule ---------------------------

SCHEDULED = """\
---
title: 二〇九九年电梯更新
date: 2099-05-01 09:00
category: 维修养护
level: normal
department: 工程部
---
一台电梯在 2099 年更新。
"""
# Each invalid notice with the lines the build prints about it.
BROKEN = """\
---
title: 电梯维保
date: 2026-03-01 09:00
category: 维修养护
level: loud
---
正文
"""
BROKEN_LINES = [
    "content/notices/2026/2026-03-01-lift.md: department: expected a value (this field is "
    "required), found nothing",
    "content/notices/2026/2026-03-01-lift.md: level: expected one of 'normal', 'important' or "
    "'urgent', found 'loud'",
]


@dataclass
class Published:
    proc: subprocess.CompletedProcess[str]
    calls: list[list[str]]  # every aws command of this run, in order
    out: Path
    bucket: Path  # what the run put with `aws s3 cp`, by key

    def status(self) -> dict[str, Any]:
        found: dict[str, Any] = json.loads((self.bucket / publishing.STATUS_KEY).read_text())
        return found


def fake_publish(base: Path, deployed: Deployed, stage: str, *args: str) -> Published:
    """`scripts/deploy.sh publish <stage>` against the stand-in aws, from the state the
    stand-in deploy left (its stacks, their parameters, and what a run before this one set)."""
    base.mkdir(parents=True, exist_ok=True)
    state = base / "state.json"
    if not state.exists():
        shutil.copyfile(deployed.out.parent / "state.json", state)
    (base / "calls.log").unlink(missing_ok=True)
    env = fake_env(base, origin(stage), stage)
    env["GITHUB_SHA"] = "0123456789abcdef0123456789abcdef01234567"
    proc = subprocess.run(["bash", str(ROOT / "scripts" / "deploy.sh"), "publish", stage,
                           "--out", str(base / "out"), *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=180)
    return Published(proc, calls_logged(base), base / "out", base / "bucket")


def content_site(base: Path, files: dict[str, str], now: str = FIXED_NOW) -> Path:
    """The example content with `files` added, as a site's mkdocs.yml (built at `now`)."""
    from conftest import site_config

    content = base / "content"
    shutil.copytree(ROOT / "content", content)
    for rel, text in files.items():
        (content / rel).parent.mkdir(parents=True, exist_ok=True)
        (content / rel).write_text(text, encoding="utf-8")
    return site_config(base, content, base / "unused-site", now)


@pytest.fixture(scope="module")
def published(deployed: tuple[str, Deployed], tmp_path_factory: pytest.TempPathFactory
              ) -> tuple[str, Published, Published]:
    """Two publish runs of the deployed stage, one after the other, of the example content
    with a notice scheduled for 2099-05-01 09:00, built early in 2099 (so that is the next
    change, and it lies ahead of the real clock); before the first, the stage has no
    schedule yet (the first creates it, the second moves it)."""
    stage, result = deployed
    base = tmp_path_factory.mktemp(f"published-{stage}")
    config = content_site(base / "checkout", {"notices/2099/2099-05-01-lift.md": SCHEDULED},
                          now="2099-01-01T09:00:00")
    (base / "run").mkdir()
    state = json.loads((result.out.parent / "state.json").read_text())
    (base / "run" / "state.json").write_text(json.dumps({**state, "schedule": None}))
    first = fake_publish(base / "run", result, stage, "--config-file", str(config))
    second = fake_publish(base / "run", result, stage, "--config-file", str(config))
    return stage, first, second


def test_a_publish_run_builds_uploads_and_schedules_the_next(
        published: tuple[str, Published, Published]) -> None:
    stage, first, second = published
    for run in (first, second):
        assert run.proc.returncode == 0, run.proc.stdout[-3000:] + run.proc.stderr[-3000:]
    kinds = [" ".join(c[:2]) for c in first.calls]
    syncs = [c for c in first.calls if c[:2] == ["s3", "sync"]]
    assert len(syncs) == len(deploy.UPLOADS) and all("s3://site-bucket" in c for c in syncs)
    assert kinds == ["sts get-caller-identity", *["cloudformation describe-stacks"] * 4,
                     *["s3 sync"] * len(deploy.UPLOADS), "cloudfront create-invalidation",
                     "s3 cp", "scheduler get-schedule", "scheduler create-schedule"]
    # it deploys nothing: CloudFront's header is the one the deploy set, which the pages need
    assert not any(c[:2] == ["cloudformation", "deploy"] for c in first.calls)
    # the editor is told, with no one's name in it
    status = first.status()
    assert status == {"time": status["time"], "commit": "0123456789abcdef0123456789abcdef01234567",
                      "ok": True, "problems": []}
    assert datetime.fromisoformat(status["time"]) <= datetime.now(UTC)
    cp = next(c for c in first.calls if c[:2] == ["s3", "cp"])
    assert header(cp, "--cache-control") == "no-store"
    assert header(cp, "--content-type") == "application/json; charset=utf-8"
    # the next run: when the 2099 notice goes live, in the portal's time zone; the second
    # run moves the same schedule
    assert (first.out / publishing.NEXT_CHANGE_FILE).read_text() == "2099-05-01T09:00:00+08:00\n"
    assert [" ".join(c[:2]) for c in second.calls][-2:] == ["scheduler get-schedule",
                                                            "scheduler update-schedule"]
    for run in (first, second):
        args = run.calls[-1][2:]
        assert header(args, "--schedule-expression") == "at(2099-05-01T09:00:00)"
        assert header(args, "--schedule-expression-timezone") == "Asia/Shanghai"
        assert header(args, "--state") == "ENABLED"
        assert header(args, "--group-name") == f"community-portal-{stage}"
        target = json.loads(header(args, "--target") or "{}")
        assert target["Arn"].endswith(f":event-bus/community-portal-{stage}-publish")
        assert target["RoleArn"] == "arn:aws:iam::123456789012:role/scheduler"


def test_the_sync_never_touches_the_status_file(stage_site: tuple[Path, str, str]) -> None:
    """`aws s3 sync --delete` would delete the editor's status file, which is not part of the
    built site: every upload command excludes it."""
    commands = deploy.upload_commands(stage_site[0], "bucket", "ap-east-1")
    assert not any(sync_claims(c, publishing.STATUS_KEY) for c in commands)


def test_a_site_is_uploaded_only_after_it_built() -> None:
    """The order a deploy and a publish run share: build (strict), then upload, empty the
    cache, tell the editor; a step that fails stops the run (run_steps)."""
    for steps in (deploy.STEPS, deploy.PUBLISH_STEPS):
        order = [steps.index(s) for s in (deploy.BUILD, deploy.UPLOAD, deploy.INVALIDATE,
                                          deploy.STATUS, deploy.SCHEDULE)]
        assert order == sorted(order)
        assert all(s.site for s in steps[order[0]:order[3] + 1])
    assert yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))["strict"] is True


def test_a_build_that_fails_uploads_nothing_and_tells_the_editor_why(
        deployed: tuple[str, Deployed], tmp_path: Path) -> None:
    stage, result = deployed
    config = content_site(tmp_path / "checkout",
                          {"notices/2026/2026-03-01-lift.md": BROKEN})
    run = fake_publish(tmp_path / "run", result, stage, "--config-file", str(config))
    assert run.proc.returncode == 1
    # the build's own lines, as it printed them, and in the status file for the editor
    for line in BROKEN_LINES:
        assert f"  {line}\n" in run.proc.stderr
    assert run.status()["ok"] is False
    assert run.status()["problems"] == ["2 problems in the portal content:", *BROKEN_LINES]
    # the last good site stays: nothing uploaded, deleted or invalidated, no schedule moved
    assert [" ".join(c[:2]) for c in run.calls] == [
        "sts get-caller-identity", *["cloudformation describe-stacks"] * 4, "s3 cp"]


def test_a_change_that_needs_a_new_header_waits_for_a_deploy(
        deployed: tuple[str, Deployed], tmp_path: Path) -> None:
    """Only a deploy sets CloudFront's policy: pages that need another one are not uploaded."""
    stage, result = deployed
    base = tmp_path / "run"
    base.mkdir()
    state = json.loads((result.out.parent / "state.json").read_text())
    state["parameters"][f"community-portal-{stage}-site"]["ContentSecurityPolicy"] = \
        "default-src 'self'"
    (base / "state.json").write_text(json.dumps(state))
    config = content_site(tmp_path / "checkout", {})
    run = fake_publish(base, result, stage, "--config-file", str(config))
    assert run.proc.returncode == 1
    assert not any(c[:2] in (["s3", "sync"], ["cloudfront", "create-invalidation"])
                   for c in run.calls)
    problems = run.status()["problems"]
    assert problems[0].startswith("the built pages need a Content-Security-Policy other than")
    assert f"Run bash scripts/deploy.sh {stage}" in " ".join(problems)


# What each aws command a publish run makes needs from IAM: (action, resource).
def publish_needs(call: list[str], stage: str) -> set[tuple[str, str]]:
    kind = " ".join(call[:2])
    if kind == "sts get-caller-identity":
        return set()  # needs no permission
    if kind == "s3 sync":
        assert call[3] == "s3://site-bucket"
        return {("s3:ListBucket", "bucket"), ("s3:PutObject", "bucket/*")} | (
            {("s3:DeleteObject", "bucket/*")} if "--delete" in call else set())
    if kind == "s3 cp":
        assert call[3].startswith("s3://site-bucket/")
        return {("s3:PutObject", "bucket/*")}
    if kind == "cloudfront create-invalidation":
        assert header(call, "--distribution-id") == "E2EXAMPLE"
        return {("cloudfront:CreateInvalidation", "distribution")}
    if kind == "cloudformation describe-stacks":
        name = header(call, "--stack-name") or ""
        return {("cloudformation:DescribeStacks",
                 "stack:" + name.removeprefix(f"community-portal-{stage}").lstrip("-"))}
    if kind == "scheduler get-schedule":
        return {("scheduler:GetSchedule", "schedule")}
    if kind in ("scheduler create-schedule", "scheduler update-schedule"):
        verb = "CreateSchedule" if call[1] == "create-schedule" else "UpdateSchedule"
        return {(f"scheduler:{verb}", "schedule"), ("iam:PassRole", "scheduler-role")}
    raise AssertionError(f"a publish run called {kind}: the role does not allow it")


def publish_resource(resource: Any) -> str:
    """The only resources the publish role may name."""
    arn = resource.get("Fn::Sub", "") if isinstance(resource, dict) else ""
    known = {"arn:${AWS::Partition}:s3:::${SiteBucket}": "bucket",
             "arn:${AWS::Partition}:s3:::${SiteBucket}/*": "bucket/*",
             "arn:${AWS::Partition}:cloudfront::${AWS::AccountId}:distribution/${DistributionId}":
                 "distribution",
             "arn:${AWS::Partition}:scheduler:${AWS::Region}:${AWS::AccountId}:schedule/"
             "${ScheduleGroup}/next-build": "schedule"}
    stacks = "arn:${AWS::Partition}:cloudformation:${AWS::Region}:${AWS::AccountId}:stack/"
    for suffix, name in (("", "stack:"), ("-site", "stack:site"), ("-staff", "stack:staff"),
                         ("-publish", "stack:publish")):
        known[f"{stacks}community-portal-${{Stage}}{suffix}/*"] = name
    if arn in known:
        return known[arn]
    if resource == {"Fn::GetAtt": ["SchedulerRole", "Arn"]}:
        return "scheduler-role"
    raise AssertionError(f"the publish role names {resource!r}")


def publish_template() -> dict[str, Any]:
    from cfnlint.decode import decode_str

    template, problems = decode_str((ROOT / "deploy" / "publish.yml").read_text(encoding="utf-8"))
    assert template is not None, problems
    return dict(template)


def test_the_publish_role_may_do_exactly_what_a_publish_run_does(
        published: tuple[str, Published, Published]) -> None:
    """Sync the stage's bucket, empty its distribution's cache, read the stage's stacks and
    move its one schedule (passing the schedule's own role to it): nothing else."""
    stage, first, second = published
    needed = set().union(*(publish_needs(c, stage) for run in (first, second) for c in run.calls))
    role = publish_template()["Resources"]["PublishRole"]["Properties"]
    assert "ManagedPolicyArns" not in role and len(role["Policies"]) == 1
    granted = set()
    for st in role["Policies"][0]["PolicyDocument"]["Statement"]:
        assert st["Effect"] == "Allow" and set(st) <= {"Sid", "Effect", "Action", "Resource",
                                                       "Condition"}
        actions = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
        resources = st["Resource"] if isinstance(st["Resource"], list) else [st["Resource"]]
        assert all("*" not in a for a in actions)
        if "iam:PassRole" in actions:  # only to the scheduler, only its own role
            assert st["Condition"] == {"StringEquals": {
                "iam:PassedToService": "scheduler.amazonaws.com"}}
        else:
            assert "Condition" not in st
        granted |= {(a, publish_resource(r)) for a in actions for r in resources}
    assert granted == needed, (f"missing {sorted(needed - granted)}, "
                               f"not needed {sorted(granted - needed)}")


def test_only_the_repositorys_main_branch_may_assume_the_publish_role(
        deployed: tuple[str, Deployed]) -> None:
    """The trust policy, with the parameters the deploy passed: GitHub's issuer, our
    audience, and the one subject of runs on main of the configured repository."""
    stage, result = deployed
    sent = next(c for c in result.calls if c[:2] == ["cloudformation", "deploy"]
                and header(c, "--stack-name") == f"community-portal-{stage}-publish")
    params = dict(p.split("=", 1) for p in sent[sent.index("--parameter-overrides") + 1:]
                  if "=" in p)
    assert params["Repository"] == REPOSITORY and params["Branch"] == "main"
    assert params["DispatchURL"] == (f"https://api.github.com/repos/{REPOSITORY}/actions/"
                                     f"workflows/{publishing.WORKFLOW}/dispatches")
    assert params["DispatchTokenVersion"] == DISPATCH_VERSION
    assert "--capabilities" in sent and "CAPABILITY_IAM" in sent
    trust = publish_template()["Resources"]["PublishRole"]["Properties"][
        "AssumeRolePolicyDocument"]["Fn::Sub"]
    values = {**params, "AWS::Partition": "aws", "AWS::AccountId": "123456789012"}
    document = json.loads(re.sub(r"\$\{([^}]+)\}", lambda m: values[m.group(1)], trust))
    issuer = "token.actions.githubusercontent.com"
    assert document["Statement"] == [{
        "Sid": "TheRepositorysBranchOnly", "Effect": "Allow",
        "Principal": {"Federated": f"arn:aws:iam::123456789012:oidc-provider/{issuer}"},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringEquals": {
            f"{issuer}:aud": "sts.amazonaws.com",
            f"{issuer}:sub": f"repo:{REPOSITORY}:ref:refs/heads/main"}}}]
    # and the deploy registered that issuer, for the audience the trust expects
    created = next(c for c in result.calls if c[:2] == ["iam", "create-open-id-connect-provider"])
    assert header(created, "--url") == f"https://{issuer}"
    assert header(created, "--client-id-list") == "sts.amazonaws.com"


def test_the_schedule_dispatches_the_workflow_the_repository_runs() -> None:
    """The schedule's event is the one the rule matches, which posts {"ref": <branch>} to
    the workflow's dispatch endpoint; that workflow runs on main, on dispatch, and publishes."""
    resources = publish_template()["Resources"]
    pattern = resources["RebuildRule"]["Properties"]["EventPattern"]
    assert pattern == {"source": [publishing.EVENT_SOURCE],
                       "detail-type": [publishing.EVENT_DETAIL_TYPE]}
    target = resources["RebuildRule"]["Properties"]["Targets"][0]
    assert target["Arn"] == {"Fn::GetAtt": ["Dispatch", "Arn"]}
    assert target["Input"] == {"Fn::Sub": '{"ref": "${Branch}"}'}
    assert resources["Dispatch"]["Properties"]["HttpMethod"] == "POST"
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / publishing.WORKFLOW).read_text())
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true
    assert triggers["push"] == {"branches": ["main"]} and "workflow_dispatch" in triggers
    assert triggers["schedule"]  # the daily backstop
    assert workflow["permissions"] == {"contents": "read", "id-token": "write"}
    steps = workflow["jobs"]["publish"]["steps"]
    assume = next(s for s in steps if str(s.get("uses", "")).startswith(
        "aws-actions/configure-aws-credentials@"))
    assert assume["with"]["role-to-assume"] == "${{ vars.PORTAL_PUBLISH_ROLE_ARN }}"
    runs = [s.get("run", "") for s in steps]
    assert 'bash scripts/deploy.sh publish "$STAGE"' in runs
    assert any("scripts/deploy.py region" in r for r in runs)
    assert any("scripts/deploy.py status" in r for r in runs)
