"""The booking and loyalty flows through the local GraphQL API, as a customer would use them."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.support.local_cloud import (
    BOOK_MUTATION,
    BOOKING_QUERY,
    LOYALTY_QUERY,
    SEARCH_QUERY,
    Customer,
    GraphQLError,
    LocalCloud,
    book_variables,
    graphql,
    wait_for,
)
from tests.support.local_stack import finished_execution
from tests.support.template import Flight, sample_flights, seed

pytestmark = [pytest.mark.local_cloud, pytest.mark.usefixtures("consistent_at_the_end")]


@pytest.fixture(scope="module")
def flights(cloud: LocalCloud) -> dict[str, Flight]:
    assert cloud.stack is not None
    catalog = sample_flights(datetime.now(UTC).date())
    seed(cloud.client("dynamodb"), cloud.stack.outputs["FlightTableName"], catalog)
    return {flight.flight_number: flight for flight in catalog}


def new_customer(cloud: LocalCloud, *, admin: bool = False) -> Customer:
    return cloud.create_customer(f"e2e-{uuid.uuid4().hex[:10]}@example.com", admin=admin)


def gql(
    cloud: LocalCloud, customer: Customer, query: str, variables: dict[str, Any] | None = None
) -> dict[str, Any]:
    assert cloud.endpoints.graphql is not None
    return graphql(cloud.endpoints.graphql, customer.id_token, query, variables)


def book(cloud: LocalCloud, customer: Customer, flight: Flight, token: str, settled: str) -> dict[str, Any]:
    booking_id = gql(cloud, customer, BOOK_MUTATION, book_variables(flight.id, token))["processBooking"]["id"]

    def status() -> dict[str, Any] | None:
        booking: dict[str, Any] | None = gql(cloud, customer, BOOKING_QUERY, {"id": booking_id})["getBooking"]
        return booking if booking and booking["status"] == settled else None

    booking: dict[str, Any] | None = wait_for(status, 60)
    assert booking is not None, f"booking {booking_id} never became {settled}"
    # The status is written mid-saga (a cancelled booking's seat is released after it): wait for the end.
    assert cloud.stack is not None
    machine = cloud.stack.outputs["BookingStateMachineArn"]
    finished_execution(cloud, f"{machine.replace(':stateMachine:', ':execution:')}:{booking_id}")
    return booking


def seats(cloud: LocalCloud, flight: Flight) -> int:
    assert cloud.stack is not None
    item = cloud.client("dynamodb").get_item(
        TableName=cloud.stack.outputs["FlightTableName"], Key={"id": {"S": flight.id}}
    )["Item"]
    return int(item["seatsAvailable"]["N"])


def points(cloud: LocalCloud, customer: Customer, expected: int) -> int:
    value: int = (
        wait_for(
            lambda: (p := gql(cloud, customer, LOYALTY_QUERY)["getLoyalty"]["points"]) == expected and p, 30
        )
        or gql(cloud, customer, LOYALTY_QUERY)["getLoyalty"]["points"]
    )
    return value


def test_search_returns_the_catalog_without_internal_fields(
    cloud: LocalCloud, flights: dict[str, Flight]
) -> None:
    customer = new_customer(cloud)
    flight = flights["SA101"]
    found = gql(
        cloud,
        customer,
        SEARCH_QUERY,
        {
            "from": flight.departure_airport_code,
            "to": flight.arrival_airport_code,
            "on": flight.departure_date,
        },
    )["searchFlights"]
    assert {
        "id": flight.id,
        "flightNumber": "SA101",
        "price": flight.price,
        "currency": "EUR",
        "seatsAvailable": seats(cloud, flight),
    } in found
    with pytest.raises(GraphQLError, match="reservedBookings"):
        gql(cloud, customer, "query($id: ID!) { getFlight(id: $id) { reservedBookings } }", {"id": flight.id})


def test_a_confirmed_booking_takes_a_seat_and_earns_a_hundred_points_a_euro(
    cloud: LocalCloud, flights: dict[str, Flight]
) -> None:
    customer = new_customer(cloud)
    flight = flights["SA103"]
    before = seats(cloud, flight)

    booking = book(cloud, customer, flight, "tok_visa", "CONFIRMED")

    assert booking["amount"] == flight.price
    assert booking["bookingReference"]
    assert seats(cloud, flight) == before - 1
    assert points(cloud, customer, flight.price) == flight.price
    listed = gql(cloud, customer, "{ listBookings { items { id status } } }")["listBookings"]["items"]
    assert listed == [{"id": booking["id"], "status": "CONFIRMED"}]


def test_a_declined_card_is_compensated_and_earns_nothing(
    cloud: LocalCloud, flights: dict[str, Flight]
) -> None:
    customer = new_customer(cloud)
    flight = flights["SA102"]
    before = seats(cloud, flight)

    book(cloud, customer, flight, "tok_chargeDeclined", "CANCELLED")

    assert seats(cloud, flight) == before
    time.sleep(2)
    assert gql(cloud, customer, LOYALTY_QUERY)["getLoyalty"]["points"] == 0


def test_customers_see_only_their_own_bookings_and_loyalty(
    cloud: LocalCloud, flights: dict[str, Flight]
) -> None:
    alice, bob, staff = new_customer(cloud), new_customer(cloud), new_customer(cloud, admin=True)
    booking = book(cloud, alice, flights["SA201"], "tok_visa", "CONFIRMED")
    earned = flights["SA201"].price * 115 // 100  # a GBP fare: 115 points per pound
    points(cloud, alice, earned)

    assert gql(cloud, bob, BOOKING_QUERY, {"id": booking["id"]})["getBooking"] is None
    assert gql(cloud, bob, "{ listBookings { items { id } } }")["listBookings"]["items"] == []
    with pytest.raises(GraphQLError, match="Unauthorized"):
        gql(cloud, bob, "query($c: ID) { getLoyalty(customerId: $c) { points } }", {"c": alice.sub})
    read_by_staff = gql(
        cloud, staff, "query($c: ID) { getLoyalty(customerId: $c) { points } }", {"c": alice.sub}
    )
    assert read_by_staff["getLoyalty"]["points"] == earned


def test_an_unknown_flight_or_token_starts_nothing(cloud: LocalCloud, flights: dict[str, Flight]) -> None:
    customer = new_customer(cloud)
    with pytest.raises(GraphQLError, match="NotFound"):
        gql(cloud, customer, BOOK_MUTATION, book_variables("SA999-2030-01-01", "tok_visa"))
    with pytest.raises(GraphQLError, match="BadRequest"):
        gql(cloud, customer, BOOK_MUTATION, book_variables(flights["SA101"].id, "4242424242424242"))
    assert gql(cloud, customer, "{ listBookings { items { id } } }")["listBookings"]["items"] == []


def test_the_last_seat_goes_once(cloud: LocalCloud, flights: dict[str, Flight]) -> None:
    flight = flights["SA301"]  # two seats
    customer = new_customer(cloud)
    for _ in range(seats(cloud, flight)):
        book(cloud, customer, flight, "tok_visa", "CONFIRMED")
    # The booking that found no seat is recorded, cancelled, for its customer to read.
    late = book(cloud, customer, flight, "tok_visa", "CANCELLED")
    reason = gql(
        cloud, customer, "query($id: ID!) { getBooking(id: $id) { cancellationReason } }", {"id": late["id"]}
    )

    assert reason["getBooking"] == {"cancellationReason": "SOLD_OUT"}
    assert seats(cloud, flight) == 0
