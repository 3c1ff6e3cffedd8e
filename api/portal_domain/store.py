"""The DynamoDB store: the only module that knows the table's layout.

    item            PK                     SK                   other attributes
    case            CASE#<receipt>         CASE                 GSI1PK=MONTH#<yyyy-mm>,
                                                                GSI1SK=<created>#<receipt>;
                                                                while open: GSI2PK=OPEN,
                                                                GSI2SK=<respond_by>#<receipt>;
                                                                version (+1 on every change)
    contact         PII#<receipt>          PII                  ttl (retention; DynamoDB deletes it)
    rate counter    RATE#<sha256(client)>  W#<window>           n, ttl (window end)
    survey code     SURVEY#<id>            CODE#<sha256(code)>  used (the code itself is never stored)
    survey answer   SURVEY#<id>            RESP#<hmac(key)>     answers, day, req; no code, no time
    survey counter  SURVEY#<id>            COUNT#<0..7>         n, a:<question>, q:<question>:<answer>
    canned reply    CANNED                 REPLY#<id>           title, text, updated_by, updated_at

A submission is one TransactWriteItems: count the client's submission in its window
(refused past the limit), put the case if no case has that receipt, put the contact
item. A retry with the same Idempotency-Key maps to the same receipt, so its put is
refused and nothing is stored twice. Contact details live on their own item, in their
own partition, so they expire (TTL) while the case and its statistics stay, and so the
owners' function can be allowed to write them but never to read them (its IAM policy
refuses the PII# partitions, dynamodb:LeadingKeys). A survey answer is one transaction
too: the rate counter, the code (only if it exists and is unused), the answer (only if
this key stored none), one counter shard.

The services speak to it in the domain's words (create a case, set a status, record a
survey answer…); key prefixes, expressions and transactions are written here only.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from .errors import Unavailable
from .model import Case, Event, Feedback, plain

_ser, _de = TypeSerializer(), TypeDeserializer()
_BUSY = {"ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded",
         "InternalServerError", "ServiceUnavailable", "TransactionConflictException",
         "TransactionInProgressException", "LimitExceededException"}

TABLE_DEFINITION: dict[str, Any] = {
    "KeySchema": [{"AttributeName": "PK", "KeyType": "HASH"},
                  {"AttributeName": "SK", "KeyType": "RANGE"}],
    "AttributeDefinitions": [{"AttributeName": n, "AttributeType": "S"}
                             for n in ("PK", "SK", "GSI1PK", "GSI1SK", "GSI2PK", "GSI2SK")],
    "GlobalSecondaryIndexes": [{
        "IndexName": "GSI1",  # cases by month
        "KeySchema": [{"AttributeName": "GSI1PK", "KeyType": "HASH"},
                      {"AttributeName": "GSI1SK", "KeyType": "RANGE"}],
        "Projection": {"ProjectionType": "ALL"},
    }, {
        "IndexName": "GSI2",  # the open-case queue (sparse: a closed case leaves it)
        "KeySchema": [{"AttributeName": "GSI2PK", "KeyType": "HASH"},
                      {"AttributeName": "GSI2SK", "KeyType": "RANGE"}],
        "Projection": {"ProjectionType": "ALL"},
    }],
    "BillingMode": "PAY_PER_REQUEST",
}
TTL_ATTRIBUTE = "ttl"
SURVEY_SHARDS = 8  # counter shards per survey: concurrent answers rarely collide
_CLOSED = {":resolved": "resolved", ":closed": "closed"}
_CASE_FIELDS = frozenset(Case.__dataclass_fields__)
CONTACT_FIELDS = ("name", "phone", "email", "unit")  # a contact item's details


def to_item(data: dict[str, Any]) -> dict[str, Any]:
    return {k: _ser.serialize(v) for k, v in data.items() if v is not None}


def from_item(item: dict[str, Any]) -> dict[str, Any]:
    return {k: _de.deserialize(v) for k, v in item.items()}


class Refused(Exception):
    """The write was cancelled by a condition: `reasons` names the items that failed it."""

    def __init__(self, *reasons: str) -> None:
        super().__init__(", ".join(reasons))
        self.reasons = set(reasons)


@dataclass(frozen=True)
class Window:
    """One client's counter in the current rate window: its hashed id, the window, the limit."""

    client_hash: str
    window: int
    ends: int      # when the window ends (epoch seconds)
    limit: int


def _case_key(receipt: str) -> dict[str, str]:
    return {"PK": f"CASE#{receipt}", "SK": "CASE"}


@dataclass
class Store:
    table: str
    client: Any

    def _call(self, op: str, _names: tuple[str, ...] = (), **kwargs: Any) -> Any:
        """Run one DynamoDB call; `_names` names a transaction's items for Refused."""
        if op not in ("transact_write_items", "batch_write_item"):  # these name tables inside
            kwargs["TableName"] = self.table
        try:
            return getattr(self.client, op)(**kwargs)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code in _BUSY:
                raise Unavailable() from exc
            if code == "TransactionCanceledException":
                reasons = [r.get("Code", "None") for r in exc.response.get("CancellationReasons", [])]
                failed = [name for name, r in zip(_names, reasons, strict=False)
                          if r == "ConditionalCheckFailed"]
                if failed:
                    raise Refused(*failed) from exc
                if any(r in _BUSY or r in ("ThrottlingError", "TransactionConflict") for r in reasons):
                    raise Unavailable() from exc
            if code == "ConditionalCheckFailedException":
                raise Refused("condition") from exc
            raise
        except BotoCoreError as exc:  # connection refused, timeouts: the database is unreachable
            raise Unavailable() from exc

    # --- rate windows ----------------------------------------------------------------------

    def _count_item(self, w: Window) -> dict[str, Any]:
        """+1 on a client's counter unless it reached the limit, as a transaction item."""
        return {"Update": {
            "TableName": self.table, "Key": to_item({"PK": f"RATE#{w.client_hash}",
                                                     "SK": f"W#{w.window}"}),
            "UpdateExpression": "ADD n :one SET #ttl = :ttl",
            "ConditionExpression": "attribute_not_exists(n) OR n < :limit",
            "ExpressionAttributeNames": {"#ttl": TTL_ATTRIBUTE},
            "ExpressionAttributeValues": to_item({":one": 1, ":ttl": w.ends + 60,
                                                  ":limit": w.limit}),
        }}

    def count(self, w: Window) -> None:
        """+1 on a client's counter on its own (a miss); Refused past the limit."""
        request = dict(self._count_item(w)["Update"])
        del request["TableName"]  # _call names the table
        self._call("update_item", **request)

    def _transact(self, items: list[dict[str, Any]], names: tuple[str, ...]) -> None:
        """All or nothing; a failed condition raises Refused naming the items (by `names`)."""
        self._call("transact_write_items", _names=names, TransactItems=items)

    # --- cases -----------------------------------------------------------------------------

    def create_case(self, case: Case, month: str, contact: dict[str, Any] | None,
                    contact_expires: int, w: Window | None) -> None:
        """Count the submission (`w`; None for a case staff enter), put the case unless its
        receipt exists, put the contact.

        Refused("rate") past the limit, Refused("case") when the receipt is taken."""
        receipt = case.receipt
        item = {**_case_key(receipt), "GSI1PK": f"MONTH#{month}",
                "GSI1SK": f"{case.created_at}#{receipt}",
                "GSI2PK": "OPEN", "GSI2SK": f"{case.respond_by}#{receipt}",
                **case.to_plain(), "version": 1}
        items: list[dict[str, Any]] = [] if w is None else [self._count_item(w)]
        items.append({"Put": {"TableName": self.table, "Item": to_item(item),
                              "ConditionExpression": "attribute_not_exists(PK)"}})
        if contact:
            pii = {"PK": f"PII#{receipt}", "SK": "PII", **contact, TTL_ATTRIBUTE: contact_expires}
            items.append({"Put": {"TableName": self.table, "Item": to_item(pii)}})
        self._transact(items, ("rate", "case", "contact") if w else ("case", "contact"))

    def case(self, receipt: str) -> Case | None:
        item = self._get(_case_key(receipt))
        return Case.from_plain(item) if item else None

    def contact(self, receipt: str) -> dict[str, Any]:
        """The private contact details of a case ({} when none were given or they expired)."""
        item = self._get({"PK": f"PII#{receipt}", "SK": "PII"}) or {}
        return {k: item[k] for k in CONTACT_FIELDS if k in item}

    def cases_in_month(self, month: str) -> list[Case]:
        """The cases created in a (Beijing) month, oldest first (index GSI1)."""
        return [Case.from_plain(i) for i in self._query(
            IndexName="GSI1", KeyConditionExpression="GSI1PK = :pk",
            ExpressionAttributeValues=to_item({":pk": f"MONTH#{month}"}))]

    def open_cases(self) -> list[Case]:
        """Every case not closed yet, the earliest answer deadline first (index GSI2)."""
        return [Case.from_plain(i) for i in self._query(
            IndexName="GSI2", KeyConditionExpression="GSI2PK = :pk",
            ExpressionAttributeValues=to_item({":pk": "OPEN"}))]

    def rate_case(self, receipt: str, feedback: Feedback) -> Case:
        """The owner's rating, once, of a resolved or closed case; Refused otherwise."""
        return Case.from_plain(self._update(
            _case_key(receipt), "SET feedback = :f ADD #ver :one",
            {":f": plain(feedback), ":one": 1, **_CLOSED},
            "attribute_not_exists(feedback) AND (#s = :resolved OR #s = :closed)",
            {"#s": "status", "#ver": "version"}))

    def update_case(self, receipt: str, version: int, fields: dict[str, Any],
                    event: Event | None = None, add: dict[str, int] | None = None,
                    close: bool = False) -> Case:
        """Change a case that is still at `version` (Refused when someone changed it since):
        set `fields` (Case fields by name), add to counters (`add`), append `event` to the
        timeline; `close` takes it out of the open queue. The version goes up by one."""
        unknown = sorted((set(fields) | set(add or {})) - _CASE_FIELDS)
        if unknown:
            raise ValueError(f"not fields of a case: {', '.join(unknown)}")
        names = {f"#f{i}": name for i, name in enumerate(fields)} | {"#ver": "version"}
        values: dict[str, Any] = {f":f{i}": plain(v) for i, v in enumerate(fields.values())}
        values[":one"] = 1
        sets = [f"#f{i} = :f{i}" for i in range(len(fields))]
        if event is not None:
            sets.append("timeline = list_append(timeline, :t)")
            values[":t"] = [plain(event)]
        adds = ["#ver :one"]
        for i, (name, n) in enumerate((add or {}).items()):
            names[f"#a{i}"] = name
            values[f":a{i}"] = n
            adds.append(f"#a{i} :a{i}")
        expression = ("SET " + ", ".join(sets) + " " if sets else "") + "ADD " + ", ".join(adds)
        if close:
            expression += " REMOVE GSI2PK, GSI2SK"
        if version:
            condition = "#ver = :expected"
            values[":expected"] = version
        else:  # cases stored before versions were kept
            condition = "attribute_exists(PK) AND attribute_not_exists(#ver)"
        return Case.from_plain(self._update(_case_key(receipt), expression, values, condition,
                                            names))

    # --- canned replies ----------------------------------------------------------------------

    def canned_replies(self) -> list[dict[str, Any]]:
        return [{k: v for k, v in item.items() if k not in ("PK", "SK")}
                for item in self._prefix("CANNED", "REPLY#")]

    def put_canned_reply(self, reply: dict[str, Any]) -> None:
        self._call("put_item", Item=to_item({"PK": "CANNED", "SK": f"REPLY#{reply['id']}",
                                             **reply}))

    def delete_canned_reply(self, reply_id: str) -> None:
        self._call("delete_item", Key=to_item({"PK": "CANNED", "SK": f"REPLY#{reply_id}"}))

    # --- surveys ---------------------------------------------------------------------------

    def record_survey_answer(self, survey: str, response_id: str, answer: dict[str, Any],
                             code_hash: str | None, counters: list[str], shard: int,
                             w: Window) -> None:
        """Count the answer in the client's window, use the code, put the answer unless this
        key stored one, add 1 to each counter on one shard. Refused names what failed:
        "rate", "code", "response"."""
        pk = f"SURVEY#{survey}"
        items: list[dict[str, Any]] = [self._count_item(w)]
        names: tuple[str, ...] = ("rate", "response", "counters")
        if code_hash is not None:
            items.append({"Update": {
                "TableName": self.table, "Key": to_item({"PK": pk, "SK": f"CODE#{code_hash}"}),
                "UpdateExpression": "SET used = :yes",
                "ConditionExpression": "attribute_exists(PK) AND used = :no",
                "ExpressionAttributeValues": to_item({":yes": True, ":no": False})}})
            names = ("rate", "code", "response", "counters")
        items.append({"Put": {
            "TableName": self.table, "Item": to_item({"PK": pk, "SK": f"RESP#{response_id}",
                                                      **answer}),
            "ConditionExpression": "attribute_not_exists(PK)"}})
        alias = {f"#c{i}": n for i, n in enumerate(counters)}
        items.append({"Update": {
            "TableName": self.table, "Key": to_item({"PK": pk, "SK": f"COUNT#{shard}"}),
            "UpdateExpression": "ADD " + ", ".join(f"{a} :one" for a in alias),
            "ExpressionAttributeNames": alias, "ExpressionAttributeValues": to_item({":one": 1})}})
        self._transact(items, names)

    def survey_answer(self, survey: str, response_id: str) -> dict[str, Any] | None:
        return self._get({"PK": f"SURVEY#{survey}", "SK": f"RESP#{response_id}"})

    def survey_code_exists(self, survey: str, code_hash: str) -> bool:
        return self._get({"PK": f"SURVEY#{survey}", "SK": f"CODE#{code_hash}"}) is not None

    def add_survey_codes(self, survey: str, code_hashes: list[str]) -> None:
        """Unused one-time codes (by their hashes), 25 to a batch."""
        for i in range(0, len(code_hashes), 25):
            request = {self.table: [{"PutRequest": {"Item": to_item(
                {"PK": f"SURVEY#{survey}", "SK": f"CODE#{h}", "used": False})}}
                for h in code_hashes[i:i + 25]]}
            while request:
                out = self._call("batch_write_item", RequestItems=request)
                request = out.get("UnprocessedItems") or {}

    def survey_counter_shards(self, survey: str) -> list[dict[str, int]]:
        return [{k: int(v) for k, v in item.items() if k not in ("PK", "SK")}
                for item in self._prefix(f"SURVEY#{survey}", "COUNT#")]

    def survey_answers(self, survey: str) -> list[dict[str, Any]]:
        return self._prefix(f"SURVEY#{survey}", "RESP#")

    # --- plumbing --------------------------------------------------------------------------

    def _get(self, key: dict[str, str]) -> dict[str, Any] | None:
        out = self._call("get_item", Key=to_item(key), ConsistentRead=True)
        item = out.get("Item")
        return from_item(item) if item else None

    def _query(self, **kwargs: Any) -> list[dict[str, Any]]:
        """Every page of a query."""
        items: list[dict[str, Any]] = []
        while True:
            out = self._call("query", **kwargs)
            items.extend(from_item(i) for i in out.get("Items", []))
            if "LastEvaluatedKey" not in out:
                return items
            kwargs["ExclusiveStartKey"] = out["LastEvaluatedKey"]

    def _prefix(self, pk: str, sk_prefix: str) -> list[dict[str, Any]]:
        """Every item of a partition whose sort key starts with `sk_prefix`."""
        return self._query(KeyConditionExpression="PK = :pk AND begins_with(SK, :p)",
                           ExpressionAttributeValues=to_item({":pk": pk, ":p": sk_prefix}))

    def _update(self, key: dict[str, str], expression: str, values: dict[str, Any],
                condition: str | None, names: dict[str, str] | None) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "Key": to_item(key), "UpdateExpression": expression,
            "ExpressionAttributeValues": to_item(values), "ReturnValues": "ALL_NEW",
        }
        if condition:
            kwargs["ConditionExpression"] = condition
        if names:
            kwargs["ExpressionAttributeNames"] = names
        return from_item(self._call("update_item", **kwargs)["Attributes"])


def staff_client(endpoint: str | None = None) -> Any:
    """The staff tools' client: the app's settings, with patience for large reads."""
    return client_from_env(
        config=Config(connect_timeout=3, read_timeout=10, retries={"max_attempts": 3,
                                                                    "mode": "standard"}),
        **({"endpoint_url": endpoint} if endpoint else {}))


def client_from_env(**overrides: Any) -> Any:
    """A DynamoDB client from the environment (DYNAMODB_ENDPOINT for DynamoDB Local)."""
    import boto3

    # Requests are built by this module, never from raw input; botocore's parameter
    # validation of a TransactWriteItems costs about as much as the network round trip.
    # A database that accepts connections but never answers costs 3 attempts x 2 s plus
    # backoff, about 8 s: inside the 15 s Lambda timeout, so the owner gets our 503 with
    # Retry-After rather than API Gateway's 504 (with 5 s reads it took 20 s; see
    # tests/test_load_fast.py). DynamoDB answers in milliseconds; 2 s is a stall.
    config = Config(connect_timeout=1, read_timeout=2, parameter_validation=False,
                    retries={"max_attempts": 3, "mode": "standard"})
    kwargs: dict[str, Any] = {
        "endpoint_url": os.environ.get("DYNAMODB_ENDPOINT") or None,
        "region_name": os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
        or "ap-east-1", "config": config, **overrides}
    return boto3.client("dynamodb", **kwargs)


def create_table(client: Any, name: str) -> None:
    """Create the table (and TTL) if it does not exist; used locally and in tests."""
    try:
        client.create_table(TableName=name, **TABLE_DEFINITION)
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ResourceInUseException":
            raise
        _add_missing_indexes(client, name)
        return
    client.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 0.2})
    client.update_time_to_live(TableName=name, TimeToLiveSpecification={
        "Enabled": True, "AttributeName": TTL_ATTRIBUTE})


def _add_missing_indexes(client: Any, name: str) -> None:
    """A table made by an earlier version (a developer's .data/dynamodb) gets the indexes
    added since, one at a time as DynamoDB requires."""
    table = client.describe_table(TableName=name)["Table"]
    have = {i["IndexName"] for i in table.get("GlobalSecondaryIndexes", [])}
    for index in TABLE_DEFINITION["GlobalSecondaryIndexes"]:
        if index["IndexName"] in have:
            continue
        client.update_table(TableName=name,
                            AttributeDefinitions=TABLE_DEFINITION["AttributeDefinitions"],
                            GlobalSecondaryIndexUpdates=[{"Create": index}])
        for _ in range(100):
            found = client.describe_table(TableName=name)["Table"]["GlobalSecondaryIndexes"]
            if all(i.get("IndexStatus") == "ACTIVE" for i in found):
                break
            time.sleep(0.2)
