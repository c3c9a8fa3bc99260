"""A purchase books once, however often it is sent: the same processBooking (same request id, same
input) sent again, after the first answer or at the same moment, answers the same booking and makes one
booking, one charge, one seat and one credit. Another purchase under a used request id is refused.
And every purchase has an outcome its customer can read, a lost race for the last seat included."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.support.invariants import LOYALTY_TOTAL_KEY, assert_system_consistent, snapshot
from tests.support.local_cloud import (
    BOOK_MUTATION,
    BOOKING_QUERY,
    Customer,
    GraphQLError,
    LocalCloud,
    book_variables,
    graphql,
    wait_for,
)
from tests.support.template import Flight, sample_flights, seed

pytestmark = pytest.mark.local_cloud

ATTEMPTS_AT_ONCE = 4
OUTCOME_QUERY = "query($id: ID!) { getBooking(id: $id) { id status cancellationReason } }"


@pytest.fixture(scope="module")
def flight(cloud: LocalCloud) -> Flight:
    assert cloud.stack is not None
    catalog = sample_flights(datetime.now(UTC).date())
    seed(cloud.client("dynamodb"), cloud.stack.outputs["FlightTableName"], catalog)
    return catalog[0]


def new_customer(cloud: LocalCloud) -> Customer:
    return cloud.create_customer(f"twice-{uuid.uuid4().hex[:10]}@example.com")


def book(cloud: LocalCloud, customer: Customer, variables: dict[str, str]) -> str:
    assert cloud.endpoints.graphql is not None
    booking_id: str = graphql(cloud.endpoints.graphql, customer.id_token, BOOK_MUTATION, variables)[
        "processBooking"
    ]["id"]
    return booking_id


def confirmed(cloud: LocalCloud, customer: Customer, booking_id: str) -> dict[str, Any]:
    assert cloud.endpoints.graphql is not None
    url = cloud.endpoints.graphql

    def status() -> dict[str, Any] | None:
        booking: dict[str, Any] | None = graphql(url, customer.id_token, BOOKING_QUERY, {"id": booking_id})[
            "getBooking"
        ]
        return booking if booking and booking["status"] == "CONFIRMED" else None

    booking: dict[str, Any] | None = wait_for(status, 60)
    assert booking is not None, f"booking {booking_id} was never confirmed"
    return booking


def seats(cloud: LocalCloud, flight: Flight) -> int:
    return int(next(item for item in snapshot(cloud).flights if item["id"] == flight.id)["seatsAvailable"])


def assert_booked_once(cloud: LocalCloud, customer: Customer, booking_id: str) -> None:
    """One booking, one captured charge, one execution and one credit for the customer: no more."""
    assert_system_consistent(cloud)
    now = snapshot(cloud)
    bookings = [booking for booking in now.bookings if booking["customerId"] == customer.sub]
    assert [(booking["id"], booking["status"]) for booking in bookings] == [(booking_id, "CONFIRMED")]
    assert [charge["status"] for charge in now.charges if charge["bookingId"] == booking_id] == ["CAPTURED"]
    assert booking_id in now.executions
    mine = [item for item in now.loyalty if item["customerId"] == customer.sub]
    credits = [item for item in mine if item["sk"] != LOYALTY_TOTAL_KEY]
    assert len(credits) == 1, credits


def test_the_same_request_sent_again_books_once(cloud: LocalCloud, flight: Flight) -> None:
    customer = new_customer(cloud)
    seats_before = seats(cloud, flight)
    variables = book_variables(flight.id, "tok_visa")

    first = book(cloud, customer, variables)
    again_while_running = book(cloud, customer, variables)
    confirmed(cloud, customer, first)
    assert_system_consistent(cloud)  # waits for the execution to end: a start of its name is refused now
    assert snapshot(cloud).executions[first] == "SUCCEEDED"
    again_after_the_end = book(cloud, customer, variables)

    assert first == again_while_running == again_after_the_end
    assert_booked_once(cloud, customer, first)
    assert seats(cloud, flight) == seats_before - 1


def test_the_same_request_sent_at_once_books_once(cloud: LocalCloud, flight: Flight) -> None:
    customer = new_customer(cloud)
    seats_before = seats(cloud, flight)
    variables = book_variables(flight.id, "tok_visa")

    with ThreadPoolExecutor(ATTEMPTS_AT_ONCE) as pool:
        answers = set(pool.map(lambda _: book(cloud, customer, variables), range(ATTEMPTS_AT_ONCE)))

    [booking_id] = answers
    confirmed(cloud, customer, booking_id)
    assert_booked_once(cloud, customer, booking_id)
    assert seats(cloud, flight) == seats_before - 1


@pytest.mark.parametrize("change", [{"token": "tok_mastercard"}, {"flight": "other"}])
def test_another_purchase_under_a_used_request_id_is_refused_and_changes_nothing(
    cloud: LocalCloud, flight: Flight, change: dict[str, str]
) -> None:
    customer = new_customer(cloud)
    variables = book_variables(flight.id, "tok_visa")
    booking_id = book(cloud, customer, variables)
    confirmed(cloud, customer, booking_id)
    assert_system_consistent(cloud)
    before = snapshot(cloud)
    other_flight = next(item["id"] for item in before.flights if item["id"] != flight.id)
    changed = {**variables, **change} if "token" in change else {**variables, "flight": other_flight}

    with pytest.raises(GraphQLError, match="BookingRequestConflict"):
        book(cloud, customer, changed)

    assert snapshot(cloud) == before


def test_the_same_request_id_of_another_customer_is_another_booking(
    cloud: LocalCloud, flight: Flight
) -> None:
    alice, bob = new_customer(cloud), new_customer(cloud)
    request_id = str(uuid.uuid4())

    alices = book(cloud, alice, book_variables(flight.id, "tok_visa", request_id))
    bobs = book(cloud, bob, book_variables(flight.id, "tok_visa", request_id))

    assert alices != bobs
    confirmed(cloud, alice, alices)
    confirmed(cloud, bob, bobs)
    assert_system_consistent(cloud)


def test_the_booking_that_loses_the_last_seat_reads_sold_out_to_its_owner_only(cloud: LocalCloud) -> None:
    assert cloud.stack is not None
    assert cloud.endpoints.graphql is not None
    url = cloud.endpoints.graphql
    [last_seat] = [flight for flight in sample_flights(datetime.now(UTC).date()) if flight.seat_capacity == 2]
    seed(cloud.client("dynamodb"), cloud.stack.outputs["FlightTableName"], [last_seat])
    first = new_customer(cloud)
    confirmed(cloud, first, book(cloud, first, book_variables(last_seat.id, "tok_visa")))
    racers = [new_customer(cloud) for _ in range(2)]

    with ThreadPoolExecutor(len(racers)) as pool:
        booked = list(
            pool.map(lambda racer: book(cloud, racer, book_variables(last_seat.id, "tok_visa")), racers)
        )
    assert_system_consistent(cloud)

    outcomes = [
        graphql(url, racer.id_token, OUTCOME_QUERY, {"id": booking_id})["getBooking"]
        for racer, booking_id in zip(racers, booked, strict=True)
    ]
    assert sorted((outcome["status"], outcome["cancellationReason"]) for outcome in outcomes) == [
        ("CANCELLED", "SOLD_OUT"),
        ("CONFIRMED", None),
    ]
    [(loser, lost)] = [
        (racer, booking_id)
        for racer, booking_id, outcome in zip(racers, booked, outcomes, strict=True)
        if outcome["status"] == "CANCELLED"
    ]
    assert seats(cloud, last_seat) == 0
    assert [charge["status"] for charge in snapshot(cloud).charges if charge["bookingId"] == lost] == [
        "VOIDED"
    ]
    # Its owner reads it; anyone else reads nothing, as for an unknown id.
    others = [customer for customer in (first, *racers) if customer is not loser]
    assert all(
        graphql(url, other.id_token, OUTCOME_QUERY, {"id": lost})["getBooking"] is None for other in others
    )
