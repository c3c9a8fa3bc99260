"""Collect and refund, whatever the provider: one charge per booking, declines surface as errors.

The handlers pass the provider chosen in payment.dependencies; the unit tests pass the simulated
provider over an in-memory payment store."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from payment.models import ChargeResult, CollectPaymentRequest, Payment, RefundResult
from payment.rules import charge_result


class PaymentProvider(Protocol):
    def charge(self, booking_id: str, amount: int, currency: str, now: datetime) -> Payment:
        """Charge the payment method registered for the booking, once, the booking id being the
        idempotency key.

        Returns the booking's payment: charged now or, on a retry, before (which counts). Raises
        PaymentMethodNotRegisteredError if nothing is registered for the booking, and
        PaymentConflictError if it was registered (or charged) for another amount or currency.
        """
        ...

    def refund(self, booking_id: str, now: datetime) -> RefundResult:
        """Refund the booking's captured charge, once, or void a payment method registered and never
        charged; NOT_CHARGED if nothing was captured."""
        ...


def collect_payment(request: CollectPaymentRequest, provider: PaymentProvider, now: datetime) -> ChargeResult:
    return charge_result(provider.charge(request.booking_id, request.amount, request.currency, now))


def refund_payment(booking_id: str, provider: PaymentProvider, now: datetime) -> RefundResult:
    return provider.refund(booking_id, now)
