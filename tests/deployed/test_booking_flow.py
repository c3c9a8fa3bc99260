"""A customer books through the deployed AppSync API: confirmed with points, then a declined card."""

from __future__ import annotations

import secrets
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import requests

from tests.deployed.conftest import DeployedStack
from tests.support.template import sample_flights, seed

pytestmark = pytest.mark.deployed
TIMEOUT = 15
SAGA_DEADLINE_SECONDS = 90


@pytest.fixture(scope="module")
def id_token(deployed_stack: DeployedStack) -> Iterator[str]:
    cognito = deployed_stack.session.client("cognito-idp")
    pool_id = deployed_stack.output("UserPoolId")
    email = f"airline-test-{uuid.uuid4()}@example.com"
    password = "Aa1-" + secrets.token_urlsafe(18)
    cognito.admin_create_user(
        UserPoolId=pool_id,
        Username=email,
        MessageAction="SUPPRESS",
        UserAttributes=[{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}],
    )
    try:
        cognito.admin_set_user_password(UserPoolId=pool_id, Username=email, Password=password, Permanent=True)
        tokens = cognito.initiate_auth(
            ClientId=deployed_stack.output("UserPoolClientId"),
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": email, "PASSWORD": password},
        )["AuthenticationResult"]
        yield tokens["IdToken"]
    finally:
        cognito.admin_delete_user(UserPoolId=pool_id, Username=email)


def graphql(stack: DeployedStack, token: str, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    response = requests.post(
        stack.output("GraphQLApiUrl"),
        json={"query": query, "variables": variables},
        headers={"Authorization": token},
        timeout=TIMEOUT,
    )
    response.raise_for_status()
    payload: dict[str, Any] = response.json()
    assert not payload.get("errors"), payload["errors"]
    return payload["data"]  # type: ignore[no-any-return]


def wait_for_status(stack: DeployedStack, token: str, booking_id: str, wanted: str) -> dict[str, Any]:
    deadline = time.monotonic() + SAGA_DEADLINE_SECONDS
    booking: dict[str, Any] | None = None
    while time.monotonic() < deadline:
        booking = graphql(
            stack,
            token,
            "query($id: ID!) { getBooking(id: $id) { id status amount currency } }",
            {"id": booking_id},
        )["getBooking"]
        if booking and booking["status"] == wanted:
            return booking
        time.sleep(2)
    pytest.fail(f"booking {booking_id} is {booking} after {SAGA_DEADLINE_SECONDS}s, expected {wanted}")


def test_book_confirm_earn_points_then_a_declined_card(deployed_stack: DeployedStack, id_token: str) -> None:
    flights = sample_flights(datetime.now(UTC).date())
    seed(deployed_stack.session.client("dynamodb"), deployed_stack.output("FlightTableName"), flights)
    sa101 = next(flight for flight in flights if flight.flight_number == "SA101")

    found = graphql(
        deployed_stack,
        id_token,
        "query($d: String!, $a: String!, $on: AWSDate!) {"
        " searchFlights(departureAirportCode: $d, arrivalAirportCode: $a, departureDate: $on) { id price } }",
        {"d": "LGW", "a": "MAD", "on": sa101.departure_date},
    )["searchFlights"]
    assert {"id": sa101.id, "price": sa101.price} in found

    mutation = (
        "mutation($r: ID!, $f: ID!, $t: String!) {"
        " processBooking(input: {requestId: $r, flightId: $f, paymentToken: $t}) { id status } }"
    )
    variables = {"r": str(uuid.uuid4()), "f": sa101.id, "t": "tok_visa"}
    started = graphql(deployed_stack, id_token, mutation, variables)["processBooking"]
    confirmed = wait_for_status(deployed_stack, id_token, started["id"], "CONFIRMED")
    assert confirmed["amount"] == sa101.price

    deadline = time.monotonic() + SAGA_DEADLINE_SECONDS
    while True:
        loyalty = graphql(deployed_stack, id_token, "{ getLoyalty { points level remainingPoints } }", {})
        if loyalty["getLoyalty"]["points"] >= sa101.price or time.monotonic() > deadline:
            break
        time.sleep(2)
    assert loyalty["getLoyalty"]["points"] == sa101.price

    declined = graphql(deployed_stack, id_token, mutation, {"f": sa101.id, "t": "tok_chargeDeclined"})
    wait_for_status(deployed_stack, id_token, declined["processBooking"]["id"], "CANCELLED")
    time.sleep(5)
    after = graphql(deployed_stack, id_token, "{ getLoyalty { points } }", {})["getLoyalty"]
    assert after["points"] == sa101.price
