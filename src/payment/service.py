"""Collect and refund, whatever the provider: one charge per booking, declines surface as errors."""

from __future__ import annotations

from datetime import datetime

from payment.errors import PaymentConflictError, PaymentDeclinedError
from payment.models import (
    Charge,
    ChargeResult,
    ChargeStatus,
    CollectPaymentRequest,
    RefundResult,
)
from payment.provider import PaymentProvider


def collect_payment(request: CollectPaymentRequest, provider: PaymentProvider, now: datetime) -> ChargeResult:
    attempted, earlier = provider.charge(
        request.booking_id, request.amount, request.currency, request.payment_token, now
    )
    charge = earlier if earlier is not None else attempted
    if earlier is not None and (earlier.amount, earlier.currency) != (request.amount, request.currency):
        raise PaymentConflictError(
            f"booking {request.booking_id} was already charged {earlier.amount} {earlier.currency}"
        )
    return _result_of(charge)


def _result_of(charge: Charge) -> ChargeResult:
    if charge.status is ChargeStatus.DECLINED:
        raise PaymentDeclinedError(charge.booking_id, charge.decline_code or "declined")
    return ChargeResult(
        booking_id=charge.booking_id,
        charge_id=charge.charge_id,
        amount=charge.amount,
        currency=charge.currency,
        status=charge.status,
    )


def refund_payment(booking_id: str, provider: PaymentProvider, now: datetime) -> RefundResult:
    return provider.refund(booking_id, now)
