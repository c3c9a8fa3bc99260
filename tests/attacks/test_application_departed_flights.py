"""A flight that has left can no longer be sold: neither through GraphQL nor by starting the saga
directly. Nothing is reserved, charged, confirmed or credited."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from tests.support.local_cloud import BOOK_MUTATION, GraphQLError, LocalCloud, book_variables
from tests.support.local_stack import (
    departed_flight,
    executions,
    finished_execution,
    gql,
    item,
    new_customer,
)

pytestmark = pytest.mark.local_cloud


def test_a_customer_cannot_book_yesterdays_flight(cloud: LocalCloud) -> None:
    flight_id = departed_flight(cloud, datetime.now(UTC) - timedelta(days=1))
    customer = new_customer(cloud)
    started = executions(cloud)

    with pytest.raises(GraphQLError, match="FlightDeparted"):
        gql(cloud, customer, BOOK_MUTATION, book_variables(flight_id, "tok_visa"))

    assert executions(cloud) == started
    assert gql(cloud, customer, "{ listBookings { items { id } } }")["listBookings"]["items"] == []
    flight = item(cloud, "FlightTable", {"id": flight_id})
    assert flight is not None
    assert flight["seatsAvailable"] == 10
    assert "reservedBookings" not in flight


def test_a_flight_that_left_a_minute_ago_is_gone_too(cloud: LocalCloud) -> None:
    flight_id = departed_flight(cloud, datetime.now(UTC) - timedelta(minutes=1))
    customer = new_customer(cloud)
    started = executions(cloud)

    with pytest.raises(GraphQLError, match="FlightDeparted"):
        gql(cloud, customer, BOOK_MUTATION, book_variables(flight_id, "tok_visa"))

    assert executions(cloud) == started


def test_starting_the_saga_directly_cannot_sell_a_seat_on_a_departed_flight(cloud: LocalCloud) -> None:
    """The booking data source's role is the one principal that may start the saga; whoever holds it
    (or any future caller of StartExecution) meets the saga's own check, not only the resolver's."""
    assert cloud.stack is not None
    flight_id = departed_flight(cloud, datetime.now(UTC) - timedelta(days=1))
    booking_id, customer_id = str(uuid.uuid4()), str(uuid.uuid4())
    saga = cloud.client("stepfunctions", cloud.role_credentials("BookingDataSourceRole"))

    execution = saga.start_execution(
        stateMachineArn=cloud.stack.outputs["BookingStateMachineArn"],
        name=booking_id,
        input=json.dumps(
            {
                "bookingId": booking_id,
                "customerId": customer_id,
                "flightId": flight_id,
            }
        ),
    )["executionArn"]
    ended = finished_execution(cloud, execution)

    assert ended["status"] == "FAILED"
    flight = item(cloud, "FlightTable", {"id": flight_id})
    assert flight is not None
    assert flight["seatsAvailable"] == 10
    assert "reservedBookings" not in flight
    # No seat and nothing charged: the booking is only recorded as given up, for its customer to read.
    booking = item(cloud, "BookingTable", {"id": booking_id})
    assert booking is None or (booking["status"], booking["cancellationReason"]) == ("CANCELLED", "SOLD_OUT")
    assert item(cloud, "PaymentTable", {"bookingId": booking_id}) is None
    assert item(cloud, "LoyaltyTable", {"customerId": customer_id, "sk": f"BOOKING#{booking_id}"}) is None
