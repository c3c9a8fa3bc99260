"""One request, a hundred sagas: a GraphQL request books at most once, and a customer has at most five
bookings in flight. Each refusal starts nothing: no execution, no booking, no seat taken."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from tests.support.local_cloud import GraphQLError, LocalCloud
from tests.support.local_stack import executions, gql, item, new_customer, post_graphql, put_item
from tests.support.template import sample_flights, seed

pytestmark = pytest.mark.local_cloud

BOOKINGS_IN_FLIGHT_CAP = 5


@pytest.fixture(scope="module")
def flight_id(cloud: LocalCloud) -> str:
    assert cloud.stack is not None
    flight = sample_flights(datetime.now(UTC).date())[0]
    seed(cloud.client("dynamodb"), cloud.stack.outputs["FlightTableName"], [flight])
    return flight.id


def aliased_bookings(count: int) -> str:
    fields = " ".join(
        f'b{index}: processBooking(input: {{requestId: "{uuid.uuid4()}", flightId: $flight,'
        ' paymentToken: "tok_visa"}) { id }'
        for index in range(count)
    )
    return f"mutation($flight: ID!) {{ {fields} }}"


def seats_left(cloud: LocalCloud, flight_id: str) -> int:
    flight = item(cloud, "FlightTable", {"id": flight_id})
    assert flight is not None
    return int(flight["seatsAvailable"])


@pytest.mark.parametrize("count", [2, 100])
def test_one_request_with_aliased_bookings_starts_nothing(
    cloud: LocalCloud, flight_id: str, count: int
) -> None:
    customer = new_customer(cloud)
    started, seats = executions(cloud), seats_left(cloud, flight_id)
    body = json.dumps({"query": aliased_bookings(count), "variables": {"flight": flight_id}})

    response = post_graphql(cloud, customer, body)

    assert response.status_code == 400, response.text
    [error] = response.json()["errors"]
    assert error["errorType"] == "OneBookingPerRequest"
    assert executions(cloud) == started
    assert seats_left(cloud, flight_id) == seats
    assert gql(cloud, customer, "{ listBookings { items { id } } }")["listBookings"]["items"] == []


def test_a_second_booking_hidden_in_a_fragment_is_seen(cloud: LocalCloud, flight_id: str) -> None:
    customer = new_customer(cloud)
    started = executions(cloud)
    query = (
        "fragment More on Mutation {"
        f' again: processBooking(input: {{requestId: "{uuid.uuid4()}", flightId: $flight,'
        ' paymentToken: "tok_visa"}) { id } }'
        " mutation($flight: ID!) {"
        f' first: processBooking(input: {{requestId: "{uuid.uuid4()}", flightId: $flight,'
        ' paymentToken: "tok_visa"}) { id } ...More }'
    )

    response = post_graphql(cloud, customer, json.dumps({"query": query, "variables": {"flight": flight_id}}))

    assert response.status_code == 400
    assert response.json()["errors"][0]["errorType"] == "OneBookingPerRequest"
    assert executions(cloud) == started


def test_a_second_booking_spelled_with_json_escapes_is_seen(cloud: LocalCloud, flight_id: str) -> None:
    customer = new_customer(cloud)
    started = executions(cloud)
    # "\u0070" is "p": the JSON body decodes to the same GraphQL document as two plain processBooking fields.
    query = aliased_bookings(2).replace("processBooking", "\\u0070rocessBooking")
    body = '{"query": "' + query.replace('"', '\\"') + '", "variables": {"flight": "' + flight_id + '"}}'

    response = post_graphql(cloud, customer, body)

    assert response.status_code == 400
    assert response.json()["errors"][0]["errorType"] == "OneBookingPerRequest"
    assert executions(cloud) == started


def test_a_customer_with_five_bookings_in_flight_cannot_start_a_sixth(
    cloud: LocalCloud, flight_id: str
) -> None:
    customer = new_customer(cloud)
    now = datetime.now(UTC)
    for minutes in range(BOOKINGS_IN_FLIGHT_CAP):
        put_item(
            cloud,
            "BookingTable",
            {
                "id": str(uuid.uuid4()),
                "customerId": customer.sub,
                "flightId": flight_id,
                "status": "UNCONFIRMED",
                "amount": 12900,
                "currency": "EUR",
                "createdAt": (now - timedelta(minutes=minutes)).isoformat(),
            },
        )
    started, seats = executions(cloud), seats_left(cloud, flight_id)

    with pytest.raises(GraphQLError, match="TooManyBookingsInFlight"):
        gql(
            cloud,
            customer,
            "mutation($request: ID!, $flight: ID!) { processBooking(input: {requestId: $request,"
            ' flightId: $flight, paymentToken: "tok_visa"}) { id } }',
            {"request": str(uuid.uuid4()), "flight": flight_id},
        )

    assert executions(cloud) == started
    assert seats_left(cloud, flight_id) == seats
