"""DynamoDB store: one table, items keyed by PK/SK.

    item          PK                     SK              other keys
    case          CASE#<receipt>         CASE            GSI1PK=MONTH#<yyyy-mm>, GSI1SK=<created>#<receipt>
    contact       CASE#<receipt>         PII             ttl (retention; DynamoDB deletes it)
    rate counter  RATE#<sha256(ip)>      W#<window>      ttl (window end)

A submission is one TransactWriteItems: count the client's submission in its window
(refused past the limit), put the case if no case has that receipt, put the contact
item. A retry with the same Idempotency-Key maps to the same receipt, so its put is
refused and nothing is stored twice. Contact details live on their own item so they
expire (TTL) while the case and its statistics stay.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from .errors import Unavailable

_ser, _de = TypeSerializer(), TypeDeserializer()
_BUSY = {"ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded",
         "InternalServerError", "ServiceUnavailable", "TransactionConflictException",
         "TransactionInProgressException", "LimitExceededException"}

TABLE_DEFINITION: dict[str, Any] = {
    "KeySchema": [{"AttributeName": "PK", "KeyType": "HASH"},
                  {"AttributeName": "SK", "KeyType": "RANGE"}],
    "AttributeDefinitions": [{"AttributeName": n, "AttributeType": "S"}
                             for n in ("PK", "SK", "GSI1PK", "GSI1SK")],
    "GlobalSecondaryIndexes": [{
        "IndexName": "GSI1",
        "KeySchema": [{"AttributeName": "GSI1PK", "KeyType": "HASH"},
                      {"AttributeName": "GSI1SK", "KeyType": "RANGE"}],
        "Projection": {"ProjectionType": "ALL"},
    }],
    "BillingMode": "PAY_PER_REQUEST",
}
TTL_ATTRIBUTE = "ttl"


def to_item(data: dict[str, Any]) -> dict[str, Any]:
    return {k: _ser.serialize(v) for k, v in data.items() if v is not None}


def from_item(item: dict[str, Any]) -> dict[str, Any]:
    return {k: _de.deserialize(v) for k, v in item.items()}


class Refused(Exception):
    """The write was cancelled by a condition: `reasons` names the items that failed it."""

    def __init__(self, *reasons: str) -> None:
        super().__init__(", ".join(reasons))
        self.reasons = set(reasons)


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

    def counter_update(self, key: dict[str, str], ttl: int, limit: int) -> dict[str, Any]:
        """+1 on a rate counter unless it reached `limit`, as a transaction item."""
        return {"Update": {
            "TableName": self.table, "Key": to_item(key),
            "UpdateExpression": "ADD n :one SET #ttl = :ttl",
            "ConditionExpression": "attribute_not_exists(n) OR n < :limit",
            "ExpressionAttributeNames": {"#ttl": TTL_ATTRIBUTE},
            "ExpressionAttributeValues": to_item({":one": 1, ":ttl": ttl, ":limit": limit}),
        }}

    def count(self, key: dict[str, str], ttl: int, limit: int) -> None:
        """The same +1 on its own; Refused past the limit."""
        request = dict(self.counter_update(key, ttl, limit)["Update"])
        del request["TableName"]  # _call names the table
        self._call("update_item", **request)

    def create_case(self, case: dict[str, Any], contact: dict[str, Any] | None,
                    rate_key: dict[str, str], rate_ttl: int, limit: int) -> None:
        items: list[dict[str, Any]] = [
            self.counter_update(rate_key, rate_ttl, limit),
            {"Put": {"TableName": self.table, "Item": to_item(case),
                     "ConditionExpression": "attribute_not_exists(PK)"}},
        ]
        if contact:
            items.append({"Put": {"TableName": self.table, "Item": to_item(contact)}})
        self.transact(items, ("rate", "case", "contact"))

    def transact(self, items: list[dict[str, Any]], names: tuple[str, ...]) -> None:
        """All or nothing; a failed condition raises Refused naming the items (by `names`)."""
        self._call("transact_write_items", _names=names, TransactItems=items)

    def batch_put(self, items: list[dict[str, Any]]) -> None:
        request = {self.table: [{"PutRequest": {"Item": to_item(i)}} for i in items]}
        while request:
            out = self._call("batch_write_item", RequestItems=request)
            request = out.get("UnprocessedItems") or {}

    def _query(self, **kwargs: Any) -> list[dict[str, Any]]:
        """Every page of a query."""
        items: list[dict[str, Any]] = []
        while True:
            out = self._call("query", **kwargs)
            items.extend(from_item(i) for i in out.get("Items", []))
            if "LastEvaluatedKey" not in out:
                return items
            kwargs["ExclusiveStartKey"] = out["LastEvaluatedKey"]

    def query_prefix(self, pk: str, sk_prefix: str) -> list[dict[str, Any]]:
        """Every item of a partition whose sort key starts with `sk_prefix`."""
        return self._query(KeyConditionExpression="PK = :pk AND begins_with(SK, :p)",
                           ExpressionAttributeValues=to_item({":pk": pk, ":p": sk_prefix}))

    def query_month(self, month: str) -> list[dict[str, Any]]:
        """The cases created in a month (index GSI1)."""
        return self._query(IndexName="GSI1", KeyConditionExpression="GSI1PK = :pk",
                           ExpressionAttributeValues=to_item({":pk": f"MONTH#{month}"}))

    def get(self, pk: str, sk: str, consistent: bool = True) -> dict[str, Any] | None:
        out = self._call("get_item", Key=to_item({"PK": pk, "SK": sk}), ConsistentRead=consistent)
        item = out.get("Item")
        return from_item(item) if item else None

    def update(self, pk: str, sk: str, expression: str, values: dict[str, Any],
               condition: str | None = None, names: dict[str, str] | None = None) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "Key": to_item({"PK": pk, "SK": sk}), "UpdateExpression": expression,
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
        return
    client.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 0.2})
    client.update_time_to_live(TableName=name, TimeToLiveSpecification={
        "Enabled": True, "AttributeName": TTL_ATTRIBUTE})
