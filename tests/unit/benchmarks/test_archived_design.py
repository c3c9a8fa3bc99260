"""The archived sample's loyalty read, kept as a comparison: it sums the whole ledger on every read."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from benchmarks.archived_design import points_by_query, remove_history, seed_history

TABLE = "loyalty"


@pytest.fixture
def client() -> Iterator[Any]:
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name="eu-west-1")
        dynamodb.create_table(
            TableName=TABLE,
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[
                {"AttributeName": "customerId", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
            KeySchema=[
                {"AttributeName": "customerId", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
        )
        yield dynamodb


def test_the_ledger_sum_reads_every_entry_and_agrees_with_the_running_total(client: Any) -> None:
    total = seed_history(client, TABLE, "c1", bookings=60, points_each=12_900)

    read = points_by_query(client, TABLE, "c1")

    assert total == read.points == 60 * 12_900
    assert read.items_read == 60  # the running total is not part of the sum
    assert read.calls == 1
    assert read.read_units > 0.5
    stored = client.get_item(TableName=TABLE, Key={"customerId": {"S": "c1"}, "sk": {"S": "TOTAL"}})["Item"]
    assert stored["points"] == {"N": str(total)}


def test_removing_a_history_leaves_other_customers_alone(client: Any) -> None:
    seed_history(client, TABLE, "c1", bookings=30, points_each=100)
    seed_history(client, TABLE, "c2", bookings=3, points_each=100)

    remove_history(client, TABLE, "c1")

    assert points_by_query(client, TABLE, "c1").items_read == 0
    assert points_by_query(client, TABLE, "c2").points == 300
    assert client.scan(TableName=TABLE)["Count"] == 4
