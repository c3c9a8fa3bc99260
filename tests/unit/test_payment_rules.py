from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import SecretStr, ValidationError

from payment.errors import PaymentConflictError, PaymentDeclinedError
from payment.models import Payment, PaymentStatus, RefundStatus
from payment.rules import (
    charge_id_for,
    charge_result,
    decline_code_for,
    ensure_same_charge,
    refund_result,
    settle,
)

NOW = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
BOOKING_ID = "5b0d6f52-3c1a-4f7e-9d52-8a1e0c2b7f31"


def registered(token: str = "tok_visa", expires_at: datetime = NOW + timedelta(hours=1)) -> Payment:
    return Payment(
        booking_id=BOOKING_ID,
        status=PaymentStatus.REGISTERED,
        amount=12900,
        currency="EUR",
        registered_at=NOW,
        payment_method=SecretStr(token),
        expires_at=int(expires_at.timestamp()),
    )


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


def test_settling_captures_or_declines_by_the_token_and_erases_it() -> None:
    captured = settle(registered("tok_visa"), NOW)
    declined = settle(registered("tok_expiredCard"), NOW)

    assert (captured.status, captured.decline_code) == (PaymentStatus.CAPTURED, None)
    assert (declined.status, declined.decline_code) == (PaymentStatus.DECLINED, "expired_card")
    assert captured.charge_id == declined.charge_id == charge_id_for(BOOKING_ID)
    assert captured.charged_at == declined.charged_at == NOW
    for outcome in (captured, declined):
        assert (outcome.payment_method, outcome.expires_at) == (None, None)


@pytest.mark.parametrize(
    ("expires_in", "status"),
    [(timedelta(seconds=1), PaymentStatus.CAPTURED), (timedelta(0), PaymentStatus.DECLINED)],
    ids=["a second before it lapses", "as it lapses"],
)
def test_a_registration_is_charged_until_it_lapses(expires_in: timedelta, status: PaymentStatus) -> None:
    assert settle(registered(expires_at=NOW + expires_in), NOW).status is status


def test_only_a_registered_payment_method_is_settled() -> None:
    with pytest.raises(ValueError, match="not a registered payment method"):
        settle(settle(registered(), NOW), NOW)


def test_a_payment_token_never_shows_in_a_payment_printed_or_dumped() -> None:
    payment = registered("tok_visa")

    assert "tok_visa" not in repr(payment)
    assert "tok_visa" not in str(payment.model_dump())
    assert "tok_visa" not in payment.model_dump_json()
    assert payment.payment_method is not None
    assert payment.payment_method.get_secret_value() == "tok_visa"


@pytest.mark.parametrize("token", ["4242424242424242", "tok_visa-2", "tok_visa!", "pm_card_visa"])
def test_a_malformed_token_is_refused_without_quoting_it(token: str) -> None:
    with pytest.raises(ValidationError) as refused:
        registered(token)

    assert token not in str(refused.value)


def test_a_retried_charge_is_the_charge_on_record() -> None:
    declined = settle(registered("tok_chargeDeclined"), NOW)

    assert ensure_same_charge(declined, 12900, "EUR") is declined


@pytest.mark.parametrize(("amount", "currency"), [(100, "EUR"), (12900, "GBP")])
def test_another_amount_or_currency_than_the_payments_is_a_conflict(amount: int, currency: str) -> None:
    with pytest.raises(PaymentConflictError, match="is for 12900 EUR"):
        ensure_same_charge(registered(), amount, currency)


def test_the_saga_is_told_of_a_capture_and_gets_an_error_for_a_decline() -> None:
    captured = settle(registered("tok_visa"), NOW)

    assert charge_result(captured).to_event() == {
        "bookingId": BOOKING_ID,
        "chargeId": captured.charge_id,
        "amount": 12900,
        "currency": "EUR",
        "status": "CAPTURED",
    }
    with pytest.raises(PaymentDeclinedError, match="insufficient_funds") as declined:
        charge_result(settle(registered("tok_insufficientFunds"), NOW))
    assert declined.value.decline_code == "insufficient_funds"
    with pytest.raises(ValueError, match="has not been charged"):
        charge_result(registered())


def test_only_a_refunded_charge_is_reported_refunded() -> None:
    captured = settle(registered("tok_visa"), NOW)
    refunded = captured.model_copy(update={"status": PaymentStatus.REFUNDED, "refunded_at": NOW})
    declined = settle(registered("tok_chargeDeclined"), NOW)

    assert refund_result(BOOKING_ID, refunded).status is RefundStatus.REFUNDED
    assert refund_result(BOOKING_ID, refunded).charge_id == captured.charge_id
    assert refund_result(BOOKING_ID, declined).status is RefundStatus.NOT_CHARGED
    assert refund_result(BOOKING_ID, captured).status is RefundStatus.NOT_CHARGED
    assert refund_result(BOOKING_ID, None).to_event() == {"bookingId": BOOKING_ID, "status": "NOT_CHARGED"}
