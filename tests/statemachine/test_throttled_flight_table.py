"""The flight table refuses every write for a whole execution: the booking never got a seat.

DynamoDB answers ProvisionedThroughputExceededException to each seat update (the saga's retries
included) and to every other write on the flight table. The saga must give the booking up as a
customer's outcome: recorded CANCELLED with a reason its customer reads, nothing charged, and nothing
parked for an operator, since there is no seat to give back.
"""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from moto.dynamodb.exceptions import ERROR_TYPE_PREFIX, DynamodbException
from moto.dynamodb.models import DynamoDBBackend

from tests.statemachine.test_booking_saga import book, booking_dead_letters, seats_available
from tests.support.fixtures import get_item
from tests.support.invariants import assert_consistent, read_snapshot
from tests.support.saga import Saga
from tests.support.stack import REGION, MockStack
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
    refused: list[str] = []

    def throttle_flight_writes(backend: DynamoDBBackend, table_name: str, *args: Any, **kwargs: Any) -> Any:
        if table_name == flight_table:
            refused.append(kwargs.get("update_expression") or "")
            raise DynamodbException(
                ERROR_TYPE_PREFIX + "ProvisionedThroughputExceededException", "injected throttle"
            )
        return original_update_item(backend, table_name, *args, **kwargs)

    monkeypatch.setattr(DynamoDBBackend, "update_item", throttle_flight_writes)

    request, result = book(saga, flight)

    # The seat update was tried, and retried, and refused each time.
    assert len([expression for expression in refused if "seatsAvailable - :one" in expression]) > 1
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
    outputs = {output: stack.physical_id(logical_id) for output, logical_id in STACK_OUTPUTS.items()}
    dynamodb, stepfunctions = (
        boto3.client(service, region_name=REGION) for service in ("dynamodb", "stepfunctions")
    )
    assert_consistent(read_snapshot(dynamodb, stepfunctions, outputs))
