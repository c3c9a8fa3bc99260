"""Payment handlers under moto: the simulated processor's ledger is the template's payment table, each
payment registered first as processBooking's registerPaymentMethod step registers it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from common.events import InvalidRequestError
from payment.errors import PaymentConflictError, PaymentDeclinedError, PaymentMethodNotRegisteredError
from tests.support.fixtures import get_item
from tests.support.inprocess import InProcessLambdaRunner
from tests.support.saga import register_payment_method
from tests.support.stack import MockStack, embedded_client

BOOKING_ID = "5b0d6f52-3c1a-4f7e-9d52-8a1e0c2b7f31"
CHARGE = {"bookingId": BOOKING_ID, "amount": 12900, "currency": "EUR"}


def register(stack: MockStack, token: str = "tok_visa", lasts: timedelta = timedelta(hours=1)) -> None:
    register_payment_method(stack, BOOKING_ID, token, 12900, "EUR", lasts=lasts)


def payments(stack: MockStack) -> list[dict[str, Any]]:
    client = embedded_client("dynamodb")
    return client.scan(TableName=stack.physical_id("PaymentTable"))["Items"]


def payment(stack: MockStack) -> dict[str, Any]:
    item = get_item(stack, "PaymentTable", {"bookingId": BOOKING_ID})
    assert item is not None
    return item


def test_collect_captures_the_registered_amount_once_and_erases_the_token(
    runner: InProcessLambdaRunner, stack: MockStack
) -> None:
    register(stack)

    first = runner.call("CollectPaymentFunction", CHARGE)
    second = runner.call("CollectPaymentFunction", CHARGE)

    assert first == second
    assert first["status"] == "CAPTURED"
    assert (first["amount"], first["currency"]) == (12900, "EUR")
    assert len(payments(stack)) == 1
    stored = payment(stack)
    assert {"paymentMethod", "expiresAt"} & set(stored) == set()
    assert stored["chargeId"] == first["chargeId"]


def test_collect_with_another_amount_than_registered_is_a_conflict_and_charges_nothing(
    runner: InProcessLambdaRunner, stack: MockStack
) -> None:
    register(stack)

    with pytest.raises(PaymentConflictError):
        runner.call("CollectPaymentFunction", {**CHARGE, "amount": 100})

    assert (payment(stack)["status"], payment(stack)["amount"]) == ("REGISTERED", 12900)


def test_collect_without_a_registration_charges_nothing(
    runner: InProcessLambdaRunner, stack: MockStack
) -> None:
    with pytest.raises(PaymentMethodNotRegisteredError):
        runner.call("CollectPaymentFunction", CHARGE)

    assert payments(stack) == []


@pytest.mark.parametrize(
    ("token", "decline_code"),
    [
        ("tok_chargeDeclined", "card_declined"),
        ("tok_insufficientFunds", "insufficient_funds"),
        ("tok_expiredCard", "expired_card"),
        ("tok_unknownToTheProcessor", "invalid_token"),
    ],
)
def test_declined_tokens_raise_are_erased_and_stay_declined_on_retry(
    runner: InProcessLambdaRunner, stack: MockStack, token: str, decline_code: str
) -> None:
    register(stack, token)

    with pytest.raises(PaymentDeclinedError, match=decline_code):
        runner.call("CollectPaymentFunction", CHARGE)
    with pytest.raises(PaymentDeclinedError):
        runner.call("CollectPaymentFunction", CHARGE)

    stored = payment(stack)
    assert (stored["status"], stored["declineCode"]) == ("DECLINED", decline_code)
    assert "paymentMethod" not in stored


def test_a_lapsed_registration_is_declined(runner: InProcessLambdaRunner, stack: MockStack) -> None:
    register(stack, lasts=timedelta(seconds=-1))

    with pytest.raises(PaymentDeclinedError, match="registration_expired"):
        runner.call("CollectPaymentFunction", CHARGE)

    assert "paymentMethod" not in payment(stack)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"paymentToken": "tok_visa"}, "paymentToken: Extra inputs are not permitted"),
        ({"amount": 0}, "amount: Input should be greater than 0"),
        ({"amount": "12900"}, "amount: Input should be a valid integer"),
        ({"bookingId": None}, "bookingId"),
    ],
)
def test_collect_rejects_bad_input_and_charges_nothing(
    runner: InProcessLambdaRunner, stack: MockStack, change: dict[str, Any], message: str
) -> None:
    register(stack)

    with pytest.raises(InvalidRequestError, match=message):
        runner.call("CollectPaymentFunction", {**CHARGE, **change})

    assert payment(stack)["status"] == "REGISTERED"


def test_refund_refunds_a_capture_once(runner: InProcessLambdaRunner, stack: MockStack) -> None:
    register(stack)
    captured = runner.call("CollectPaymentFunction", CHARGE)

    first = runner.call("RefundPaymentFunction", {"bookingId": BOOKING_ID})
    refunded_at = payment(stack)["refundedAt"]
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
    assert payment(stack)["refundedAt"] == refunded_at


def test_refund_voids_an_uncharged_registration_and_erases_its_token(
    runner: InProcessLambdaRunner, stack: MockStack
) -> None:
    register(stack)

    first = runner.call("RefundPaymentFunction", {"bookingId": BOOKING_ID})
    voided_at = payment(stack)["voidedAt"]
    second = runner.call("RefundPaymentFunction", {"bookingId": BOOKING_ID})

    assert first == second == {"bookingId": BOOKING_ID, "status": "NOT_CHARGED"}
    stored = payment(stack)
    assert (stored["status"], stored["voidedAt"]) == ("VOIDED", voided_at)
    assert {"paymentMethod", "expiresAt"} & set(stored) == set()
    with pytest.raises(PaymentMethodNotRegisteredError):
        runner.call("CollectPaymentFunction", CHARGE)


def test_refund_without_a_capture_changes_nothing(runner: InProcessLambdaRunner, stack: MockStack) -> None:
    assert runner.call("RefundPaymentFunction", {"bookingId": BOOKING_ID}) == {
        "bookingId": BOOKING_ID,
        "status": "NOT_CHARGED",
    }
    assert payments(stack) == []

    register(stack, "tok_chargeDeclined")
    with pytest.raises(PaymentDeclinedError):
        runner.call("CollectPaymentFunction", CHARGE)
    assert runner.call("RefundPaymentFunction", {"bookingId": BOOKING_ID})["status"] == "NOT_CHARGED"
    assert payment(stack)["status"] == "DECLINED"
