"""boto3 clients, created on first use and reused for the life of the execution environment."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

import boto3

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_sns import SNSClient


@cache
def dynamodb_client() -> DynamoDBClient:
    return boto3.client("dynamodb")


@cache
def sns_client() -> SNSClient:
    return boto3.client("sns")


def reset_clients() -> None:
    """Forget cached clients (tests that switch endpoints or credentials call this)."""
    dynamodb_client.cache_clear()
    sns_client.cache_clear()
