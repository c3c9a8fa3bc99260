"""CloudFormation resource properties -> the API calls that create the same resources.

Used wherever the stack is built without CloudFormation (the moto-backed tests, the local cloud), so
those builds follow ``template.yaml`` instead of a hand-kept copy of it.
"""

from __future__ import annotations

import json
from typing import Any

_TABLE_PASS_THROUGH = (
    "AttributeDefinitions",
    "KeySchema",
    "BillingMode",
    "GlobalSecondaryIndexes",
    "LocalSecondaryIndexes",
    "ProvisionedThroughput",
    "StreamSpecification",
    "TableClass",
)


def create_table_kwargs(properties: dict[str, Any], table_name: str) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"TableName": table_name}
    kwargs.update({key: properties[key] for key in _TABLE_PASS_THROUGH if key in properties})
    sse = properties.get("SSESpecification")
    if sse:
        kwargs["SSESpecification"] = {
            "Enabled": sse.get("SSEEnabled", False),
            **({"SSEType": sse["SSEType"]} if "SSEType" in sse else {}),
            **({"KMSMasterKeyId": sse["KMSMasterKeyId"]} if "KMSMasterKeyId" in sse else {}),
        }
    return kwargs


def point_in_time_recovery(properties: dict[str, Any]) -> bool:
    spec = properties.get("PointInTimeRecoverySpecification", {})
    return bool(spec.get("PointInTimeRecoveryEnabled", False))


_QUEUE_ATTRIBUTES = (
    "DelaySeconds",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "ReceiveMessageWaitTimeSeconds",
    "VisibilityTimeout",
    "SqsManagedSseEnabled",
    "KmsMasterKeyId",
    "FifoQueue",
    "ContentBasedDeduplication",
)


def queue_attributes(properties: dict[str, Any]) -> dict[str, str]:
    """SQS attributes are strings; RedrivePolicy is JSON (already resolved to a queue ARN)."""
    attributes = {key: _attribute_string(properties[key]) for key in _QUEUE_ATTRIBUTES if key in properties}
    if "RedrivePolicy" in properties:
        attributes["RedrivePolicy"] = json.dumps(properties["RedrivePolicy"])
    return attributes


def subscription_attributes(properties: dict[str, Any]) -> dict[str, str]:
    attributes: dict[str, str] = {}
    if "RawMessageDelivery" in properties:
        attributes["RawMessageDelivery"] = _attribute_string(properties["RawMessageDelivery"])
    if "FilterPolicy" in properties:
        attributes["FilterPolicy"] = json.dumps(properties["FilterPolicy"])
    if "FilterPolicyScope" in properties:
        attributes["FilterPolicyScope"] = properties["FilterPolicyScope"]
    if "RedrivePolicy" in properties:
        attributes["RedrivePolicy"] = json.dumps(properties["RedrivePolicy"])
    return attributes


def _attribute_string(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
