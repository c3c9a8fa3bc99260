"""Collect and refund, whatever the provider: one charge per booking, declines surface as errors.

The handlers pass the provider chosen in payment.dependencies; the unit tests pass the simulated
provider over an in-memory charge store."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from payment.models import Charge, ChargeResult, CollectPaymentRequest, RefundResult
from payment.rules import charge_result


class PaymentProvider(Protocol):
    def charge(self, booking_id: str, amount: int, currency: str, token: str, now: datetime) -> Charge:
        """Charge once per booking, the booking id being the idempotency key.

        Returns the booking's charge: the one made now or, on a retry, the one made before (which
        counts). Raises PaymentConflictError if the booking was charged another amount or currency.
        """
        ...

    def refund(self, booking_id: str, now: datetime) -> RefundResult:
        """Refund the booking's captured charge, once; NOT_CHARGED if nothing was captured."""
        ...


def collect_payment(request: CollectPaymentRequest, provider: PaymentProvider, now: datetime) -> ChargeResult:
    charge = provider.charge(request.booking_id, request.amount, request.currency, request.payment_token, now)
    return charge_result(charge)


def refund_payment(booking_id: str, provider: PaymentProvider, now: datetime) -> RefundResult:
    return provider.refund(booking_id, now)
