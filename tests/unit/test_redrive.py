"""The operator's redrive (ops.redrive), its rules on their own: which steps settle which parked booking,
a message deleted only when every step succeeded, a dry run that changes nothing, no payment data shown.
The queue and the flight table are moto's; the functions are stubs that record their invocations. The
whole redrive against the running local cloud: tests/e2e/test_alarm_evaluation.py."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from ops.redrive import CloudFormationStack, Outcome, Redrive, main
from tests.support.stack import REGION

STACK = "airline"
ACCOUNT = "123456789012"
FLIGHT = "FL-1"


class _Functions:
    """A Lambda client whose functions succeed, except those told to fail."""

    def __init__(self) -> None:
        self.invocations: list[tuple[str, dict[str, Any]]] = []
        self.failing: set[str] = set()

    def invoke(self, FunctionName: str, Payload: bytes) -> dict[str, Any]:  # noqa: N803 - boto3's names
        self.invocations.append((FunctionName.removeprefix(f"{STACK}-"), json.loads(Payload)))
        if FunctionName.removeprefix(f"{STACK}-") in self.failing:
            return {
                "FunctionError": "Unhandled",
                "Payload": io.BytesIO(b'{"errorType": "ConfigurationError"}'),
            }
        return {"Payload": io.BytesIO(b"{}")}


class _Stack:
    def __init__(self, queue_urls: dict[str, str]) -> None:
        self._queue_urls = queue_urls

    def physical_name(self, logical_id: str) -> str:
        return f"{STACK}-{logical_id}"

    def queue_url(self, logical_id: str) -> str:
        return self._queue_urls[logical_id]


class _World:
    def __init__(self) -> None:
        self.sqs: Any = boto3.client("sqs", region_name=REGION)
        self.dynamodb: Any = boto3.client("dynamodb", region_name=REGION)
        self.queue = self.sqs.create_queue(QueueName=f"{STACK}-BookingDeadLetterQueue")["QueueUrl"]
        self.notices = self.sqs.create_queue(QueueName=f"{STACK}-LoyaltyDeadLetterQueue")["QueueUrl"]
        self.dynamodb.create_table(
            TableName=f"{STACK}-BookingTable",
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        self.dynamodb.create_table(
            TableName=f"{STACK}-FlightTable",
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        self.dynamodb.put_item(
            TableName=f"{STACK}-FlightTable",
            Item={
                "id": {"S": FLIGHT},
                "seatsAvailable": {"N": "4"},
                "reservedBookings": {"SS": ["b-1", "b-9"]},
            },
        )
        self.functions = _Functions()
        clients = {"sqs": self.sqs, "dynamodb": self.dynamodb, "lambda": self.functions}
        queues = {"BookingDeadLetterQueue": self.queue, "LoyaltyDeadLetterQueue": self.notices}
        self.redrive = Redrive(clients.__getitem__, _Stack(queues))

    def park(self, state: dict[str, Any]) -> None:
        self.sqs.send_message(
            QueueUrl=self.queue, MessageBody=json.dumps({"executionId": "arn:execution", "state": state})
        )

    def set_aside(self, notice: dict[str, Any]) -> None:
        """A booking notice in the loyalty dead-letter queue, in its SNS envelope as SNS delivers it."""
        envelope = {"Type": "Notification", "TopicArn": "arn:topic", "Message": json.dumps(notice)}
        self.sqs.send_message(QueueUrl=self.notices, MessageBody=json.dumps(envelope))

    def book(self, booking_id: str, status: str) -> None:
        item = {
            "id": {"S": booking_id},
            "customerId": {"S": "c-1"},
            "flightId": {"S": FLIGHT},
            "status": {"S": status},
            "amount": {"N": "12900"},
            "currency": {"S": "EUR"},
        }
        if status == "CONFIRMED":
            item["bookingReference"] = {"S": "ABC123"}
        self.dynamodb.put_item(TableName=f"{STACK}-BookingTable", Item=item)

    def parked(self, queue: str | None = None) -> int:
        attributes = self.sqs.get_queue_attributes(
            QueueUrl=queue or self.queue, AttributeNames=["ApproximateNumberOfMessages"]
        )
        return int(attributes["Attributes"]["ApproximateNumberOfMessages"])

    def seats(self) -> tuple[int, set[str]]:
        item = self.dynamodb.get_item(TableName=f"{STACK}-FlightTable", Key={"id": {"S": FLIGHT}})["Item"]
        return int(item["seatsAvailable"]["N"]), set(item.get("reservedBookings", {}).get("SS", []))

    def run(self, *, dry_run: bool = False) -> tuple[list[Outcome], str]:
        out = io.StringIO()
        return self.redrive.run(dry_run=dry_run, out=out), out.getvalue()


@pytest.fixture
def world() -> Iterator[_World]:
    with mock_aws():
        yield _World()


FAILED_COMPENSATION = {
    "bookingId": "b-1",
    "customerId": "c-1",
    "flightId": FLIGHT,
    "flight": {"price": 100},
    "payment": {"amount": 100, "currency": "EUR", "paymentIntent": "pi_secret_123", "cardLast4": "4242"},
    "error": {"Error": "PaymentDeclined", "Cause": "card 4242 declined for pi_secret_123"},
    "compensationError": {"Error": "ConfigurationError", "Cause": "BOOKING_TABLE_NAME"},
}


def test_a_failed_compensation_is_compensated_again_and_its_message_deleted(world: _World) -> None:
    world.park(FAILED_COMPENSATION)

    [outcome], shown = world.run()

    assert outcome == Outcome("b-1", settled=True, detail="settled")
    assert [name for name, _ in world.functions.invocations] == [
        "RefundPaymentFunction",
        "CancelBookingFunction",
        "NotifyBookingFunction",
    ]
    assert world.functions.invocations[-1][1]["status"] == "CANCELLED"
    assert world.functions.invocations[-1][1]["reason"] == "PaymentDeclined"
    assert world.seats() == (5, {"b-9"})
    assert world.parked() == 0
    assert "PaymentDeclined" in shown
    assert "ConfigurationError" in shown


def test_a_second_run_changes_nothing(world: _World) -> None:
    world.park(FAILED_COMPENSATION)
    world.run()
    invoked = len(world.functions.invocations)

    outcomes, shown = world.run()

    assert outcomes == []
    assert "No parked booking" in shown
    assert len(world.functions.invocations) == invoked
    assert world.seats() == (5, {"b-9"})


def test_a_seat_already_released_is_not_released_twice(world: _World) -> None:
    world.park({**FAILED_COMPENSATION, "bookingId": "b-2"})  # b-2 holds no seat

    [outcome], _ = world.run()

    assert outcome.settled
    assert world.seats() == (4, {"b-1", "b-9"})


def test_a_step_that_still_fails_keeps_the_message_visible_and_stops_there(world: _World) -> None:
    world.park(FAILED_COMPENSATION)
    world.functions.failing.add("CancelBookingFunction")

    [outcome], shown = world.run()

    assert outcome == Outcome("b-1", settled=False, detail="cancel failed: ConfigurationError")
    assert [name for name, _ in world.functions.invocations] == [
        "RefundPaymentFunction",
        "CancelBookingFunction",
    ]
    assert world.seats() == (4, {"b-1", "b-9"})
    assert world.parked() == 1  # visible again: its alarm stays in ALARM
    assert "NOT settled" in shown


def test_a_dry_run_shows_each_booking_and_changes_nothing(world: _World) -> None:
    world.park(FAILED_COMPENSATION)

    [outcome], shown = world.run(dry_run=True)

    assert not outcome.settled
    assert world.functions.invocations == []
    assert world.parked() == 1
    assert "b-1" in shown
    assert "c-1" in shown
    assert "refund, cancel, release the seat" in shown


def test_no_payment_data_is_shown(world: _World) -> None:
    world.park(FAILED_COMPENSATION)
    world.functions.failing.add("RefundPaymentFunction")

    _, shown = world.run()
    _, previewed = world.run(dry_run=True)

    for secret in ("pi_secret_123", "4242", "100"):
        assert secret not in shown + previewed


def test_a_failed_confirmation_notice_is_sent_again_and_nothing_compensated(world: _World) -> None:
    world.park(
        {
            "bookingId": "b-1",
            "customerId": "c-1",
            "flightId": FLIGHT,
            "flight": {"price": 100},
            "payment": {"amount": 100, "currency": "EUR"},
            "confirmation": {"bookingReference": "ABC123"},
            "error": {"Error": "Lambda.ServiceException"},
        }
    )

    [outcome], _ = world.run()

    assert outcome.settled
    [(name, notice)] = world.functions.invocations
    assert name == "NotifyBookingFunction"
    assert (notice["status"], notice["bookingReference"], notice["amount"]) == ("CONFIRMED", "ABC123", 100)
    assert world.seats() == (4, {"b-1", "b-9"})


def test_a_booking_that_held_no_seat_only_has_its_payment_method_discarded(world: _World) -> None:
    world.park({key: value for key, value in FAILED_COMPENSATION.items() if key != "flight"})

    world.run()

    assert [name for name, _ in world.functions.invocations] == ["RefundPaymentFunction"]


def test_a_message_that_is_not_a_parked_booking_is_left_alone(world: _World) -> None:
    world.sqs.send_message(QueueUrl=world.queue, MessageBody="not json")

    outcomes, shown = world.run()

    assert outcomes == []
    assert "not one this redrive settles" in shown
    assert world.parked() == 1


NOTICE = {
    "bookingId": "b-7",
    "customerId": "c-1",
    "flightId": FLIGHT,
    "status": "CONFIRMED",
    "amount": 999999,
}


def test_a_set_aside_loyalty_notice_is_sent_again_from_the_booking_table_and_deleted(world: _World) -> None:
    world.book("b-7", "CONFIRMED")
    world.set_aside(NOTICE)

    [outcome], shown = world.run()

    assert outcome == Outcome("b-7", settled=True, detail="settled")
    [(name, notice)] = world.functions.invocations
    assert name == "NotifyBookingFunction"
    # What the table holds, not what the parked message says.
    assert notice == {
        "bookingId": "b-7",
        "customerId": "c-1",
        "flightId": FLIGHT,
        "status": "CONFIRMED",
        "bookingReference": "ABC123",
        "amount": 12900,
        "currency": "EUR",
    }
    assert world.parked(world.notices) == 0
    assert "notify the confirmation again" in shown
    assert world.run()[0] == []


def test_a_set_aside_notice_of_a_booking_that_is_not_confirmed_stays_for_inspection(world: _World) -> None:
    world.book("b-7", "CANCELLED")
    world.set_aside(NOTICE)

    [outcome], shown = world.run()

    assert not outcome.settled
    assert "the booking is CANCELLED, not CONFIRMED" in outcome.detail
    assert world.functions.invocations == []
    assert world.parked(world.notices) == 1
    assert "NOT settled" in shown


def test_a_set_aside_notice_of_an_unknown_booking_stays_for_inspection(world: _World) -> None:
    world.set_aside(NOTICE)

    [outcome], _ = world.run()

    assert "the booking is missing" in outcome.detail
    assert world.parked(world.notices) == 1


def test_on_aws_names_come_from_cloudformation() -> None:
    class _CloudFormation:
        def describe_stack_resource(self, StackName: str, LogicalResourceId: str) -> dict[str, Any]:  # noqa: N803
            return {"StackResourceDetail": {"PhysicalResourceId": f"{StackName}-{LogicalResourceId}-XYZ"}}

    stack = CloudFormationStack(_CloudFormation(), STACK)

    assert stack.physical_name("CancelBookingFunction") == "airline-CancelBookingFunction-XYZ"
    assert stack.queue_url("BookingDeadLetterQueue") == "airline-BookingDeadLetterQueue-XYZ"


def test_the_command_line_needs_a_stack(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main([])

    assert "--stack" in capsys.readouterr().err


def test_a_booking_table_that_cannot_be_read_leaves_the_notice_and_says_why(world: _World) -> None:
    world.dynamodb.delete_table(TableName=f"{STACK}-BookingTable")
    world.set_aside(NOTICE)

    [outcome], _ = world.run()

    assert outcome.detail == "notify the confirmation again failed: ResourceNotFoundException"
    assert world.parked(world.notices) == 1
