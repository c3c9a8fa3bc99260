"""Conversion between plain Python values and DynamoDB attribute values."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

if TYPE_CHECKING:
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
