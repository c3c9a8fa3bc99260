"""DynamoDB's fine-grained access control keys, computed from a request as the local cloud sends them.

The DynamoDB Developer Guide ("Using IAM policy conditions for fine-grained access control") defines:

* ``dynamodb:Attributes`` - the attribute names a request reads or writes. Here: the names of the
  ``Key`` (or ``Keys``), the ``Item`` (or a batch's items), ``AttributeUpdates``, ``AttributesToGet``,
  ``Expected`` / ``KeyConditions`` / ``QueryFilter`` / ``ScanFilter``, and every attribute named in
  ``UpdateExpression``, ``ConditionExpression``, ``KeyConditionExpression``, ``FilterExpression`` and
  ``ProjectionExpression`` (``#placeholders`` resolved through ``ExpressionAttributeNames``; of a
  document path such as ``address.city[0]`` only the top-level attribute ``address`` counts). Key
  attributes are always among them, which is why a policy listing attributes must list the keys.
* ``dynamodb:ReturnValues`` - the request's ``ReturnValues``, ``NONE`` when it names none (PutItem,
  UpdateItem, DeleteItem only; transaction items have no ReturnValues).
* ``dynamodb:Select`` - the ``Select`` of a Query or Scan, or what it defaults to: ``SPECIFIC_ATTRIBUTES``
  with a projection, else ``ALL_PROJECTED_ATTRIBUTES`` on an index and ``ALL_ATTRIBUTES`` on a table.
  The local cloud also sends it for GetItem and BatchGetItem (the Guide documents it for Query and
  Scan): a read without a projection returns every attribute, so a policy that wants specific ones
  refuses it here. Stricter than AWS may be, never looser.
* ``dynamodb:LeadingKeys`` - the partition key values the request touches: of its ``Key`` / ``Item`` /
  batch items, or the equality on the partition key of a Query's key condition. Absent for a Scan,
  which is why the Guide never grants Scan with it.

What the request returns (``ReturnValues`` ``ALL_NEW``, ``ReturnValuesOnConditionCheckFailure``) is not
added to ``dynamodb:Attributes``: the returned item's names are not known before the request runs, and
the Guide restricts returned values with ``dynamodb:ReturnValues`` instead.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from iam_eval import ContextValue

KeySchema = Callable[[str, str | None], str | None]
"""(table name, index name or None) -> the name of its partition key attribute (None if unknown)."""

_EXPRESSION_PARAMETERS = (
    "UpdateExpression",
    "ConditionExpression",
    "KeyConditionExpression",
    "FilterExpression",
    "ProjectionExpression",
)
_LEGACY_NAMED_PARAMETERS = (
    "AttributeUpdates",
    "Expected",
    "KeyConditions",
    "QueryFilter",
    "ScanFilter",
)
_WRITES_WITH_RETURN_VALUES = frozenset({"PutItem", "UpdateItem", "DeleteItem"})
_READS = frozenset({"GetItem", "BatchGetItem", "Query", "Scan"})
# Words of the expression grammar that look like attribute names: functions (followed by "(") and
# the keywords of conditions and update actions.
_KEYWORDS = frozenset({"and", "or", "not", "between", "in", "set", "remove", "add", "delete"})
_PATH = re.compile(r"(?<![\w.#:\]])(#?[A-Za-z_]\w*)\b(?!\s*\()")
_VALUE = re.compile(r":\w+")
_NESTED = re.compile(r"([.]#?[A-Za-z_]\w*|\[\d+\])")


def expression_attributes(expression: str, names: Mapping[str, str]) -> set[str]:
    """The top-level attribute names an expression refers to."""
    # Values (":v") and nested path steps (".child", "[0]") are not top-level attributes.
    text = _NESTED.sub(" ", _VALUE.sub(" ", expression))
    found = set()
    for token in _PATH.findall(text):
        if token.lower() in _KEYWORDS:
            continue
        found.add(names.get(token, token) if token.startswith("#") else token)
    return found


def request_attributes(body: Mapping[str, Any]) -> set[str]:
    """``dynamodb:Attributes`` of one item request (or a transaction's item)."""
    names: Mapping[str, str] = body.get("ExpressionAttributeNames") or {}
    found: set[str] = set()
    for parameter in ("Key", "Item"):
        found |= set(body.get(parameter) or {})
    for parameter in _LEGACY_NAMED_PARAMETERS:
        found |= set(body.get(parameter) or {})
    found |= set(body.get("AttributesToGet") or [])
    for parameter in _EXPRESSION_PARAMETERS:
        if body.get(parameter):
            found |= expression_attributes(str(body[parameter]), names)
    return found


def _scalar(value: Mapping[str, Any]) -> str | None:
    for kind in ("S", "N", "B"):
        if kind in value:
            return str(value[kind])
    return None


def _leading_key_of_query(body: Mapping[str, Any], partition_key: str) -> list[str]:
    names: Mapping[str, str] = body.get("ExpressionAttributeNames") or {}
    values: Mapping[str, Any] = body.get("ExpressionAttributeValues") or {}
    condition = str(body.get("KeyConditionExpression") or "")
    for left, right in re.findall(r"(#?[\w-]+)\s*=\s*(:[\w]+)", condition):
        attribute = names.get(left, left) if left.startswith("#") else left
        if attribute == partition_key and right in values:
            key = _scalar(values[right])
            return [key] if key is not None else []
    legacy = (body.get("KeyConditions") or {}).get(partition_key)
    if legacy and legacy.get("ComparisonOperator") == "EQ":
        key = _scalar(legacy["AttributeValueList"][0])
        return [key] if key is not None else []
    return []


def leading_keys(items: Iterable[Mapping[str, Any]], partition_key: str | None) -> list[str]:
    """The partition key values of the given keys or items."""
    if partition_key is None:
        return []
    found = []
    for item in items:
        value = item.get(partition_key)
        key = _scalar(value) if isinstance(value, Mapping) else None
        if key is not None and key not in found:
            found.append(key)
    return found


def _select(operation: str, body: Mapping[str, Any]) -> str:
    if body.get("Select"):
        return str(body["Select"])
    if body.get("ProjectionExpression") or body.get("AttributesToGet"):
        return "SPECIFIC_ATTRIBUTES"
    if operation in ("Query", "Scan") and body.get("IndexName"):
        return "ALL_PROJECTED_ATTRIBUTES"
    return "ALL_ATTRIBUTES"


def item_context(
    operation: str,
    body: Mapping[str, Any],
    table: str,
    key_schema: KeySchema,
    *,
    in_transaction: bool = False,
) -> dict[str, ContextValue]:
    """The condition keys of a request on one table: a single-item operation, a Query or a Scan, or
    one item of a transaction (``operation`` is then the item's action: PutItem, UpdateItem ...)."""
    context: dict[str, ContextValue] = {"dynamodb:Attributes": sorted(request_attributes(body))}
    if operation in _WRITES_WITH_RETURN_VALUES and not in_transaction:
        context["dynamodb:ReturnValues"] = str(body.get("ReturnValues") or "NONE")
    if operation in _READS:
        context["dynamodb:Select"] = _select(operation, body)
    partition_key = key_schema(table, body.get("IndexName") if operation == "Query" else None)
    if operation == "Query":
        keys = _leading_key_of_query(body, partition_key) if partition_key else []
    elif operation == "Scan":
        keys = []
    else:
        keys = leading_keys([body.get("Key") or body.get("Item") or {}], partition_key)
    if keys:
        context["dynamodb:LeadingKeys"] = keys
    return context


def batch_context(
    operation: str, requests: Any, table: str, key_schema: KeySchema
) -> dict[str, ContextValue]:
    """The condition keys of a BatchGetItem or BatchWriteItem's requests on one table."""
    items: list[Mapping[str, Any]] = []
    attributes: set[str] = set()
    context: dict[str, ContextValue] = {}
    if operation == "BatchGetItem":
        items = list(requests.get("Keys") or [])
        attributes = {name for key in items for name in key} | request_attributes(
            {name: value for name, value in requests.items() if name != "Keys"}
        )
        context["dynamodb:Select"] = _select(operation, requests)
    else:
        for request in requests:
            written = (
                (request.get("PutRequest") or {}).get("Item")
                or (request.get("DeleteRequest") or {}).get("Key")
                or {}
            )
            items.append(written)
            attributes |= set(written)
    context["dynamodb:Attributes"] = sorted(attributes)
    keys = leading_keys(items, key_schema(table, None))
    if keys:
        context["dynamodb:LeadingKeys"] = keys
    return context
