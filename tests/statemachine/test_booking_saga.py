"""The real ``statemachine/booking.asl.json`` run by moto's Step Functions interpreter.

Its Lambda tasks run the repository's handlers (in-process, see tests/support/inprocess.py) against
tables, topic and queues built from ``template.yaml``. Each booking's payment method is registered
first, as processBooking registers it, and the execution is named after the booking.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from moto.dynamodb.exceptions import ERROR_TYPE_PREFIX, DynamodbException
from moto.dynamodb.models import DynamoDBBackend

from payment.errors import PaymentMethodNotRegisteredError
from payment.models import Payment, PaymentStatus
from payment.repository import PaymentLedger
from payment.rules import settle
from tests.support.fixtures import get_item
from tests.support.inprocess import FaultAction, always_fail, service_error_after_success
from tests.support.saga import ExecutionResult, Saga
from tests.support.stack import MockStack, embedded_client
from tests.support.template import Flight

pytestmark = pytest.mark.whole_stack

CUSTOMER_ID = "0d3c3a1e-5b7f-4c1e-9a8e-2f6b1d4c7e90"


def booking_request(flight: Flight, **extra: Any) -> dict[str, Any]:
    return {"bookingId": str(uuid.uuid4()), "customerId": CUSTOMER_ID, "flightId": flight.id, **extra}


def book(
    saga: Saga, flight: Flight, token: str = "tok_visa", **extra: Any
) -> tuple[dict[str, Any], ExecutionResult]:
    """Registers ``token`` for a new booking at the flight's price, then runs the saga named after it."""
    request = booking_request(flight, **extra)
    saga.register_payment_method(request["bookingId"], token, flight.price, flight.currency)
    return request, saga.run(request)


def history_text(result: ExecutionResult) -> str:
    return json.dumps(result.history, default=str)


def seats_available(stack: MockStack, flight: Flight) -> int:
    item = get_item(stack, "FlightTable", {"id": flight.id})
    assert item is not None
    return int(item["seatsAvailable"])


def notices_delivered_to_loyalty(saga: Saga) -> list[dict[str, Any]]:
    """What reached IngestLoyalty: topic -> filtered subscription -> queue -> event source mapping.
    Each record's body is the topic's envelope; the notice is its Message."""
    return [
        json.loads(json.loads(record["body"])["Message"])
        for event in saga.runner.invocations.get("IngestLoyaltyFunction", [])
        for record in event["Records"]
    ]


def points_of(stack: MockStack, customer_id: str) -> int:
    total = get_item(stack, "LoyaltyTable", {"customerId": customer_id, "sk": "TOTAL"})
    return int(total["points"]) if total else 0


def booking_dead_letters(stack: MockStack) -> list[dict[str, Any]]:
    sqs = embedded_client("sqs")
    messages = sqs.receive_message(
        QueueUrl=stack.physical_id("BookingDeadLetterQueue"), MaxNumberOfMessages=10
    ).get("Messages", [])
    return [json.loads(message["Body"]) for message in messages]


def test_happy_path_confirms_takes_a_seat_charges_catalog_price_and_notifies(
    saga: Saga,
    stack: MockStack,
    flights: dict[str, Flight],
    booking_topic_messages: Callable[[], list[dict[str, Any]]],
) -> None:
    flight = flights["SA101"]

    request, result = book(saga, flight)

    assert result.status == "SUCCEEDED", (result.error, result.cause)
    assert result.output is not None
    assert result.output["status"] == "CONFIRMED"
    assert result.output["amount"] == flight.price
    booking = get_item(stack, "BookingTable", {"id": request["bookingId"]})
    assert booking is not None
    assert booking["status"] == "CONFIRMED"
    assert booking["bookingReference"] == result.output["bookingReference"]
    assert booking["amount"] == flight.price
    assert seats_available(stack, flight) == flight.seat_capacity - 1
    charge = get_item(stack, "PaymentTable", {"bookingId": request["bookingId"]})
    assert charge is not None
    assert (charge["status"], charge["amount"], charge["currency"]) == (
        "CAPTURED",
        flight.price,
        flight.currency,
    )
    # The charge erased the registered token, and no event of the execution ever held it.
    assert "paymentMethod" not in charge
    assert "expiresAt" not in charge
    assert "tok_" not in history_text(result)
    [published] = booking_topic_messages()
    assert published["bookingStatus"] == "CONFIRMED"
    # The booking topic's loyalty subscription (filter policy from the template) passed the notice on.
    [notice] = notices_delivered_to_loyalty(saga)
    assert notice == published["notice"]
    assert notice["status"] == "CONFIRMED"
    assert notice["bookingId"] == request["bookingId"]
    assert notice["amount"] == flight.price
    assert points_of(stack, CUSTOMER_ID) == flight.price


def test_client_supplied_amount_is_ignored(saga: Saga, stack: MockStack, flights: dict[str, Flight]) -> None:
    flight = flights["SA101"]

    request, result = book(saga, flight, amount=1, currency="EUR")

    assert result.status == "SUCCEEDED", (result.error, result.cause)
    charge = get_item(stack, "PaymentTable", {"bookingId": request["bookingId"]})
    assert charge is not None
    assert charge["amount"] == flight.price


def test_declined_card_cancels_releases_seat_captures_nothing_and_notifies_cancellation(
    saga: Saga,
    stack: MockStack,
    flights: dict[str, Flight],
    booking_topic_messages: Callable[[], list[dict[str, Any]]],
) -> None:
    flight = flights["SA101"]

    request, result = book(saga, flight, token="tok_chargeDeclined")

    assert result.status == "FAILED"
    assert result.error == "BookingCancelled"
    states = result.entered_states()
    assert states[-6:] == [
        "RefundPayment",
        "CancelBooking",
        "WasBookingRecorded",
        "ReleaseFlightSeat",
        "NotifyBookingCancelled",
        "BookingCancelled",
    ]
    booking = get_item(stack, "BookingTable", {"id": request["bookingId"]})
    assert booking is not None
    assert (booking["status"], booking["cancellationReason"]) == ("CANCELLED", "PAYMENT_DECLINED")
    assert seats_available(stack, flight) == flight.seat_capacity
    charge = get_item(stack, "PaymentTable", {"bookingId": request["bookingId"]})
    assert charge is not None
    assert charge["status"] == "DECLINED"
    assert "paymentMethod" not in charge
    # The customer is told: the cancellation is published on the booking topic...
    assert booking_topic_messages() == [
        {
            "notice": {
                "bookingId": request["bookingId"],
                "customerId": CUSTOMER_ID,
                "flightId": flight.id,
                "status": "CANCELLED",
                "reason": "PaymentDeclinedError",
            },
            "bookingStatus": "CANCELLED",
        }
    ]
    # ...and the loyalty subscription's filter keeps it from the loyalty service.
    assert notices_delivered_to_loyalty(saga) == []
    assert points_of(stack, CUSTOMER_ID) == 0


def test_no_seat_left_records_the_booking_cancelled_as_sold_out_and_charges_nothing(
    saga: Saga, stack: MockStack, flights: dict[str, Flight]
) -> None:
    flight = flights["SA301"]  # two seats
    for _ in range(flight.seat_capacity):
        assert book(saga, flight)[1].status == "SUCCEEDED"

    late, result = book(saga, flight)

    assert result.status == "FAILED"
    assert result.error == "NoSeatAvailable"
    # The customer can read the outcome: the booking is there, cancelled, with the reason.
    booking = get_item(stack, "BookingTable", {"id": late["bookingId"]})
    assert booking is not None
    assert (booking["status"], booking["cancellationReason"]) == ("CANCELLED", "SOLD_OUT")
    assert (booking["customerId"], booking["amount"]) == (CUSTOMER_ID, flight.price)
    # Nothing was charged, and the unused payment method was voided: its token is gone.
    payment = get_item(stack, "PaymentTable", {"bookingId": late["bookingId"]})
    assert payment is not None
    assert payment["status"] == "VOIDED"
    assert "paymentMethod" not in payment
    assert "chargeId" not in payment
    assert seats_available(stack, flight) == 0


def test_a_departed_flight_fails_without_taking_a_seat(
    saga: Saga, stack: MockStack, flights: dict[str, Flight]
) -> None:
    flight = flights["SA101"]
    yesterday = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    embedded_client("dynamodb").update_item(
        TableName=stack.physical_id("FlightTable"),
        Key={"id": {"S": flight.id}},
        UpdateExpression="SET departureDateTime = :yesterday",
        ExpressionAttributeValues={":yesterday": {"S": yesterday}},
    )
    request, result = book(saga, flight)

    assert result.status == "FAILED"
    assert result.error == "NoSeatAvailable"
    assert seats_available(stack, flight) == flight.seat_capacity
    booking = get_item(stack, "BookingTable", {"id": request["bookingId"]})
    assert booking is not None
    assert booking["status"] == "CANCELLED"
    assert get_item(stack, "PaymentTable", {"bookingId": request["bookingId"]})["status"] == "VOIDED"  # type: ignore[index]
    assert "CollectPaymentFunction" not in saga.runner.invocations


def test_a_flight_not_in_the_catalog_records_nothing(saga: Saga, stack: MockStack) -> None:
    request = {"bookingId": str(uuid.uuid4()), "customerId": CUSTOMER_ID, "flightId": "SA999-2030-01-01"}
    saga.register_payment_method(request["bookingId"], "tok_visa", 100, "EUR")

    result = saga.run(request)

    assert result.error == "NoSeatAvailable"
    assert get_item(stack, "BookingTable", {"id": request["bookingId"]}) is None
    assert "ReserveBookingFunction" not in saga.runner.invocations


def test_failing_confirm_refunds_cancels_and_releases_the_seat(
    saga: Saga, stack: MockStack, flights: dict[str, Flight]
) -> None:
    flight = flights["SA101"]
    saga.runner.faults["ConfirmBookingFunction"] = always_fail("RuntimeError", "confirm exploded")

    request, result = book(saga, flight)

    assert result.status == "FAILED"
    assert result.error == "BookingCancelled"
    charge = get_item(stack, "PaymentTable", {"bookingId": request["bookingId"]})
    assert charge is not None
    assert charge["status"] == "REFUNDED"
    booking = get_item(stack, "BookingTable", {"id": request["bookingId"]})
    assert booking is not None
    assert booking["status"] == "CANCELLED"
    assert seats_available(stack, flight) == flight.seat_capacity
    assert notices_delivered_to_loyalty(saga) == []


@pytest.mark.parametrize(
    "step", ["ReserveBookingFunction", "CollectPaymentFunction", "ConfirmBookingFunction"]
)
def test_a_retried_step_creates_nothing_twice(
    saga: Saga, stack: MockStack, flights: dict[str, Flight], step: str
) -> None:
    """The step does its work, then Lambda reports a throttle: Step Functions retries the same input."""
    flight = flights["SA101"]
    saga.runner.faults[step] = service_error_after_success("TooManyRequestsException")

    _, result = book(saga, flight)

    assert result.status == "SUCCEEDED", (result.error, result.cause)
    assert len(saga.runner.invocations[step]) == 2
    bookings = embedded_client("dynamodb").scan(TableName=stack.physical_id("BookingTable"))["Items"]
    assert len(bookings) == 1
    charges = embedded_client("dynamodb").scan(TableName=stack.physical_id("PaymentTable"))["Items"]
    assert len(charges) == 1
    assert seats_available(stack, flight) == flight.seat_capacity - 1


def test_a_failed_compensation_parks_the_execution_in_the_dead_letter_queue(
    saga: Saga, stack: MockStack, flights: dict[str, Flight]
) -> None:
    flight = flights["SA101"]
    saga.runner.faults["CancelBookingFunction"] = always_fail("RuntimeError", "cancel exploded")

    request, result = book(saga, flight, token="tok_chargeDeclined")

    assert result.status == "FAILED"
    assert result.error == "BookingNeedsAttention"
    [parked] = booking_dead_letters(stack)
    assert parked["state"]["bookingId"] == request["bookingId"]
    assert parked["state"]["compensationError"]["Error"] == "RuntimeError"
    assert parked["executionId"].endswith(request["bookingId"])
    assert "tok_" not in json.dumps(parked)


def test_a_retried_seat_reservation_takes_one_seat(
    saga: Saga, stack: MockStack, flights: dict[str, Flight], monkeypatch: pytest.MonkeyPatch
) -> None:
    """DynamoDB applies the seat update, then the state machine sees a throttle and retries the step.

    The retry's condition fails (this booking already holds a seat); CheckSeatAlreadyHeld recognises
    that and the saga goes on with one seat taken, not two.
    """
    flight = flights["SA101"]
    original_update_item = DynamoDBBackend.update_item
    throttled: list[str] = []

    def apply_then_throttle(backend: DynamoDBBackend, table_name: str, *args: Any, **kwargs: Any) -> Any:
        result = original_update_item(backend, table_name, *args, **kwargs)
        if "seatsAvailable - :one" in (kwargs.get("update_expression") or "") and not throttled:
            throttled.append(table_name)
            raise DynamodbException(
                ERROR_TYPE_PREFIX + "ProvisionedThroughputExceededException", "injected throttle"
            )
        return result

    monkeypatch.setattr(DynamoDBBackend, "update_item", apply_then_throttle)

    request, result = book(saga, flight)

    assert throttled == [stack.physical_id("FlightTable")]
    assert result.status == "SUCCEEDED", (result.error, result.cause)
    states = result.entered_states()
    assert states.count("ReserveFlightSeat") == 1
    assert "CheckSeatAlreadyHeld" in states
    assert seats_available(stack, flight) == flight.seat_capacity - 1
    charge = get_item(stack, "PaymentTable", {"bookingId": request["bookingId"]})
    assert charge is not None
    assert charge["amount"] == flight.price


# ------------------------------------------------------------------ the booking id is the execution's name


def test_a_saga_started_with_another_customers_booking_id_changes_nothing_of_that_booking(
    saga: Saga, stack: MockStack, flights: dict[str, Flight]
) -> None:
    """Whoever may call StartExecution chooses the input, not a name already used: the saga refuses an
    input whose bookingId is not its own name, before any step runs."""
    flight = flights["SA101"]
    victim, confirmed = book(saga, flight)
    assert confirmed.status == "SUCCEEDED"
    before = {
        "booking": get_item(stack, "BookingTable", {"id": victim["bookingId"]}),
        "payment": get_item(stack, "PaymentTable", {"bookingId": victim["bookingId"]}),
        "seats": seats_available(stack, flight),
    }
    steps_before = {name: len(events) for name, events in saga.runner.invocations.items()}
    forged = {**victim, "customerId": "9e1d7c1a-3b5f-4d2e-8a6c-1f0e2d3c4b5a"}

    result = saga.run(forged, name=str(uuid.uuid4()))

    assert result.status == "FAILED"
    assert result.error == "BookingIdMismatch"
    assert result.entered_states() == ["ReadExecutionName", "CheckBookingId", "BookingIdMismatch"]
    assert {name: len(events) for name, events in saga.runner.invocations.items()} == steps_before
    assert before == {
        "booking": get_item(stack, "BookingTable", {"id": victim["bookingId"]}),
        "payment": get_item(stack, "PaymentTable", {"bookingId": victim["bookingId"]}),
        "seats": seats_available(stack, flight),
    }


@pytest.mark.parametrize("forged_id", [None, 42, ""], ids=["null", "a number", "empty"])
def test_a_booking_id_that_is_not_the_name_is_refused_whatever_its_type(
    saga: Saga, flights: dict[str, Flight], forged_id: object
) -> None:
    request = booking_request(flights["SA101"])

    result = saga.run({**request, "bookingId": forged_id}, name=request["bookingId"])

    assert result.error == "BookingIdMismatch"


def test_the_booking_id_is_the_executions_name_when_the_input_names_none(
    saga: Saga, stack: MockStack, flights: dict[str, Flight]
) -> None:
    """What processBooking sends: the customer and the flight; the name is the booking id."""
    flight = flights["SA101"]
    booking_id = str(uuid.uuid4())
    saga.register_payment_method(booking_id, "tok_visa", flight.price, flight.currency)

    result = saga.run({"customerId": CUSTOMER_ID, "flightId": flight.id}, name=booking_id)

    assert result.status == "SUCCEEDED", (result.error, result.cause)
    booking = get_item(stack, "BookingTable", {"id": booking_id})
    assert booking is not None
    assert (booking["status"], booking["customerId"]) == ("CONFIRMED", CUSTOMER_ID)


def test_fields_the_saga_does_not_take_never_reach_a_step(saga: Saga, flights: dict[str, Flight]) -> None:
    """Its state is rebuilt from the name, the customer and the flight: an input that smuggles in what a
    step would read later (a price, a payment, a confirmation) is ignored."""
    flight = flights["SA101"]

    smuggled = {
        "flight": {"price": 1, "currency": "EUR"},
        "payment": {"amount": 1, "currency": "EUR"},
        "confirmation": {"bookingReference": "FORGED"},
    }

    request = {**booking_request(flight), **smuggled}
    saga.register_payment_method(request["bookingId"], "tok_visa", flight.price, flight.currency)

    result = saga.run(request)

    assert result.status == "SUCCEEDED", (result.error, result.cause)
    assert result.output is not None
    assert result.output["amount"] == flight.price
    assert result.output["bookingReference"] != "FORGED"


# ------------------------------------------------------------------ the payment method


def test_without_a_registered_payment_method_nothing_is_charged_and_the_booking_is_cancelled(
    saga: Saga, stack: MockStack, flights: dict[str, Flight]
) -> None:
    flight = flights["SA101"]
    request = booking_request(flight)

    result = saga.run(request)

    assert result.error == "BookingCancelled"
    assert get_item(stack, "PaymentTable", {"bookingId": request["bookingId"]}) is None
    booking = get_item(stack, "BookingTable", {"id": request["bookingId"]})
    assert booking is not None
    assert booking["status"] == "CANCELLED"
    assert seats_available(stack, flight) == flight.seat_capacity


def test_a_registration_for_another_price_is_not_charged(
    saga: Saga, stack: MockStack, flights: dict[str, Flight]
) -> None:
    """The catalog price changed between processBooking and the saga: the customer agreed to the price
    registered, so nothing is charged and the booking is cancelled."""
    flight = flights["SA101"]
    request = booking_request(flight)
    saga.register_payment_method(request["bookingId"], "tok_visa", flight.price - 100, flight.currency)

    result = saga.run(request)

    assert result.error == "BookingCancelled"
    payment = get_item(stack, "PaymentTable", {"bookingId": request["bookingId"]})
    assert payment is not None
    assert (payment["status"], "paymentMethod" in payment) == ("VOIDED", False)


def test_a_charge_that_lands_after_the_compensation_is_refused(
    saga: Saga, stack: MockStack, flights: dict[str, Flight]
) -> None:
    """CollectPayment reads the registration and sends its capture, then its worker dies: the write is
    held while the saga compensates, and lands only after the saga has ended."""
    flight = flights["SA101"]
    client = embedded_client("dynamodb")
    ledger = PaymentLedger(client, stack.physical_id("PaymentTable"))
    held: list[Payment] = []

    def capture_sent_then_worker_killed(event: dict[str, Any], _attempt: int) -> FaultAction:
        registered = ledger.get(event["bookingId"])
        assert registered is not None
        held.append(settle(registered, datetime.now(UTC)))  # the write CollectPayment sends
        return FaultAction(run_handler_first=False, error_type="Sandbox.Timedout", message="worker killed")

    saga.runner.faults["CollectPaymentFunction"] = capture_sent_then_worker_killed
    request, result = book(saga, flight)
    assert result.error == "BookingCancelled", (result.error, result.cause)
    assert [payment.status for payment in held] == [PaymentStatus.CAPTURED]

    # The held capture lands: its condition (a REGISTERED payment) no longer holds.
    landed = ledger.settle(held[0])
    # And a CollectPayment invoked late, say by a replay, finds nothing to charge.
    del saga.runner.faults["CollectPaymentFunction"]
    with pytest.raises(PaymentMethodNotRegisteredError):
        saga.runner.call("CollectPaymentFunction", saga.runner.invocations["CollectPaymentFunction"][0])

    payment = get_item(stack, "PaymentTable", {"bookingId": request["bookingId"]})
    assert payment is not None
    assert landed.status is PaymentStatus.VOIDED
    assert payment["status"] == "VOIDED"
    assert "chargeId" not in payment
    assert "paymentMethod" not in payment
    booking = get_item(stack, "BookingTable", {"id": request["bookingId"]})
    assert booking is not None
    assert booking["status"] == "CANCELLED"
    assert seats_available(stack, flight) == flight.seat_capacity
