"""Payment providers: implementations of :class:`payment.service.PaymentProvider`.

``PaymentProvider`` is the seam where a real processor plugs in: implement ``charge`` and ``refund`` with
the processor's SDK, pass the booking id as its idempotency key, read its API key from Secrets Manager
(see README, "Plugging in a real payment processor") and select it in ``payment.dependencies``.

``SimulatedPaymentProvider`` is the default: it needs no third party. It approves or declines according
to documented test tokens (payment.rules) and keeps its charges in the payment table.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from payment.models import Charge, RefundResult
from payment.rules import ensure_same_charge, new_charge, refund_result


class ChargeStore(Protocol):
    def record(self, charge: Charge) -> Charge | None:
        """Record a booking's charge unless it has one; returns the charge recorded before, if any."""
        ...

    def mark_refunded(self, booking_id: str, now: datetime) -> Charge | None:
        """Refund a CAPTURED charge; returns the booking's charge as it now stands, None if it has none."""
        ...


class SimulatedPaymentProvider:
    def __init__(self, store: ChargeStore) -> None:
        self._store = store

    def charge(self, booking_id: str, amount: int, currency: str, token: str, now: datetime) -> Charge:
        charge = new_charge(booking_id, amount, currency, token, now)
        existing = self._store.record(charge)
        return charge if existing is None else ensure_same_charge(existing, amount, currency)

    def refund(self, booking_id: str, now: datetime) -> RefundResult:
        return refund_result(booking_id, self._store.mark_refunded(booking_id, now))
