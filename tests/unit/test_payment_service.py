"""Collect and refund through the simulated provider, over an in-memory charge store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from payment.errors import PaymentConflictError, PaymentDeclinedError
from payment.models import CollectPaymentRequest
from payment.provider import SimulatedPaymentProvider
from payment.service import collect_payment, refund_payment
from tests.unit.fakes import InMemoryChargeStore

NOW = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
LATER = NOW + timedelta(minutes=5)
BOOKING_ID = "5b0d6f52-3c1a-4f7e-9d52-8a1e0c2b7f31"
REQUEST = CollectPaymentRequest(booking_id=BOOKING_ID, amount=12900, currency="EUR", payment_token="tok_visa")


@pytest.fixture
def store() -> InMemoryChargeStore:
    return InMemoryChargeStore()


@pytest.fixture
def provider(store: InMemoryChargeStore) -> SimulatedPaymentProvider:
    return SimulatedPaymentProvider(store)


def test_a_collected_payment_is_captured_once(
    provider: SimulatedPaymentProvider, store: InMemoryChargeStore
) -> None:
    first = collect_payment(REQUEST, provider, NOW)
    stored = store.charges[BOOKING_ID]
    again = collect_payment(REQUEST, provider, LATER)

    assert first.to_event() == {
        "bookingId": BOOKING_ID,
        "chargeId": stored.charge_id,
        "amount": 12900,
        "currency": "EUR",
        "status": "CAPTURED",
    }
    assert again == first
    assert store.charges == {BOOKING_ID: stored}
    assert stored.created_at == NOW


@pytest.mark.parametrize("change", [{"amount": 100}, {"currency": "GBP"}])
def test_charging_a_charged_booking_differently_is_a_conflict_and_changes_nothing(
    provider: SimulatedPaymentProvider, store: InMemoryChargeStore, change: dict[str, object]
) -> None:
    collect_payment(REQUEST, provider, NOW)
    stored = store.charges[BOOKING_ID]

    with pytest.raises(PaymentConflictError):
        collect_payment(REQUEST.model_copy(update=change), provider, LATER)

    assert store.charges == {BOOKING_ID: stored}


def test_a_decline_is_an_error_and_stays_a_decline_when_retried_with_a_good_card(
    provider: SimulatedPaymentProvider, store: InMemoryChargeStore
) -> None:
    with pytest.raises(PaymentDeclinedError, match="card_declined"):
        collect_payment(REQUEST.model_copy(update={"payment_token": "tok_chargeDeclined"}), provider, NOW)
    with pytest.raises(PaymentDeclinedError, match="card_declined"):
        collect_payment(REQUEST, provider, LATER)

    assert (store.charges[BOOKING_ID].status, store.charges[BOOKING_ID].decline_code) == (
        "DECLINED",
        "card_declined",
    )


def test_a_capture_is_refunded_once(provider: SimulatedPaymentProvider, store: InMemoryChargeStore) -> None:
    captured = collect_payment(REQUEST, provider, NOW)

    first = refund_payment(BOOKING_ID, provider, NOW)
    again = refund_payment(BOOKING_ID, provider, LATER)

    assert first == again
    assert first.to_event() == {"bookingId": BOOKING_ID, "status": "REFUNDED", "chargeId": captured.charge_id}
    assert store.charges[BOOKING_ID].refunded_at == NOW


def test_nothing_is_refunded_without_a_capture(
    provider: SimulatedPaymentProvider, store: InMemoryChargeStore
) -> None:
    assert refund_payment(BOOKING_ID, provider, NOW).to_event() == {
        "bookingId": BOOKING_ID,
        "status": "NOT_CHARGED",
    }
    assert store.charges == {}

    with pytest.raises(PaymentDeclinedError):
        collect_payment(REQUEST.model_copy(update={"payment_token": "tok_expiredCard"}), provider, NOW)
    assert refund_payment(BOOKING_ID, provider, LATER).status == "NOT_CHARGED"
    assert store.charges[BOOKING_ID].status == "DECLINED"
