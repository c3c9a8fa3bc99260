"""Whoever may start the booking saga (the booking data source's role today; an operator replaying a
parked execution, or a second caller, tomorrow) chooses its input. The saga takes its booking id from
its execution's name, which starts one execution only: an input naming another customer's booking is
refused before any step runs, and that booking - its seat, its charge, its status - is left as it was."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.support.local_cloud import BOOK_MUTATION, BOOKING_QUERY, LocalCloud, book_variables, wait_for
from tests.support.local_stack import finished_execution, gql, item, new_customer
from tests.support.template import sample_flights, seed

pytestmark = pytest.mark.local_cloud


def victims_booking(cloud: LocalCloud) -> tuple[str, str, str]:
    """A customer's confirmed booking: (booking id, customer id, flight id)."""
    assert cloud.stack is not None
    flight = sample_flights(datetime.now(UTC).date())[0]
    seed(cloud.client("dynamodb"), cloud.stack.outputs["FlightTableName"], [flight])
    victim = new_customer(cloud)
    booking_id = gql(cloud, victim, BOOK_MUTATION, book_variables(flight.id, "tok_visa"))["processBooking"][
        "id"
    ]
    confirmed = wait_for(
        lambda: (
            (gql(cloud, victim, BOOKING_QUERY, {"id": booking_id})["getBooking"] or {}).get("status")
            == "CONFIRMED"
        ),
        60,
    )
    assert confirmed, f"booking {booking_id} was never confirmed"
    return booking_id, victim.sub, flight.id


def state_of(cloud: LocalCloud, booking_id: str, flight_id: str) -> dict[str, Any]:
    return {
        "booking": item(cloud, "BookingTable", {"id": booking_id}),
        "payment": item(cloud, "PaymentTable", {"bookingId": booking_id}),
        "flight": item(cloud, "FlightTable", {"id": flight_id}),
    }


@pytest.mark.parametrize("customer", ["the victim", "another customer"])
def test_a_saga_started_with_another_customers_booking_id_changes_nothing_of_that_booking(
    cloud: LocalCloud, customer: str
) -> None:
    assert cloud.stack is not None
    booking_id, victim_id, flight_id = victims_booking(cloud)
    before = state_of(cloud, booking_id, flight_id)
    saga = cloud.client("stepfunctions", cloud.role_credentials("BookingDataSourceRole"))
    forged = {
        "bookingId": booking_id,
        "customerId": victim_id if customer == "the victim" else str(uuid.uuid4()),
        "flightId": flight_id,
    }

    execution = saga.start_execution(
        stateMachineArn=cloud.stack.outputs["BookingStateMachineArn"],
        name=str(uuid.uuid4()),
        input=json.dumps(forged),
    )["executionArn"]
    ended = finished_execution(cloud, execution)

    assert (ended["status"], ended["error"]) == ("FAILED", "BookingIdMismatch")
    history = cloud.client("stepfunctions").get_execution_history(executionArn=execution)["events"]
    assert not [event for event in history if event["type"].startswith(("TaskScheduled", "LambdaFunction"))]
    assert state_of(cloud, booking_id, flight_id) == before
    assert before["booking"] is not None
    assert before["booking"]["status"] == "CONFIRMED"
    assert before["payment"] is not None
    assert before["payment"]["status"] == "CAPTURED"


def test_the_name_of_a_used_booking_id_cannot_start_a_second_saga(cloud: LocalCloud) -> None:
    assert cloud.stack is not None
    booking_id, _, flight_id = victims_booking(cloud)
    before = state_of(cloud, booking_id, flight_id)
    saga = cloud.client("stepfunctions", cloud.role_credentials("BookingDataSourceRole"))

    with pytest.raises(saga.exceptions.ExecutionAlreadyExists):
        saga.start_execution(
            stateMachineArn=cloud.stack.outputs["BookingStateMachineArn"],
            name=booking_id,
            input=json.dumps({"customerId": str(uuid.uuid4()), "flightId": flight_id}),
        )

    assert state_of(cloud, booking_id, flight_id) == before
