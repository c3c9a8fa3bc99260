"""Booking notices reach the loyalty service, or its dead-letter queue: never nowhere.

An operator tuning the loyalty queue must not stop confirmed bookings from earning points, and a
notice the queue refuses must be kept where an operator can find it and redrive it.
"""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from ops.redrive import LocalCloudStack, Redrive
from tests.e2e.test_booking_flows import book, new_customer
from tests.support.invariants import assert_system_consistent, queue_url
from tests.support.local_cloud import ACCOUNT_ID, STACK_NAME, Customer, LocalCloud, wait_for
from tests.support.template import Flight, sample_flights, seed

pytestmark = pytest.mark.local_cloud


@pytest.fixture(scope="module")
def flight(cloud: LocalCloud) -> Flight:
    assert cloud.stack is not None
    catalog = sample_flights(datetime.now(UTC).date())
    seed(cloud.client("dynamodb"), cloud.stack.outputs["FlightTableName"], catalog)
    return next(flight for flight in catalog if flight.flight_number == "SA103")


def loyalty_queue_policy(cloud: LocalCloud) -> dict[str, Any]:
    attributes = (
        cloud.client("sqs")
        .get_queue_attributes(QueueUrl=queue_url(cloud, "LoyaltyQueue"), AttributeNames=["Policy"])
        .get("Attributes", {})
    )
    assert "Policy" in attributes, "the loyalty queue has no policy"
    policy: dict[str, Any] = json.loads(attributes["Policy"])
    return policy


def test_tuning_the_loyalty_queue_keeps_its_policy_and_bookings_still_earn_points(
    cloud: LocalCloud, flight: Flight
) -> None:
    before = loyalty_queue_policy(cloud)
    cloud.client("sqs").set_queue_attributes(
        QueueUrl=queue_url(cloud, "LoyaltyQueue"), Attributes={"VisibilityTimeout": "120"}
    )
    assert loyalty_queue_policy(cloud) == before
    customer = new_customer(cloud)

    book(cloud, customer, flight, "tok_visa", "CONFIRMED")

    assert wait_for(lambda: ledger_points(cloud, customer) == flight.price, 30), "no points were credited"
    assert cloud.sns_delivery.dropped == []
    assert_system_consistent(cloud)


@contextlib.contextmanager
def sns_refused(cloud: LocalCloud) -> Iterator[None]:
    """The loyalty queue's owner drops the statement that lets the booking topic deliver (AWS calls
    that a client-side error: SNS does not retry it); put back afterwards."""
    before = loyalty_queue_policy(cloud)
    without = {**before, "Statement": [s for s in before["Statement"] if s["Effect"] != "Allow"]}
    sqs, url = cloud.client("sqs"), queue_url(cloud, "LoyaltyQueue")
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(without)})
    try:
        yield
    finally:
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(before)})


def dead_lettered(cloud: LocalCloud, booking_id: str) -> dict[str, Any] | None:
    """The notice of this booking in the loyalty dead-letter queue, if it is there."""
    messages = (
        cloud.client("sqs")
        .receive_message(
            QueueUrl=queue_url(cloud, "LoyaltyDeadLetterQueue"),
            MaxNumberOfMessages=10,
            MessageAttributeNames=["All"],
            VisibilityTimeout=0,
        )
        .get("Messages", [])
    )
    for message in messages:
        if json.loads(json.loads(message["Body"])["Message"]).get("bookingId") == booking_id:
            found: dict[str, Any] = message
            return found
    return None


def ledger_points(cloud: LocalCloud, customer: Customer) -> int:
    """The customer's points as the loyalty table holds them (read as the administrator)."""
    assert cloud.stack is not None
    item = (
        cloud.client("dynamodb")
        .get_item(
            TableName=cloud.stack.outputs["LoyaltyTableName"],
            Key={"customerId": {"S": customer.sub}, "sk": {"S": "TOTAL"}},
        )
        .get("Item")
    )
    return int(item["points"]["N"]) if item else 0


def test_a_notice_the_loyalty_queue_refuses_lands_in_its_dead_letter_queue_until_the_redrive_credits_it(
    cloud: LocalCloud, flight: Flight
) -> None:
    assert cloud.stack is not None
    customer = new_customer(cloud)
    set_aside_alarm = f"{STACK_NAME}-loyalty-notice-set-aside"
    cloud.alarms.evaluate_now()

    with sns_refused(cloud):
        booking = book(cloud, customer, flight, "tok_visa", "CONFIRMED")
        parked = wait_for(lambda: dead_lettered(cloud, booking["id"]), 30)
    assert parked is not None, "the refused notice is not in the loyalty dead-letter queue"
    envelope = json.loads(parked["Body"])
    assert envelope["TopicArn"] == cloud.stack.outputs["BookingTopicArn"]
    notice = json.loads(envelope["Message"])
    assert (notice["bookingId"], notice["customerId"], notice["status"]) == (
        booking["id"],
        customer.sub,
        "CONFIRMED",
    )
    assert notice["amount"] == flight.price
    assert envelope["MessageAttributes"]["bookingStatus"]["Value"] == "CONFIRMED"
    assert parked["MessageAttributes"]["ErrorCode"]["StringValue"] == "AccessDenied"
    assert ledger_points(cloud, customer) == 0
    assert (set_aside_alarm, "ALARM") in {(t.alarm_name, t.new.value) for t in cloud.alarms.evaluate_now()}

    # The queue takes notices again; the operator's redrive has the booking's notice sent again.
    redrive = Redrive(cloud.client, LocalCloudStack(STACK_NAME, cloud.endpoints.aws, ACCOUNT_ID))
    [outcome] = redrive.run(dry_run=False, out=io.StringIO())
    again = redrive.run(dry_run=False, out=io.StringIO())

    assert (outcome.booking_id, outcome.settled) == (booking["id"], True)
    assert again == []
    credited = wait_for(lambda: ledger_points(cloud, customer) == flight.price, 30)
    assert credited, "the redrive credited nothing"
    assert (set_aside_alarm, "OK") in {(t.alarm_name, t.new.value) for t in cloud.alarms.evaluate_now()}
    assert_system_consistent(cloud)
    assert ledger_points(cloud, customer) == flight.price  # credited once
