"""Collect and refund through the simulated provider, over an in-memory payment store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import SecretStr

from payment.errors import PaymentConflictError, PaymentDeclinedError, PaymentMethodNotRegisteredError
from payment.models import CollectPaymentRequest, Payment, PaymentStatus
from payment.provider import SimulatedPaymentProvider
from payment.service import collect_payment, refund_payment
from tests.unit.fakes import InMemoryPaymentStore

NOW = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
LATER = NOW + timedelta(minutes=5)
BOOKING_ID = "5b0d6f52-3c1a-4f7e-9d52-8a1e0c2b7f31"
REQUEST = CollectPaymentRequest(booking_id=BOOKING_ID, amount=12900, currency="EUR")


def registration(token: str = "tok_visa", expires_at: datetime = NOW + timedelta(hours=1)) -> Payment:
    return Payment(
        booking_id=BOOKING_ID,
        status=PaymentStatus.REGISTERED,
        amount=12900,
        currency="EUR",
        registered_at=NOW - timedelta(seconds=1),
        payment_method=SecretStr(token),
        expires_at=int(expires_at.timestamp()),
    )


@pytest.fixture
def store() -> InMemoryPaymentStore:
    return InMemoryPaymentStore()


@pytest.fixture
def provider(store: InMemoryPaymentStore) -> SimulatedPaymentProvider:
    return SimulatedPaymentProvider(store)


def test_a_registered_payment_is_captured_once_and_its_token_erased(
    provider: SimulatedPaymentProvider, store: InMemoryPaymentStore
) -> None:
    store.register(registration())

    first = collect_payment(REQUEST, provider, NOW)
    stored = store.payments[BOOKING_ID]
    again = collect_payment(REQUEST, provider, LATER)

    assert first.to_event() == {
        "bookingId": BOOKING_ID,
        "chargeId": stored.charge_id,
        "amount": 12900,
        "currency": "EUR",
        "status": "CAPTURED",
    }
    assert again == first
    assert store.payments == {BOOKING_ID: stored}
    assert stored.charged_at == NOW
    assert (stored.payment_method, stored.expires_at) == (None, None)


@pytest.mark.parametrize("change", [{"amount": 100}, {"currency": "GBP"}])
def test_charging_another_amount_than_registered_is_a_conflict_and_changes_nothing(
    provider: SimulatedPaymentProvider, store: InMemoryPaymentStore, change: dict[str, object]
) -> None:
    store.register(registration())

    with pytest.raises(PaymentConflictError):
        collect_payment(REQUEST.model_copy(update=change), provider, NOW)

    assert store.payments[BOOKING_ID] == registration()


@pytest.mark.parametrize("change", [{"amount": 100}, {"currency": "GBP"}])
def test_charging_a_charged_booking_differently_is_a_conflict_and_changes_nothing(
    provider: SimulatedPaymentProvider, store: InMemoryPaymentStore, change: dict[str, object]
) -> None:
    store.register(registration())
    collect_payment(REQUEST, provider, NOW)
    stored = store.payments[BOOKING_ID]

    with pytest.raises(PaymentConflictError):
        collect_payment(REQUEST.model_copy(update=change), provider, LATER)

    assert store.payments == {BOOKING_ID: stored}


def test_a_decline_is_an_error_erases_the_token_and_stays_a_decline_when_retried(
    provider: SimulatedPaymentProvider, store: InMemoryPaymentStore
) -> None:
    store.register(registration("tok_chargeDeclined"))

    with pytest.raises(PaymentDeclinedError, match="card_declined"):
        collect_payment(REQUEST, provider, NOW)
    with pytest.raises(PaymentDeclinedError, match="card_declined"):
        collect_payment(REQUEST, provider, LATER)

    declined = store.payments[BOOKING_ID]
    assert (declined.status, declined.decline_code, declined.payment_method) == (
        "DECLINED",
        "card_declined",
        None,
    )


def test_a_lapsed_registration_is_declined_without_asking_the_processor(
    provider: SimulatedPaymentProvider, store: InMemoryPaymentStore
) -> None:
    store.register(registration(expires_at=NOW))

    with pytest.raises(PaymentDeclinedError, match="registration_expired"):
        collect_payment(REQUEST, provider, NOW)

    assert store.payments[BOOKING_ID].payment_method is None


def test_nothing_is_charged_without_a_registration(
    provider: SimulatedPaymentProvider, store: InMemoryPaymentStore
) -> None:
    with pytest.raises(PaymentMethodNotRegisteredError):
        collect_payment(REQUEST, provider, NOW)

    assert store.payments == {}


def test_a_capture_is_refunded_once(provider: SimulatedPaymentProvider, store: InMemoryPaymentStore) -> None:
    store.register(registration())
    captured = collect_payment(REQUEST, provider, NOW)

    first = refund_payment(BOOKING_ID, provider, NOW)
    again = refund_payment(BOOKING_ID, provider, LATER)

    assert first == again
    assert first.to_event() == {"bookingId": BOOKING_ID, "status": "REFUNDED", "chargeId": captured.charge_id}
    assert store.payments[BOOKING_ID].refunded_at == NOW


def test_an_uncharged_registration_is_voided_and_its_token_erased(
    provider: SimulatedPaymentProvider, store: InMemoryPaymentStore
) -> None:
    store.register(registration())

    first = refund_payment(BOOKING_ID, provider, NOW)
    again = refund_payment(BOOKING_ID, provider, LATER)

    assert first == again
    assert first.to_event() == {"bookingId": BOOKING_ID, "status": "NOT_CHARGED"}
    voided = store.payments[BOOKING_ID]
    assert (voided.status, voided.voided_at, voided.payment_method, voided.expires_at) == (
        "VOIDED",
        NOW,
        None,
        None,
    )
    # A voided registration cannot be charged any more.
    with pytest.raises(PaymentMethodNotRegisteredError):
        collect_payment(REQUEST, provider, LATER)


def test_nothing_is_refunded_without_a_capture(
    provider: SimulatedPaymentProvider, store: InMemoryPaymentStore
) -> None:
    assert refund_payment(BOOKING_ID, provider, NOW).to_event() == {
        "bookingId": BOOKING_ID,
        "status": "NOT_CHARGED",
    }
    assert store.payments == {}

    store.register(registration("tok_expiredCard"))
    with pytest.raises(PaymentDeclinedError):
        collect_payment(REQUEST, provider, NOW)
    assert refund_payment(BOOKING_ID, provider, LATER).status == "NOT_CHARGED"
    assert store.payments[BOOKING_ID].status == "DECLINED"
