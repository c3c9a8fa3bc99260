"""Payment rules, free of AWS: how the simulated processor answers a card token, what a booking's charge
looks like, when a retried charge is the same charge, and what the saga is told."""

from __future__ import annotations

import hashlib
from datetime import datetime

from payment.errors import PaymentConflictError, PaymentDeclinedError
from payment.models import Charge, ChargeResult, ChargeStatus, RefundResult, RefundStatus

APPROVED_TEST_TOKENS = frozenset({"tok_visa", "tok_mastercard", "tok_amex"})
"""Tokens the simulated processor approves."""

DECLINED_TEST_TOKENS = {
    "tok_chargeDeclined": "card_declined",
    "tok_insufficientFunds": "insufficient_funds",
    "tok_expiredCard": "expired_card",
}
"""Tokens the simulated processor declines, with the decline code it reports."""

UNKNOWN_TOKEN_DECLINE_CODE = "invalid_token"  # noqa: S105 - a decline code, not a secret


def decline_code_for(token: str) -> str | None:
    """None when the simulated processor approves ``token``."""
    if token in APPROVED_TEST_TOKENS:
        return None
    return DECLINED_TEST_TOKENS.get(token, UNKNOWN_TOKEN_DECLINE_CODE)


def charge_id_for(booking_id: str) -> str:
    """Derived from the booking id, so a retried charge has the id of the first attempt."""
    return "ch_" + hashlib.sha256(booking_id.encode()).hexdigest()[:24]


def new_charge(booking_id: str, amount: int, currency: str, token: str, now: datetime) -> Charge:
    decline_code = decline_code_for(token)
    return Charge(
        booking_id=booking_id,
        charge_id=charge_id_for(booking_id),
        amount=amount,
        currency=currency,
        status=ChargeStatus.DECLINED if decline_code else ChargeStatus.CAPTURED,
        decline_code=decline_code,
        created_at=now,
    )


def ensure_same_charge(existing: Charge, amount: int, currency: str) -> Charge:
    """A retried charge finds the booking's charge, which counts (a decline stays a decline, whatever the
    retry's card); the same booking charged another amount or currency is a conflict."""
    if (existing.amount, existing.currency) != (amount, currency):
        raise PaymentConflictError(
            f"booking {existing.booking_id} was already charged {existing.amount} {existing.currency}"
        )
    return existing


def charge_result(charge: Charge) -> ChargeResult:
    """What the saga is told of a booking's charge: a decline is an error, so the saga compensates."""
    if charge.status is ChargeStatus.DECLINED:
        raise PaymentDeclinedError(charge.booking_id, charge.decline_code or "declined")
    return ChargeResult(
        booking_id=charge.booking_id,
        charge_id=charge.charge_id,
        amount=charge.amount,
        currency=charge.currency,
        status=charge.status,
    )


def refund_result(booking_id: str, charge: Charge | None) -> RefundResult:
    """REFUNDED once the booking's charge is refunded (by this call or an earlier one); NOT_CHARGED when
    there is no charge or it was declined."""
    if charge is None or charge.status is not ChargeStatus.REFUNDED:
        return RefundResult(booking_id=booking_id, status=RefundStatus.NOT_CHARGED)
    return RefundResult(booking_id=booking_id, status=RefundStatus.REFUNDED, charge_id=charge.charge_id)
