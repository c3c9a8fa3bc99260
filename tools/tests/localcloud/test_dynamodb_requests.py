"""Two DynamoDB requests at once: each condition is checked against the item the other left, as in
DynamoDB (moto 5.2.5 alone lets both pass; see localcloud.dynamodb_requests)."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from localcloud.dynamodb_requests import DynamoDBRequestsSerialised
from stacktools.project import REGION

SEATS = 3
BUYERS = 12
ROUNDS = 8


@pytest.fixture
def frequent_thread_switches() -> Iterator[None]:
    """Switch threads every microsecond, so that requests interleave inside moto's handler."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(before)


def flights_table() -> Any:
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    dynamodb.create_table(
        TableName="flights",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return dynamodb


def take_a_seat(buyer: int, outcomes: list[str]) -> None:
    """The saga's seat update: one seat fewer, the buyer among the holders, only while seats are left.
    Its outcome: "taken", or the error's code."""
    try:
        boto3.client("dynamodb", region_name=REGION).update_item(
            TableName="flights",
            Key={"id": {"S": "SA101"}},
            UpdateExpression="SET seatsAvailable = seatsAvailable - :one ADD holders :buyer",
            ConditionExpression="seatsAvailable > :zero",
            ExpressionAttributeValues={
                ":one": {"N": "1"},
                ":zero": {"N": "0"},
                ":buyer": {"SS": [str(buyer)]},
            },
        )
    except ClientError as error:
        outcomes.append(error.response["Error"]["Code"])
        return
    outcomes.append("taken")


def sell_out(dynamodb: Any, rounds_at_most: int) -> Iterator[tuple[int, int, int]]:
    """Rounds of BUYERS buying SEATS seats at once: (seats sold, seats left, holders) per round."""
    for _ in range(rounds_at_most):
        dynamodb.put_item(
            TableName="flights", Item={"id": {"S": "SA101"}, "seatsAvailable": {"N": str(SEATS)}}
        )
        outcomes: list[str] = []
        buyers = [threading.Thread(target=take_a_seat, args=(buyer, outcomes)) for buyer in range(BUYERS)]
        for buyer in buyers:
            buyer.start()
        for buyer in buyers:
            buyer.join()
        assert set(outcomes) <= {"taken", "ConditionalCheckFailedException"}, outcomes
        item = dynamodb.get_item(TableName="flights", Key={"id": {"S": "SA101"}})["Item"]
        yield outcomes.count("taken"), int(item["seatsAvailable"]["N"]), len(item["holders"]["SS"])


@pytest.mark.usefixtures("frequent_thread_switches")
def test_concurrent_conditional_updates_sell_each_seat_once() -> None:
    serialised = DynamoDBRequestsSerialised()
    with mock_aws():
        serialised.install()
        try:
            rounds = list(sell_out(flights_table(), ROUNDS))
        finally:
            serialised.uninstall()

    assert rounds == [(SEATS, 0, SEATS)] * ROUNDS


@pytest.mark.usefixtures("frequent_thread_switches")
def test_moto_alone_oversells_which_is_why_the_local_cloud_serialises() -> None:
    """The reason for the seam, kept true: if moto ever makes its writes atomic, this fails and the
    replacement can go (tools/README.md, "Upgrading moto")."""
    with mock_aws():
        oversold = any(sold > SEATS or left < 0 for sold, left, _ in sell_out(flights_table(), 200))

    assert oversold, f"{BUYERS} buyers never took more than {SEATS} seats in 200 rounds"
