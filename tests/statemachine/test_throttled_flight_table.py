"""The flight table refuses the seat update for a whole execution: did the booking get a seat?

DynamoDB throttles each seat update, the saga's retries included. A throttled write changed nothing,
but an earlier attempt whose answer was lost may have taken the seat, so the saga reads the flight's
seat holders (ReadSeatHolders) and decides from what it finds:

* nobody holds a seat, or others do but not this booking: the booking is given up as a customer's
  outcome - recorded CANCELLED with a reason its customer reads, nothing charged, nothing parked for an
  operator (there is no seat to give back), and no other booking's seat touched;
* this booking holds one (the first attempt was written, its answer a 500): the usual compensation
  gives the seat back, and records the booking (the saga failed before creating it) CANCELLED with
  its reason, so that its customer reads the outcome.
"""

from __future__ import annotations

from typing import Any

import pytest
from moto.dynamodb.exceptions import ERROR_TYPE_PREFIX, DynamodbException
from moto.dynamodb.models import DynamoDBBackend

from tests.statemachine.test_booking_saga import book, booking_dead_letters, seats_available
from tests.support.fixtures import get_item
from tests.support.invariants import Snapshot, assert_consistent, read_snapshot
from tests.support.saga import Saga
from tests.support.stack import MockStack, embedded_client
from tests.support.template import Flight

pytestmark = pytest.mark.whole_stack

STACK_OUTPUTS = {
    "FlightTableName": "FlightTable",
    "BookingTableName": "BookingTable",
    "PaymentTableName": "PaymentTable",
    "LoyaltyTableName": "LoyaltyTable",
    "BookingStateMachineArn": "BookingStateMachine",
}
"""The outputs the invariant check reads, by the logical id each one names."""


def test_a_flight_table_throttled_throughout_cancels_the_booking_without_parking_it(
    saga: Saga, stack: MockStack, flights: dict[str, Flight], monkeypatch: pytest.MonkeyPatch
) -> None:
    flight = flights["SA101"]
    flight_table = stack.physical_id("FlightTable")
    original_update_item = DynamoDBBackend.update_item
    refused_seat_updates: list[str] = []

    def throttle_flight_writes(backend: DynamoDBBackend, table_name: str, *args: Any, **kwargs: Any) -> Any:
        if table_name == flight_table:
            if is_seat_update(kwargs):
                refused_seat_updates.append(table_name)
            raise throttled()
        return original_update_item(backend, table_name, *args, **kwargs)

    monkeypatch.setattr(DynamoDBBackend, "update_item", throttle_flight_writes)

    request, result = book(saga, flight)

    # The seat update was tried, and retried, and refused each time.
    assert len(refused_seat_updates) > 1
    # Each retry after the wait the definition declares (IntervalSeconds 1, BackoffRate 2), not slept.
    assert saga.retry_waits == [1, 2, 4]
    assert result.status == "FAILED"
    assert result.error == "SeatNotReserved", (result.error, result.cause)
    booking = get_item(stack, "BookingTable", {"id": request["bookingId"]})
    assert booking is not None
    assert (booking["status"], booking["cancellationReason"]) == ("CANCELLED", "BOOKING_FAILED")
    payment = get_item(stack, "PaymentTable", {"bookingId": request["bookingId"]})
    assert payment is not None
    assert payment["status"] == "VOIDED"
    assert "chargeId" not in payment
    assert "CollectPaymentFunction" not in saga.runner.invocations
    assert booking_dead_letters(stack) == []
    assert seats_available(stack, flight) == flight.seat_capacity
    monkeypatch.undo()
    assert_consistent(stack_snapshot(stack))


def test_a_seat_taken_by_an_attempt_whose_answer_was_lost_is_given_back_by_the_compensation(
    saga: Saga, stack: MockStack, flights: dict[str, Flight], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first seat update is written, but DynamoDB answers 500 (a write that may or may not have
    happened); every retry is throttled. ReadSeatHolders finds the booking among the seat's holders, so
    the saga gives the seat back as any compensation does: nothing lost, nothing held."""
    flight = flights["SA101"]
    flight_table = stack.physical_id("FlightTable")
    original_update_item = DynamoDBBackend.update_item
    seat_updates: list[str] = []

    def lose_the_first_answer_then_throttle(
        backend: DynamoDBBackend, table_name: str, *args: Any, **kwargs: Any
    ) -> Any:
        if not (table_name == flight_table and is_seat_update(kwargs)):
            return original_update_item(backend, table_name, *args, **kwargs)
        seat_updates.append(table_name)
        if len(seat_updates) == 1:
            original_update_item(backend, table_name, *args, **kwargs)
            # As the saga's Retry names DynamoDB's 500 (Step Functions names the SDK's exception class).
            raise DynamodbException(ERROR_TYPE_PREFIX + "InternalServerErrorException", "injected: lost")
        raise throttled()

    monkeypatch.setattr(DynamoDBBackend, "update_item", lose_the_first_answer_then_throttle)

    request, result = book(saga, flight)

    assert len(seat_updates) > 1
    assert (result.status, result.error) == ("FAILED", "BookingCancelled"), (result.error, result.cause)
    entered = result.entered_states()
    assert entered.index("ReadSeatHolders") < entered.index("WasSeatTaken") < entered.index("RefundPayment")
    assert entered.index("RecordCancelledBooking") < entered.index("ReleaseFlightSeat")
    assert "CollectPaymentFunction" not in saga.runner.invocations
    # The customer reads the outcome, though the saga failed before it would have created the booking.
    booking = get_item(stack, "BookingTable", {"id": request["bookingId"]})
    assert booking is not None
    assert (booking["status"], booking["cancellationReason"]) == ("CANCELLED", "BOOKING_FAILED")
    assert booking["amount"] == flight.price
    payment = get_item(stack, "PaymentTable", {"bookingId": request["bookingId"]})
    assert payment is not None
    assert "chargeId" not in payment
    held = get_item(stack, "FlightTable", {"id": flight.id})
    assert held is not None
    assert request["bookingId"] not in held.get("reservedBookings", set())
    assert seats_available(stack, flight) == flight.seat_capacity
    assert booking_dead_letters(stack) == []
    monkeypatch.undo()
    assert_consistent(stack_snapshot(stack))


def test_a_throttled_booking_does_not_take_back_a_seat_another_booking_holds(
    saga: Saga, stack: MockStack, flights: dict[str, Flight], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another customer's booking holds a seat on the flight; this booking's seat update is throttled
    throughout. The seat holders are read, this booking is not among them: it ends without a seat, and
    the other booking's seat stays taken."""
    flight = flights["SA101"]
    first, first_result = book(saga, flight)
    assert first_result.status == "SUCCEEDED", (first_result.error, first_result.cause)
    flight_table = stack.physical_id("FlightTable")
    original_update_item = DynamoDBBackend.update_item

    def throttle_seat_updates(backend: DynamoDBBackend, table_name: str, *args: Any, **kwargs: Any) -> Any:
        if table_name == flight_table and is_seat_update(kwargs):
            raise throttled()
        return original_update_item(backend, table_name, *args, **kwargs)

    monkeypatch.setattr(DynamoDBBackend, "update_item", throttle_seat_updates)

    request, result = book(saga, flight)

    assert result.error == "SeatNotReserved", (result.error, result.cause)
    assert "WasSeatTaken" in result.entered_states()
    booking = get_item(stack, "BookingTable", {"id": request["bookingId"]})
    assert booking is not None
    assert (booking["status"], booking["cancellationReason"]) == ("CANCELLED", "BOOKING_FAILED")
    held = get_item(stack, "FlightTable", {"id": flight.id})
    assert held is not None
    assert held["reservedBookings"] == {first["bookingId"]}
    assert seats_available(stack, flight) == flight.seat_capacity - 1
    assert booking_dead_letters(stack) == []
    monkeypatch.undo()
    assert_consistent(stack_snapshot(stack))


def throttled() -> DynamodbException:
    return DynamodbException(ERROR_TYPE_PREFIX + "ProvisionedThroughputExceededException", "injected")


def is_seat_update(update_item_arguments: dict[str, Any]) -> bool:
    """ReserveFlightSeat's update (the saga's only write that takes a seat)."""
    return "seatsAvailable - :one" in (update_item_arguments.get("update_expression") or "")


def stack_snapshot(stack: MockStack) -> Snapshot:
    """The invariant check's view of the embedded stack, read as its owner."""
    outputs = {output: stack.physical_id(logical_id) for output, logical_id in STACK_OUTPUTS.items()}
    dynamodb, stepfunctions = (embedded_client(service) for service in ("dynamodb", "stepfunctions"))
    return read_snapshot(dynamodb, stepfunctions, outputs)
