"""DynamoDB building blocks: conversion between plain Python values and attribute values, and the
conditional writes the services are made idempotent with."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def to_item(values: dict[str, Any]) -> dict[str, AttributeValueTypeDef]:
    """Serialise a mapping, dropping ``None`` values (DynamoDB has no use for absent attributes)."""
    return {key: _serializer.serialize(value) for key, value in values.items() if value is not None}


def from_item(item: dict[str, Any]) -> dict[str, Any]:
    """Deserialise an item; whole numbers come back as ``int`` rather than ``Decimal``."""
    plain = {key: _deserializer.deserialize(value) for key, value in item.items()}
    return {key: _integral(value) for key, value in plain.items()}


def _integral(value: Any) -> Any:
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return int(value)
    return value


def is_conditional_check_failure(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"


def old_item_of(error: ClientError) -> dict[str, Any] | None:
    """The item DynamoDB returned with a failed condition (ReturnValuesOnConditionCheckFailure=ALL_OLD)."""
    item: dict[str, Any] | None = error.response.get("Item")  # type: ignore[assignment]
    return from_item(item) if item else None


def put_if_absent(
    client: DynamoDBClient, table_name: str, item: dict[str, Any], key_attribute: str
) -> dict[str, Any] | None:
    """The idempotent create: store ``item`` unless the table already holds an item with its key.

    One conditional PutItem, so two concurrent attempts cannot both write. Returns None when ``item``
    was stored, otherwise the item already stored under that key, unchanged: the caller decides
    whether it is the same thing retried (return it) or a different one (a conflict).
    """
    try:
        client.put_item(
            TableName=table_name,
            Item=to_item(item),
            ConditionExpression="attribute_not_exists(#key)",
            ExpressionAttributeNames={"#key": key_attribute},
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    except ClientError as error:
        if not is_conditional_check_failure(error):
            raise
        existing = old_item_of(error)
        if existing is None:
            # DynamoDB returns the old item with every failed condition of this PutItem.
            raise
        return existing
    return None
