"""Payment handlers under moto: the simulated processor's ledger is the template's payment table."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from common.events import InvalidRequestError
from payment.errors import PaymentConflictError, PaymentDeclinedError
from tests.support.fixtures import get_item
from tests.support.inprocess import InProcessLambdaRunner
from tests.support.stack import REGION, MockStack

BOOKING_ID = "5b0d6f52-3c1a-4f7e-9d52-8a1e0c2b7f31"
CHARGE = {"bookingId": BOOKING_ID, "amount": 12900, "currency": "EUR", "paymentToken": "tok_visa"}


def charges(stack: MockStack) -> list[dict[str, Any]]:
    client = boto3.client("dynamodb", region_name=REGION)
    return client.scan(TableName=stack.physical_id("PaymentTable"))["Items"]


def test_collect_captures_the_amount_once(runner: InProcessLambdaRunner, stack: MockStack) -> None:
    first = runner.call("CollectPaymentFunction", CHARGE)
    second = runner.call("CollectPaymentFunction", CHARGE)

    assert first == second
    assert first["status"] == "CAPTURED"
    assert (first["amount"], first["currency"]) == (12900, "EUR")
    assert len(charges(stack)) == 1


def test_collect_with_another_amount_for_a_charged_booking_is_a_conflict(
    runner: InProcessLambdaRunner, stack: MockStack
) -> None:
    runner.call("CollectPaymentFunction", CHARGE)

    with pytest.raises(PaymentConflictError):
        runner.call("CollectPaymentFunction", {**CHARGE, "amount": 100})

    charge = get_item(stack, "PaymentTable", {"bookingId": BOOKING_ID})
    assert charge is not None
    assert charge["amount"] == 12900


@pytest.mark.parametrize(
    ("token", "decline_code"),
    [
        ("tok_chargeDeclined", "card_declined"),
        ("tok_insufficientFunds", "insufficient_funds"),
        ("tok_expiredCard", "expired_card"),
        ("tok_unknownToTheProcessor", "invalid_token"),
    ],
)
def test_declined_tokens_raise_and_stay_declined_on_retry(
    runner: InProcessLambdaRunner, stack: MockStack, token: str, decline_code: str
) -> None:
    request = {**CHARGE, "paymentToken": token}

    with pytest.raises(PaymentDeclinedError, match=decline_code):
        runner.call("CollectPaymentFunction", request)
    # A retry must not turn a decline into a capture, even with a good card.
    with pytest.raises(PaymentDeclinedError):
        runner.call("CollectPaymentFunction", {**CHARGE, "paymentToken": "tok_visa"})

    charge = get_item(stack, "PaymentTable", {"bookingId": BOOKING_ID})
    assert charge is not None
    assert (charge["status"], charge["declineCode"]) == ("DECLINED", decline_code)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"paymentToken": "4242424242424242"}, "paymentToken: String should match pattern"),
        ({"amount": 0}, "amount: Input should be greater than 0"),
        ({"amount": "12900"}, "amount: Input should be a valid integer"),
        ({"bookingId": None}, "bookingId"),
    ],
)
def test_collect_rejects_bad_input_and_charges_nothing(
    runner: InProcessLambdaRunner, stack: MockStack, change: dict[str, Any], message: str
) -> None:
    with pytest.raises(InvalidRequestError, match=message):
        runner.call("CollectPaymentFunction", {**CHARGE, **change})

    assert charges(stack) == []


def test_refund_refunds_a_capture_once(runner: InProcessLambdaRunner, stack: MockStack) -> None:
    captured = runner.call("CollectPaymentFunction", CHARGE)

    first = runner.call("RefundPaymentFunction", {"bookingId": BOOKING_ID})
    refunded_at = get_item(stack, "PaymentTable", {"bookingId": BOOKING_ID})["refundedAt"]  # type: ignore[index]
    second = runner.call("RefundPaymentFunction", {"bookingId": BOOKING_ID})

    assert (
        first
        == second
        == {
            "bookingId": BOOKING_ID,
            "status": "REFUNDED",
            "chargeId": captured["chargeId"],
        }
    )
    assert get_item(stack, "PaymentTable", {"bookingId": BOOKING_ID})["refundedAt"] == refunded_at  # type: ignore[index]


def test_refund_without_a_capture_changes_nothing(runner: InProcessLambdaRunner, stack: MockStack) -> None:
    assert runner.call("RefundPaymentFunction", {"bookingId": BOOKING_ID}) == {
        "bookingId": BOOKING_ID,
        "status": "NOT_CHARGED",
    }
    assert charges(stack) == []

    with pytest.raises(PaymentDeclinedError):
        runner.call("CollectPaymentFunction", {**CHARGE, "paymentToken": "tok_chargeDeclined"})
    assert runner.call("RefundPaymentFunction", {"bookingId": BOOKING_ID})["status"] == "NOT_CHARGED"
    assert get_item(stack, "PaymentTable", {"bookingId": BOOKING_ID})["status"] == "DECLINED"  # type: ignore[index]
