"""Request units of real DynamoDB requests, from the items they touched (moto as the table store)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from benchmarks.capacity import item_size
from benchmarks.work import CapacityCalculator, DynamoDbRequest

TABLE = "bookings"


@pytest.fixture
def client() -> Iterator[Any]:
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name="eu-west-1")
        dynamodb.create_table(
            TableName=TABLE,
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[
                {"AttributeName": "id", "AttributeType": "S"},
                {"AttributeName": "customerId", "AttributeType": "S"},
            ],
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            GlobalSecondaryIndexes=[
                {
                    "IndexName": "byCustomer",
                    "KeySchema": [{"AttributeName": "customerId", "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "ALL"},
                }
            ],
        )
        yield dynamodb


def item(booking_id: str, *, note_bytes: int = 10, customer: str | None = "c1") -> dict[str, Any]:
    attributes: dict[str, Any] = {"id": {"S": booking_id}, "note": {"S": "x" * note_bytes}}
    if customer:
        attributes["customerId"] = {"S": customer}
    return attributes


def units(
    client: Any, operation: str, params: dict[str, Any], *, succeeded: bool = True
) -> tuple[float, float]:
    uses = CapacityCalculator(client).use("Role", DynamoDbRequest("AKID", operation, params, succeeded))
    return sum(use.read_units for use in uses), sum(use.write_units for use in uses)


def test_a_put_writes_the_item_and_the_index_it_belongs_to(client: Any) -> None:
    client.put_item(TableName=TABLE, Item=item("b1"))

    assert units(client, "PutItem", {"TableName": TABLE, "Item": item("b1")}) == (0.0, 2.0)


def test_an_item_outside_the_index_writes_only_the_table(client: Any) -> None:
    client.put_item(TableName=TABLE, Item=item("b2", customer=None))

    assert units(client, "PutItem", {"TableName": TABLE, "Item": item("b2", customer=None)}) == (0.0, 1.0)


def test_a_refused_conditional_write_costs_its_units_but_writes_no_index(client: Any) -> None:
    client.put_item(TableName=TABLE, Item=item("b3"))
    request = {"TableName": TABLE, "Key": {"id": {"S": "b3"}}, "UpdateExpression": "SET note = :n"}

    assert units(client, "UpdateItem", request, succeeded=False) == (0.0, 1.0)


def test_writes_round_up_per_kilobyte_of_the_item(client: Any) -> None:
    big = item("b4", note_bytes=1500)
    client.put_item(TableName=TABLE, Item=big)
    assert 1024 < item_size(big) <= 2048

    assert units(client, "UpdateItem", {"TableName": TABLE, "Key": {"id": {"S": "b4"}}}) == (0.0, 4.0)


def test_reads_are_halved_unless_strongly_consistent(client: Any) -> None:
    client.put_item(TableName=TABLE, Item=item("b5"))
    key = {"id": {"S": "b5"}}

    assert units(client, "GetItem", {"TableName": TABLE, "Key": key}) == (0.5, 0.0)
    assert units(client, "GetItem", {"TableName": TABLE, "Key": key, "ConsistentRead": True}) == (1.0, 0.0)
    assert units(client, "GetItem", {"TableName": TABLE, "Key": {"id": {"S": "none"}}}) == (0.5, 0.0)


def test_a_transaction_doubles_each_of_its_writes(client: Any) -> None:
    client.put_item(TableName=TABLE, Item=item("b6", customer=None))
    client.put_item(TableName=TABLE, Item=item("b7", customer=None))
    request = {
        "TransactItems": [
            {"Put": {"TableName": TABLE, "Item": item("b6", customer=None)}},
            {"Update": {"TableName": TABLE, "Key": {"id": {"S": "b7"}}, "UpdateExpression": "SET n = :n"}},
        ]
    }

    assert units(client, "TransactWriteItems", request) == (0.0, 4.0)


def test_a_query_pays_for_the_sum_of_the_items_it_read(client: Any) -> None:
    for index in range(30):
        client.put_item(TableName=TABLE, Item=item(f"q{index}", note_bytes=300, customer="c9"))
    request = {
        "TableName": TABLE,
        "IndexName": "byCustomer",
        "KeyConditionExpression": "customerId = :c",
        "ExpressionAttributeValues": {":c": {"S": "c9"}},
        "ProjectionExpression": "id",
    }

    [use] = CapacityCalculator(client).use("Role", DynamoDbRequest("AKID", "Query", request, True))

    # 30 items of ~330 bytes, at their full size whatever the projection: 3 blocks of 4 KB, halved.
    assert use.items == 30
    assert use.read_units == 1.5


def test_control_plane_calls_cost_no_request_units(client: Any) -> None:
    assert units(client, "DescribeTable", {"TableName": TABLE}) == (0.0, 0.0)
