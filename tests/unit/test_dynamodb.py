"""put_if_absent, the idempotent create both the booking and the payment repositories use."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber
from moto import mock_aws

from common.dynamodb import from_item, put_if_absent
from tests.support.stack import REGION

TABLE = "things"


@pytest.fixture
def client() -> Iterator[Any]:
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        dynamodb.create_table(
            TableName=TABLE,
            # "name" is one of DynamoDB's reserved words: the condition must refer to it by a placeholder.
            KeySchema=[{"AttributeName": "name", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "name", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        yield dynamodb


def stored(client: Any) -> list[dict[str, Any]]:
    return [from_item(item) for item in client.scan(TableName=TABLE)["Items"]]


def test_an_absent_item_is_stored(client: Any) -> None:
    assert put_if_absent(client, TABLE, {"name": "a", "size": 1}, key_attribute="name") is None
    assert stored(client) == [{"name": "a", "size": 1}]


def test_a_present_item_is_returned_and_left_as_it_was(client: Any) -> None:
    put_if_absent(client, TABLE, {"name": "a", "size": 1}, key_attribute="name")

    assert put_if_absent(client, TABLE, {"name": "a", "size": 2}, key_attribute="name") == {
        "name": "a",
        "size": 1,
    }
    assert stored(client) == [{"name": "a", "size": 1}]


@pytest.mark.parametrize(
    ("code", "response"),
    [
        # A throttled write is not a duplicate: the caller must see it fail (and retry), not "already there".
        ("ProvisionedThroughputExceededException", {}),
        # A failed condition without the stored item tells nothing about what is stored.
        ("ConditionalCheckFailedException", {}),
    ],
)
def test_other_failures_are_raised(client: Any, code: str, response: dict[str, Any]) -> None:
    with Stubber(client) as stub:
        stub.add_client_error("put_item", service_error_code=code, modeled_fields=response)

        with pytest.raises(ClientError, match=code):
            put_if_absent(client, TABLE, {"name": "a"}, key_attribute="name")
