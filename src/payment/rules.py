"""Payment rules, free of AWS: how the simulated processor answers a registered payment method, when a
retried charge is the same charge, and what the saga is told."""

from __future__ import annotations

import hashlib
from datetime import datetime

from payment.errors import PaymentConflictError, PaymentDeclinedError
from payment.models import ChargeResult, Payment, PaymentStatus, RefundResult, RefundStatus

APPROVED_TEST_TOKENS = frozenset({"tok_visa", "tok_mastercard", "tok_amex"})
"""Tokens the simulated processor approves."""

DECLINED_TEST_TOKENS = {
    "tok_chargeDeclined": "card_declined",
    "tok_insufficientFunds": "insufficient_funds",
    "tok_expiredCard": "expired_card",
}
"""Tokens the simulated processor declines, with the decline code it reports."""

UNKNOWN_TOKEN_DECLINE_CODE = "invalid_token"  # noqa: S105 - a decline code, not a secret
LAPSED_REGISTRATION_DECLINE_CODE = "registration_expired"
"""A payment method registered longer ago than the registration lasts is not charged."""


def decline_code_for(token: str) -> str | None:
    """None when the simulated processor approves ``token``."""
    if token in APPROVED_TEST_TOKENS:
        return None
    return DECLINED_TEST_TOKENS.get(token, UNKNOWN_TOKEN_DECLINE_CODE)


def charge_id_for(booking_id: str) -> str:
    """Derived from the booking id, so a retried charge has the id of the first attempt."""
    return "ch_" + hashlib.sha256(booking_id.encode()).hexdigest()[:24]


def ensure_same_charge(payment: Payment, amount: int, currency: str) -> Payment:
    """The saga charges what the booking's payment was registered (and, on a retry, charged) for; another
    amount or currency is a conflict, and nothing is charged."""
    if (payment.amount, payment.currency) != (amount, currency):
        raise PaymentConflictError(
            f"the payment of booking {payment.booking_id} is for {payment.amount} {payment.currency}, "
            f"not {amount} {currency}"
        )
    return payment


def settle(registered: Payment, now: datetime) -> Payment:
    """The outcome of charging a REGISTERED payment: CAPTURED or DECLINED, without the token or its
    expiry (the processor has used it, whatever it answered)."""
    if registered.payment_method is None or registered.status is not PaymentStatus.REGISTERED:
        raise ValueError(f"the payment of booking {registered.booking_id} is not a registered payment method")
    lapsed = registered.expires_at is not None and registered.expires_at <= now.timestamp()
    decline_code = (
        LAPSED_REGISTRATION_DECLINE_CODE
        if lapsed
        else decline_code_for(registered.payment_method.get_secret_value())
    )
    return registered.model_copy(
        update={
            "status": PaymentStatus.DECLINED if decline_code else PaymentStatus.CAPTURED,
            "payment_method": None,
            "expires_at": None,
            "charge_id": charge_id_for(registered.booking_id),
            "charged_at": now,
            "decline_code": decline_code,
        }
    )


def charge_result(payment: Payment) -> ChargeResult:
    """What the saga is told of a booking's charge: a decline is an error, so the saga compensates."""
    if payment.status is PaymentStatus.DECLINED:
        raise PaymentDeclinedError(payment.booking_id, payment.decline_code or "declined")
    if payment.charge_id is None:
        raise ValueError(f"the payment of booking {payment.booking_id} has not been charged")
    return ChargeResult(
        booking_id=payment.booking_id,
        charge_id=payment.charge_id,
        amount=payment.amount,
        currency=payment.currency,
        status=payment.status,
    )


def refund_result(booking_id: str, payment: Payment | None) -> RefundResult:
    """REFUNDED once the booking's charge is refunded (by this call or an earlier one); NOT_CHARGED when
    nothing was captured (no payment, a decline, a registration voided unused)."""
    if payment is None or payment.status is not PaymentStatus.REFUNDED:
        return RefundResult(booking_id=booking_id, status=RefundStatus.NOT_CHARGED)
    return RefundResult(booking_id=booking_id, status=RefundStatus.REFUNDED, charge_id=payment.charge_id)
