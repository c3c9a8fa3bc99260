"""Booking handlers under moto, with the booking table and topic built from template.yaml."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from booking.errors import BookingConflictError, BookingNotConfirmableError, InvalidNotificationError
from common.events import InvalidRequestError
from tests.support.fixtures import get_item
from tests.support.inprocess import InProcessLambdaRunner
from tests.support.stack import MockStack, embedded_client

BOOKING_ID = "5b0d6f52-3c1a-4f7e-9d52-8a1e0c2b7f31"
CUSTOMER_ID = "0d3c3a1e-5b7f-4c1e-9a8e-2f6b1d4c7e90"
RESERVATION = {
    "bookingId": BOOKING_ID,
    "customerId": CUSTOMER_ID,
    "flightId": "SA101-2030-01-08",
    "amount": 12900,
    "currency": "EUR",
}


def bookings(stack: MockStack) -> list[dict[str, Any]]:
    client = embedded_client("dynamodb")
    return client.scan(TableName=stack.physical_id("BookingTable"))["Items"]


def test_reserve_creates_an_unconfirmed_booking(runner: InProcessLambdaRunner, stack: MockStack) -> None:
    result = runner.call("ReserveBookingFunction", RESERVATION)

    assert result == {"bookingId": BOOKING_ID, "status": "UNCONFIRMED"}
    booking = get_item(stack, "BookingTable", {"id": BOOKING_ID})
    assert booking is not None
    assert booking["status"] == "UNCONFIRMED"
    assert booking["customerId"] == CUSTOMER_ID
    assert booking["amount"] == 12900


def test_reserve_twice_keeps_one_booking_and_its_creation_time(
    runner: InProcessLambdaRunner, stack: MockStack
) -> None:
    runner.call("ReserveBookingFunction", RESERVATION)
    first = get_item(stack, "BookingTable", {"id": BOOKING_ID})

    again = runner.call("ReserveBookingFunction", RESERVATION)

    assert again == {"bookingId": BOOKING_ID, "status": "UNCONFIRMED"}
    assert len(bookings(stack)) == 1
    assert get_item(stack, "BookingTable", {"id": BOOKING_ID}) == first


def test_reserve_with_an_existing_id_but_other_details_is_a_conflict(
    runner: InProcessLambdaRunner, stack: MockStack
) -> None:
    runner.call("ReserveBookingFunction", RESERVATION)
    before = get_item(stack, "BookingTable", {"id": BOOKING_ID})

    with pytest.raises(BookingConflictError):
        runner.call("ReserveBookingFunction", {**RESERVATION, "amount": 1})

    assert get_item(stack, "BookingTable", {"id": BOOKING_ID}) == before


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"bookingId": "not-a-uuid"}, "bookingId: must be a lower-case UUID"),
        ({"amount": -5}, "amount: Input should be greater than 0"),
        ({"amount": 12.5}, "amount: Input should be a valid integer"),
        ({"currency": "eur"}, "currency: String should match pattern"),
        ({"unexpected": "field"}, "unexpected: Extra inputs are not permitted"),
    ],
)
def test_reserve_rejects_bad_input_and_writes_nothing(
    runner: InProcessLambdaRunner, stack: MockStack, change: dict[str, Any], message: str
) -> None:
    with pytest.raises(InvalidRequestError, match=message):
        runner.call("ReserveBookingFunction", {**RESERVATION, **change})

    assert bookings(stack) == []


def test_confirm_sets_status_and_a_stable_reference(runner: InProcessLambdaRunner, stack: MockStack) -> None:
    runner.call("ReserveBookingFunction", RESERVATION)

    first = runner.call("ConfirmBookingFunction", {"bookingId": BOOKING_ID})
    confirmed_at = get_item(stack, "BookingTable", {"id": BOOKING_ID})["confirmedAt"]  # type: ignore[index]
    second = runner.call("ConfirmBookingFunction", {"bookingId": BOOKING_ID})

    assert first["status"] == "CONFIRMED"
    assert len(first["bookingReference"]) == 6
    assert second == first
    booking = get_item(stack, "BookingTable", {"id": BOOKING_ID})
    assert booking is not None
    assert booking["confirmedAt"] == confirmed_at


def test_confirm_refuses_a_cancelled_or_missing_booking(
    runner: InProcessLambdaRunner, stack: MockStack
) -> None:
    runner.call("ReserveBookingFunction", RESERVATION)
    runner.call("CancelBookingFunction", {"bookingId": BOOKING_ID})

    with pytest.raises(BookingNotConfirmableError):
        runner.call("ConfirmBookingFunction", {"bookingId": BOOKING_ID})
    with pytest.raises(BookingNotConfirmableError):
        runner.call("ConfirmBookingFunction", {"bookingId": "11111111-2222-4333-8444-555555555555"})

    assert get_item(stack, "BookingTable", {"id": BOOKING_ID})["status"] == "CANCELLED"  # type: ignore[index]
    assert len(bookings(stack)) == 1


def test_cancel_is_idempotent_and_creates_nothing_for_an_unknown_booking(
    runner: InProcessLambdaRunner, stack: MockStack
) -> None:
    runner.call("ReserveBookingFunction", RESERVATION)

    first = runner.call("CancelBookingFunction", {"bookingId": BOOKING_ID})
    cancelled_at = get_item(stack, "BookingTable", {"id": BOOKING_ID})["cancelledAt"]  # type: ignore[index]
    second = runner.call("CancelBookingFunction", {"bookingId": BOOKING_ID})
    unknown = runner.call("CancelBookingFunction", {"bookingId": "11111111-2222-4333-8444-555555555555"})

    assert first == second == {"bookingId": BOOKING_ID, "status": "CANCELLED"}
    assert get_item(stack, "BookingTable", {"id": BOOKING_ID})["cancelledAt"] == cancelled_at  # type: ignore[index]
    assert unknown == {"bookingId": "11111111-2222-4333-8444-555555555555", "status": "NO_SUCH_BOOKING"}
    assert len(bookings(stack)) == 1


def receive_all(queue_url: str) -> list[dict[str, Any]]:
    sqs = embedded_client("sqs")
    messages: list[Any] = sqs.receive_message(
        QueueUrl=queue_url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
    ).get("Messages", [])
    return messages


def test_notify_confirmed_is_published_and_reaches_the_loyalty_queue(
    runner: InProcessLambdaRunner,
    stack: MockStack,
    booking_topic_messages: Callable[[], list[dict[str, Any]]],
) -> None:
    notice = {**RESERVATION, "status": "CONFIRMED", "bookingReference": "Q7KX2M"}

    result = runner.call("NotifyBookingFunction", notice)

    assert result["messageId"]
    assert booking_topic_messages() == [{"notice": notice, "bookingStatus": "CONFIRMED"}]
    [message] = receive_all(stack.physical_id("LoyaltyQueue"))
    # Not raw: the body is the topic's envelope, naming the topic and carrying the status attribute.
    delivered = json.loads(message["Body"])
    assert delivered["TopicArn"] == stack.physical_id("BookingTopic")
    assert json.loads(delivered["Message"]) == notice
    assert delivered["MessageAttributes"]["bookingStatus"] == {"Type": "String", "Value": "CONFIRMED"}


def test_notify_cancelled_is_published_but_filtered_out_of_the_loyalty_queue(
    runner: InProcessLambdaRunner,
    stack: MockStack,
    booking_topic_messages: Callable[[], list[dict[str, Any]]],
) -> None:
    notice = {
        "bookingId": BOOKING_ID,
        "customerId": CUSTOMER_ID,
        "flightId": "SA101-2030-01-08",
        "status": "CANCELLED",
        "reason": "PaymentDeclinedError",
    }

    runner.call("NotifyBookingFunction", notice)

    assert booking_topic_messages() == [{"notice": notice, "bookingStatus": "CANCELLED"}]
    assert receive_all(stack.physical_id("LoyaltyQueue")) == []


def test_notify_refuses_a_confirmed_notice_without_the_amount(
    runner: InProcessLambdaRunner, booking_topic_messages: Callable[[], list[dict[str, Any]]]
) -> None:
    notice = {
        "bookingId": BOOKING_ID,
        "customerId": CUSTOMER_ID,
        "flightId": "SA101-2030-01-08",
        "status": "CONFIRMED",
        "bookingReference": "Q7KX2M",
    }

    with pytest.raises(InvalidNotificationError):
        runner.call("NotifyBookingFunction", notice)

    assert booking_topic_messages() == []


def test_notify_rejects_an_unknown_status(
    runner: InProcessLambdaRunner, booking_topic_messages: Callable[[], list[dict[str, Any]]]
) -> None:
    with pytest.raises(InvalidRequestError, match="status"):
        runner.call(
            "NotifyBookingFunction",
            {"bookingId": BOOKING_ID, "customerId": CUSTOMER_ID, "flightId": "F1", "status": "MAYBE"},
        )

    assert booking_topic_messages() == []
