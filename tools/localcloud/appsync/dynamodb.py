"""AppSync's DynamoDB data source: a resolver's request object -> a DynamoDB call -> AppSync's result.

Implemented: GetItem, Query and Scan, which is what the project's resolvers read with, with every
field AppSync documents for them (key, query, filter, projection, index, limit, nextToken,
scanIndexForward, consistentRead, select, segment, totalSegments); and PutItem, which the payment
registration writes with (key, attributeValues, condition with expressionNames and expressionValues).
Any other operation, or field AppSync's PutItem takes that the project does not use (a custom
conditional-check handler, _version), is refused with a MappingTemplate error naming what is
implemented.

Results come back as AppSync gives them to the response handler: an item as plain JSON (``null`` if
there is none); a page as ``{items, nextToken, scannedCount}``; a put item as the item written. As in
AppSync, ``nextToken`` is opaque: the last evaluated key, encrypted with a key that lives as long as
the server.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError, ParamValidationError
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from mypy_boto3_dynamodb import DynamoDBClient

IMPLEMENTED_OPERATIONS = ("GetItem", "Query", "Scan", "PutItem")
_PUT_ITEM_FIELDS = frozenset({"version", "operation", "key", "attributeValues", "condition"})
_CONDITION_FIELDS = frozenset({"expression", "expressionNames", "expressionValues"})
_KNOWN_OPERATIONS = frozenset(
    {
        *IMPLEMENTED_OPERATIONS,
        "UpdateItem",
        "DeleteItem",
        "BatchGetItem",
        "BatchPutItem",
        "BatchDeleteItem",
        "TransactGetItems",
        "TransactWriteItems",
        "Sync",
    }
)
_SELECT = frozenset({"ALL_ATTRIBUTES", "ALL_PROJECTED_ATTRIBUTES", "SPECIFIC_ATTRIBUTES"})
_NONCE_BYTES = 12
# Errors AppSync reports under their own name; everything else is a DynamoDbException.
_NAMED_ERRORS = frozenset({"ConditionalCheckFailedException", "TransactionCanceledException"})


class MappingTemplateError(Exception):
    """The request object is not one AppSync could send (AppSync's ``MappingTemplate`` error)."""


@dataclass(frozen=True)
class Invocation:
    """A data source's answer: ``ctx.result`` for the response handler, or ``ctx.error`` if it failed."""

    result: Any = None
    error: dict[str, str] | None = None


class PageTokens:
    """Seals DynamoDB's LastEvaluatedKey into AppSync's opaque nextToken, bound to the table and index."""

    def __init__(self, key: bytes | None = None) -> None:
        self._cipher = AESGCM(key or AESGCM.generate_key(bit_length=256))

    def seal(self, table: str, index: str | None, last_key: Mapping[str, Any]) -> str:
        nonce = os.urandom(_NONCE_BYTES)
        # Key attributes are strings, numbers or binary; binary is written as base64, as in requests.
        plain = {
            name: {"B": base64.b64encode(value["B"]).decode()} if "B" in value else dict(value)
            for name, value in last_key.items()
        }
        sealed = self._cipher.encrypt(nonce, json.dumps(plain).encode(), _binding(table, index))
        return base64.urlsafe_b64encode(nonce + sealed).decode()

    def open(self, table: str, index: str | None, token: str) -> dict[str, Any]:
        try:
            raw = base64.urlsafe_b64decode(token.encode())
            plain = self._cipher.decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], _binding(table, index))
        except (InvalidTag, ValueError, binascii.Error):
            raise MappingTemplateError("The provided nextToken is not valid for this request.") from None
        return _typed_map(json.loads(plain), "nextToken")


def _binding(table: str, index: str | None) -> bytes:
    return json.dumps([table, index]).encode()


def invoke(client: DynamoDBClient, table: str, request: Any, tokens: PageTokens) -> Invocation:
    """Runs the request object a resolver returned against ``table``."""
    if not isinstance(request, Mapping):
        raise MappingTemplateError("The request must be an object describing a DynamoDB operation.")
    operation = request.get("operation")
    if operation is None:
        raise MappingTemplateError("Value for field '$[operation]' not found.")
    if operation not in _KNOWN_OPERATIONS:
        raise MappingTemplateError(f"Unsupported operation '{operation}'.")
    if operation not in IMPLEMENTED_OPERATIONS:
        raise MappingTemplateError(
            f"The local AppSync does not implement the DynamoDB operation '{operation}' "
            f"(it implements {', '.join(IMPLEMENTED_OPERATIONS)})."
        )
    try:
        if operation == "GetItem":
            return _get_item(client, table, request)
        if operation == "PutItem":
            return _put_item(client, table, request)
        return _page(client, table, request, tokens, query=operation == "Query")
    except ParamValidationError as error:
        raise MappingTemplateError(str(error)) from error
    except ClientError as error:
        return Invocation(error=_error_of(error))
    except BotoCoreError as error:
        return Invocation(error={"message": str(error), "type": "DynamoDB:DynamoDbException"})


def _get_item(client: DynamoDBClient, table: str, request: Mapping[str, Any]) -> Invocation:
    kwargs: dict[str, Any] = {"TableName": table, "Key": _typed_map(_required(request, "key"), "key")}
    if "consistentRead" in request:
        kwargs["ConsistentRead"] = bool(request["consistentRead"])
    _add_expressions(kwargs, projection=request.get("projection"))
    item = client.get_item(**kwargs).get("Item")
    return Invocation(result=to_plain_map(item) if item is not None else None)


def _put_item(client: DynamoDBClient, table: str, request: Mapping[str, Any]) -> Invocation:
    unimplemented = sorted(set(request) - _PUT_ITEM_FIELDS)
    if unimplemented:
        raise MappingTemplateError(
            f"The local AppSync does not implement PutItem's {', '.join(unimplemented)} "
            f"(it implements {', '.join(sorted(_PUT_ITEM_FIELDS - {'version', 'operation'}))})."
        )
    key = _typed_map(_required(request, "key"), "key")
    attributes = _typed_map(request.get("attributeValues") or {}, "attributeValues")
    overlap = sorted(set(key) & set(attributes))
    if overlap:
        raise MappingTemplateError(f"'attributeValues' must not repeat the key ({', '.join(overlap)}).")
    item = {**attributes, **key}
    kwargs: dict[str, Any] = {"TableName": table, "Item": item}
    condition = request.get("condition")
    if condition is not None:
        if not isinstance(condition, Mapping) or set(condition) - _CONDITION_FIELDS:
            raise MappingTemplateError(
                "'condition' must be an object of expression, expressionNames and expressionValues."
            )
        kwargs["ConditionExpression"] = str(_required(condition, "expression", "$[condition][expression]"))
        if condition.get("expressionNames"):
            kwargs["ExpressionAttributeNames"] = {
                str(name): str(attribute) for name, attribute in condition["expressionNames"].items()
            }
        if condition.get("expressionValues"):
            kwargs["ExpressionAttributeValues"] = _typed_map(
                condition["expressionValues"], "condition.expressionValues"
            )
    client.put_item(**kwargs)
    return Invocation(result=to_plain_map(item))


def _page(
    client: DynamoDBClient, table: str, request: Mapping[str, Any], tokens: PageTokens, *, query: bool
) -> Invocation:
    index = request.get("index")
    kwargs: dict[str, Any] = {"TableName": table}
    if index is not None:
        kwargs["IndexName"] = str(index)
    if request.get("limit") is not None:
        kwargs["Limit"] = _whole_number(request["limit"], "limit")
    if request.get("nextToken"):
        kwargs["ExclusiveStartKey"] = tokens.open(table, index, str(request["nextToken"]))
    if "consistentRead" in request:
        kwargs["ConsistentRead"] = bool(request["consistentRead"])
    if request.get("select") is not None:
        if request["select"] not in _SELECT:
            raise MappingTemplateError(f"'select' must be one of {', '.join(sorted(_SELECT))}.")
        kwargs["Select"] = request["select"]
    key_condition = None
    if query:
        key_condition = _required(request, "query")
        kwargs["ScanIndexForward"] = bool(request.get("scanIndexForward", True))
    else:
        for field, name in (("segment", "Segment"), ("totalSegments", "TotalSegments")):
            if request.get(field) is not None:
                kwargs[name] = _whole_number(request[field], field)
    _add_expressions(
        kwargs,
        key_condition=key_condition,
        filter_=request.get("filter"),
        projection=request.get("projection"),
    )
    page = client.query(**kwargs) if query else client.scan(**kwargs)
    last_key = page.get("LastEvaluatedKey")
    return Invocation(
        result={
            "items": [to_plain_map(item) for item in page.get("Items", [])],
            "nextToken": tokens.seal(table, index, last_key) if last_key else None,
            "scannedCount": page.get("ScannedCount", 0),
        }
    )


def _add_expressions(
    kwargs: dict[str, Any],
    *,
    key_condition: Any = None,
    filter_: Any = None,
    projection: Any = None,
) -> None:
    """AppSync's expression objects -> DynamoDB's expressions, with their names and values merged."""
    names: dict[str, str] = {}
    values: dict[str, Any] = {}
    for field, target, expression in (
        ("query", "KeyConditionExpression", key_condition),
        ("filter", "FilterExpression", filter_),
        ("projection", "ProjectionExpression", projection),
    ):
        if expression is None:
            continue
        if not isinstance(expression, Mapping):
            raise MappingTemplateError(f"'{field}' must be an object with an 'expression'.")
        kwargs[target] = str(_required(expression, "expression", f"$[{field}][expression]"))
        for name, attribute in (expression.get("expressionNames") or {}).items():
            _merge(names, name, str(attribute), field)
        if field == "projection" and expression.get("expressionValues"):
            raise MappingTemplateError("A projection takes no 'expressionValues'.")
        for name, value in _typed_map(
            expression.get("expressionValues") or {}, f"{field}.expressionValues"
        ).items():
            _merge(values, name, value, field)
    if names:
        kwargs["ExpressionAttributeNames"] = names
    if values:
        kwargs["ExpressionAttributeValues"] = values


def _merge(merged: dict[str, Any], name: str, value: Any, field: str) -> None:
    if name in merged and merged[name] != value:
        raise MappingTemplateError(f"'{name}' in '{field}' is already defined with another value.")
    merged[name] = value


def _required(request: Mapping[str, Any], field: str, where: str | None = None) -> Any:
    value = request.get(field)
    if value is None:
        raise MappingTemplateError(f"Value for field '{where or f'$[{field}]'}' not found.")
    return value


def _whole_number(value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float) or int(value) != value:
        raise MappingTemplateError(f"'{field}' must be a whole number.")
    return int(value)


# ---------------------------------------------------------------------- typed values <-> plain JSON


def _typed_map(value: Any, field: str) -> dict[str, Any]:
    """A map of typed values as written by util.dynamodb (JSON) -> as boto3 takes them (bytes for B)."""
    if not isinstance(value, Mapping):
        raise MappingTemplateError(f'\'{field}\' must be a map of typed values, e.g. {{"id": {{"S": "1"}}}}.')
    return {str(name): _typed(attribute, f"{field}.{name}") for name, attribute in value.items()}


def _typed(value: Any, field: str) -> dict[str, Any]:
    if not isinstance(value, Mapping) or len(value) != 1:
        raise MappingTemplateError(f'\'{field}\' must be a typed value, e.g. {{"S": "text"}}.')
    ((kind, content),) = value.items()
    if kind == "B":
        return {"B": _bytes(content, field)}
    if kind == "BS":
        return {"BS": [_bytes(item, field) for item in content]}
    if kind == "M":
        return {"M": _typed_map(content, field)}
    if kind == "L":
        return {"L": [_typed(item, field) for item in content]}
    return {str(kind): content}


def _bytes(content: Any, field: str) -> bytes:
    try:
        return base64.b64decode(str(content), validate=True)
    except (ValueError, binascii.Error):
        raise MappingTemplateError(f"'{field}': a binary value must be base64.") from None


def to_plain_map(item: Mapping[str, Any]) -> dict[str, Any]:
    return {name: to_plain(value) for name, value in item.items()}


def to_plain(value: Mapping[str, Any]) -> Any:
    """A typed value as boto3 returns it -> JSON, as AppSync hands items to the response handler."""
    ((kind, content),) = value.items()
    try:
        convert = _PLAIN[kind]
    except KeyError:
        raise ValueError(f"unknown DynamoDB type {kind!r}") from None
    return convert(content)


def _base64(content: bytes) -> str:
    return base64.b64encode(content).decode()


def _number(text: str) -> int | float:
    number = Decimal(text)
    return int(number) if number == number.to_integral_value() else float(number)


_PLAIN: dict[str, Callable[[Any], Any]] = {
    "S": lambda content: content,
    "BOOL": lambda content: content,
    "NULL": lambda _content: None,
    "N": _number,
    "B": _base64,
    "SS": list,
    "NS": lambda content: [_number(number) for number in content],
    "BS": lambda content: [_base64(item) for item in content],
    "M": to_plain_map,
    "L": lambda content: [to_plain(item) for item in content],
}


def _error_of(error: ClientError) -> dict[str, str]:
    details = error.response.get("Error", {})
    code = details.get("Code", "DynamoDbException")
    metadata = error.response.get("ResponseMetadata", {})
    # AppSync passes DynamoDB's message on with the SDK's suffix, as seen in its responses.
    status = metadata.get("HTTPStatusCode", 400)
    request_id = metadata.get("RequestId", "null")
    message = (
        f"{details.get('Message', code)} (Service: DynamoDb, Status Code: {status}, Request ID: {request_id})"
    )
    return {"message": message, "type": f"DynamoDB:{code if code in _NAMED_ERRORS else 'DynamoDbException'}"}
