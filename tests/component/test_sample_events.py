"""Every file in events/ drives its function (the same files `sam local invoke -e` uses)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from tests.support.fixtures import get_item
from tests.support.inprocess import InProcessLambdaRunner
from tests.support.saga import register_payment_method
from tests.support.stack import MockStack
from tests.support.template import REPOSITORY_ROOT, function_specs, project_template

EVENTS = REPOSITORY_ROOT / "events"


def event_file_for(logical_id: str) -> Path:
    """ReserveBookingFunction -> events/reserve_booking.json"""
    name = re.sub(r"(?<!^)(?=[A-Z])", "_", logical_id.removesuffix("Function")).lower()
    return EVENTS / f"{name}.json"


def load(logical_id: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads(event_file_for(logical_id).read_text(encoding="utf-8"))
    return event


def test_there_is_exactly_one_sample_event_per_function() -> None:
    expected = {event_file_for(logical_id) for logical_id in function_specs(project_template())}

    assert set(EVENTS.glob("*.json")) == expected


def test_the_sample_events_walk_a_booking_through_every_function(
    runner: InProcessLambdaRunner, stack: MockStack
) -> None:
    reservation = load("ReserveBookingFunction")
    booking_id = reservation["bookingId"]

    assert runner.call("ReserveBookingFunction", reservation)["status"] == "UNCONFIRMED"
    # CollectPayment charges the payment method processBooking registered for the booking.
    charge = load("CollectPaymentFunction")
    register_payment_method(stack, booking_id, "tok_visa", charge["amount"], charge["currency"])
    assert runner.call("CollectPaymentFunction", charge)["status"] == "CAPTURED"
    confirmed = runner.call("ConfirmBookingFunction", load("ConfirmBookingFunction"))
    assert confirmed["status"] == "CONFIRMED"
    assert "messageId" in runner.call("NotifyBookingFunction", load("NotifyBookingFunction"))
    # The sample's notices come from the local cloud's booking topic; here the topic is this stack's.
    ingest = json.loads(
        json.dumps(load("IngestLoyaltyFunction")).replace(
            "airline-local-BookingTopic", stack.physical_id("BookingTopic").rsplit(":", 1)[-1]
        )
    )
    assert runner.call("IngestLoyaltyFunction", ingest) == {"batchItemFailures": []}
    loyalty = runner.call("GetLoyaltyFunction", load("GetLoyaltyFunction"))
    assert loyalty["statusCode"] == 200
    # 129.00 EUR earns 12,900 points; 549.00 GBP earns 63,135 (115 points per pound).
    assert json.loads(loyalty["body"]) == {
        "points": 12900 + 63135,
        "level": "silver",
        "remainingPoints": 100_000 - 12900 - 63135,
    }
    assert runner.call("RefundPaymentFunction", load("RefundPaymentFunction"))["status"] == "REFUNDED"
    assert runner.call("CancelBookingFunction", load("CancelBookingFunction"))["status"] == "CANCELLED"

    assert get_item(stack, "BookingTable", {"id": booking_id})["status"] == "CANCELLED"  # type: ignore[index]
    assert get_item(stack, "PaymentTable", {"bookingId": booking_id})["status"] == "REFUNDED"  # type: ignore[index]
