from __future__ import annotations

from datetime import UTC, datetime

import pytest

from payment.errors import PaymentConflictError, PaymentDeclinedError
from payment.models import ChargeStatus, RefundStatus
from payment.rules import (
    charge_id_for,
    charge_result,
    decline_code_for,
    ensure_same_charge,
    new_charge,
    refund_result,
)

NOW = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
BOOKING_ID = "5b0d6f52-3c1a-4f7e-9d52-8a1e0c2b7f31"


@pytest.mark.parametrize("token", ["tok_visa", "tok_mastercard", "tok_amex"])
def test_approved_test_tokens(token: str) -> None:
    assert decline_code_for(token) is None


@pytest.mark.parametrize(
    ("token", "code"),
    [
        ("tok_chargeDeclined", "card_declined"),
        ("tok_insufficientFunds", "insufficient_funds"),
        ("tok_expiredCard", "expired_card"),
    ],
)
def test_declined_test_tokens_report_their_code(token: str, code: str) -> None:
    assert decline_code_for(token) == code


@pytest.mark.parametrize("token", ["tok_madeUp", "tok_VISA", "tok_visa ", ""])
def test_any_other_token_is_declined_rather_than_charged(token: str) -> None:
    assert decline_code_for(token) == "invalid_token"


def test_the_charge_id_is_derived_from_the_booking_so_retries_reuse_it() -> None:
    assert charge_id_for(BOOKING_ID) == charge_id_for(BOOKING_ID)
    assert charge_id_for(BOOKING_ID).startswith("ch_")
    assert len(charge_id_for(BOOKING_ID)) == 27
    assert charge_id_for(BOOKING_ID) != charge_id_for("11111111-2222-4333-8444-555555555555")


def test_a_new_charge_is_captured_or_declined_by_its_token() -> None:
    captured = new_charge(BOOKING_ID, 12900, "EUR", "tok_visa", NOW)
    declined = new_charge(BOOKING_ID, 12900, "EUR", "tok_expiredCard", NOW)

    assert (captured.status, captured.decline_code) == (ChargeStatus.CAPTURED, None)
    assert (declined.status, declined.decline_code) == (ChargeStatus.DECLINED, "expired_card")
    assert captured.charge_id == declined.charge_id == charge_id_for(BOOKING_ID)


def test_a_retried_charge_is_the_charge_on_record_even_with_another_card() -> None:
    declined = new_charge(BOOKING_ID, 12900, "EUR", "tok_chargeDeclined", NOW)

    assert ensure_same_charge(declined, 12900, "EUR") is declined


@pytest.mark.parametrize(("amount", "currency"), [(100, "EUR"), (12900, "GBP")])
def test_another_amount_or_currency_for_a_charged_booking_is_a_conflict(amount: int, currency: str) -> None:
    existing = new_charge(BOOKING_ID, 12900, "EUR", "tok_visa", NOW)

    with pytest.raises(PaymentConflictError, match="already charged 12900 EUR"):
        ensure_same_charge(existing, amount, currency)


def test_the_saga_is_told_of_a_capture_and_gets_an_error_for_a_decline() -> None:
    captured = new_charge(BOOKING_ID, 12900, "EUR", "tok_visa", NOW)

    assert charge_result(captured).to_event() == {
        "bookingId": BOOKING_ID,
        "chargeId": captured.charge_id,
        "amount": 12900,
        "currency": "EUR",
        "status": "CAPTURED",
    }
    with pytest.raises(PaymentDeclinedError, match="insufficient_funds") as declined:
        charge_result(new_charge(BOOKING_ID, 12900, "EUR", "tok_insufficientFunds", NOW))
    assert declined.value.decline_code == "insufficient_funds"


def test_only_a_refunded_charge_is_reported_refunded() -> None:
    captured = new_charge(BOOKING_ID, 12900, "EUR", "tok_visa", NOW)
    refunded = captured.model_copy(update={"status": ChargeStatus.REFUNDED, "refunded_at": NOW})
    declined = new_charge(BOOKING_ID, 12900, "EUR", "tok_chargeDeclined", NOW)

    assert refund_result(BOOKING_ID, refunded).status is RefundStatus.REFUNDED
    assert refund_result(BOOKING_ID, refunded).charge_id == captured.charge_id
    assert refund_result(BOOKING_ID, declined).status is RefundStatus.NOT_CHARGED
    assert refund_result(BOOKING_ID, captured).status is RefundStatus.NOT_CHARGED
    assert refund_result(BOOKING_ID, None).to_event() == {"bookingId": BOOKING_ID, "status": "NOT_CHARGED"}
