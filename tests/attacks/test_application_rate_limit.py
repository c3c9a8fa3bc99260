"""An address that floods the GraphQL API is blocked by the web ACL's rate-based rule.

This module runs its own local cloud, deployed with the template's rate limit set to its lowest value
(the ``GraphQLRequestsPerIpLimit`` parameter), so a handful of requests reach it. No clock is involved:
every request of the module falls in the rule's window."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from tests.e2e.conftest import require_build
from tests.support.local_cloud import LocalCloud, prewarmed_cloud
from tests.support.local_stack import executions, new_customer, post_graphql
from tests.support.template import sample_flights, seed

pytestmark = pytest.mark.local_cloud

LIMIT = 10
"""The lowest limit AWS WAF accepts for a rate-based rule."""


@pytest.fixture(scope="module")
def cloud() -> Iterator[LocalCloud]:
    require_build()
    with prewarmed_cloud(parameters={"GraphQLRequestsPerIpLimit": str(LIMIT)}).start() as running:
        yield running


def test_an_address_that_floods_the_graphql_api_is_blocked(cloud: LocalCloud) -> None:
    assert cloud.stack is not None
    flight = sample_flights(datetime.now(UTC).date())[0]
    seed(cloud.client("dynamodb"), cloud.stack.outputs["FlightTableName"], [flight])
    customer = new_customer(cloud)
    look_up = json.dumps(
        {"query": "query($id: ID!) { getFlight(id: $id) { id } }", "variables": {"id": flight.id}}
    )
    started = executions(cloud)

    answers = [post_graphql(cloud, customer, look_up).status_code for _ in range(LIMIT)]
    booking = json.dumps(
        {
            "query": "mutation($request: ID!, $flight: ID!) { processBooking(input: {requestId: $request,"
            ' flightId: $flight, paymentToken: "tok_visa"}) { id } }',
            "variables": {"request": str(uuid.uuid4()), "flight": flight.id},
        }
    )
    blocked = post_graphql(cloud, customer, booking)

    assert answers == [200] * LIMIT
    assert blocked.status_code == 429
    assert blocked.json()["errors"][0]["errorType"] == "RateLimitExceeded"
    assert executions(cloud) == started
    # Blocked requests count too: the address stays blocked for the rest of the window.
    assert post_graphql(cloud, customer, look_up).status_code == 429
