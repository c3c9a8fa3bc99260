"""A card token is payment data even when it is single-use: it must not outlive the step that uses it.

processBooking registers the token for the booking before the saga starts; the saga carries the booking
id only, and the charge erases the token in the write that records its outcome. After the booking flows
(confirmed, declined, and a compensation that fails and parks its execution in the dead-letter queue),
no record the local cloud keeps holds a token: no execution's input, output or history, no function
log, no access log, no CloudWatch Logs group, no message of any queue (the dead-letter queues
included), no item of any table, and no log record of the local cloud's own endpoints.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest

from tests.support.local_cloud import (
    BOOK_MUTATION,
    BOOKING_QUERY,
    LOYALTY_QUERY,
    LocalCloud,
    book_variables,
    wait_for,
)
from tests.support.local_stack import break_function, everything_kept, finished_execution, gql, new_customer
from tests.support.template import sample_flights, seed

pytestmark = pytest.mark.local_cloud

TOKEN_PREFIX = "tok_"  # every test token of the payment provider starts with it


def test_no_card_token_is_kept_anywhere_after_the_booking_flows(
    cloud: LocalCloud, caplog: pytest.LogCaptureFixture
) -> None:
    assert cloud.stack is not None
    caplog.set_level(logging.DEBUG, logger="localcloud")
    [sa101, *_] = catalog = sample_flights(datetime.now(UTC).date())
    seed(cloud.client("dynamodb"), cloud.stack.outputs["FlightTableName"], catalog)
    customer = new_customer(cloud)

    def book(token: str) -> str:
        booking_id: str = gql(cloud, customer, BOOK_MUTATION, book_variables(sa101.id, token))[
            "processBooking"
        ]["id"]
        return booking_id

    def settled(booking_id: str, status: str) -> None:
        found = wait_for(
            lambda: (
                (gql(cloud, customer, BOOKING_QUERY, {"id": booking_id})["getBooking"] or {}).get("status")
                == status
            ),
            60,
        )
        assert found, f"booking {booking_id} never became {status}"

    settled(book("tok_visa"), "CONFIRMED")
    settled(book("tok_chargeDeclined"), "CANCELLED")
    assert wait_for(lambda: gql(cloud, customer, LOYALTY_QUERY)["getLoyalty"]["points"] == sa101.price, 60)
    break_function(cloud, "CancelBookingFunction", "BOOKING_TABLE_NAME")
    parked = book("tok_insufficientFunds")
    execution_arn = cloud.stack.outputs["BookingStateMachineArn"].replace(":stateMachine:", ":execution:")
    ended = finished_execution(cloud, f"{execution_arn}:{parked}")
    assert ended["error"] == "BookingNeedsAttention"

    kept = everything_kept(cloud)

    # Each place holds what it should, so that finding no token there means something.
    assert len([text for text in kept["execution histories"] if '"executionArn"' in text]) == 3
    assert any(parked in body for body in kept["queues"])  # the parked execution's state
    assert any("payment collected" in line for line in kept["function logs"])
    assert kept["REST API access log"]
    assert any('"status": {"S": "CAPTURED"}' in text for text in kept["tables"])
    for place, texts in kept.items():
        holding = [text for text in texts if TOKEN_PREFIX in text]
        assert holding == [], f"a card token is kept in the {place}: {holding[:3]}"
    assert [record.getMessage() for record in caplog.records if TOKEN_PREFIX in record.getMessage()] == []
