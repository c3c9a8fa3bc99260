"""Payment providers.

``PaymentProvider`` is the seam where a real processor plugs in: implement ``charge`` and ``refund`` with
the processor's SDK, pass the booking id as its idempotency key, read its API key from Secrets Manager
(see README, "Plugging in a real payment processor") and select it in ``payment.dependencies``.

``SimulatedPaymentProvider`` is the default: it needs no third party. It approves or declines according
to documented test tokens and keeps its charges in the payment table.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Protocol

from payment.models import Charge, ChargeStatus, RefundResult, RefundStatus
from payment.repository import ChargeLedger

APPROVED_TEST_TOKENS = frozenset({"tok_visa", "tok_mastercard", "tok_amex"})
"""Tokens the simulated processor approves."""

DECLINED_TEST_TOKENS = {
    "tok_chargeDeclined": "card_declined",
    "tok_insufficientFunds": "insufficient_funds",
    "tok_expiredCard": "expired_card",
}
"""Tokens the simulated processor declines, with the decline code it reports."""

UNKNOWN_TOKEN_DECLINE_CODE = "invalid_token"  # noqa: S105 - a decline code, not a secret


class PaymentProvider(Protocol):
    def charge(
        self, booking_id: str, amount: int, currency: str, token: str, now: datetime
    ) -> tuple[Charge, Charge | None]:
        """Charge once per booking. Returns the new charge and, if the booking was charged before,
        the charge already on record (which is the one that counts)."""
        ...

    def refund(self, booking_id: str, now: datetime) -> RefundResult: ...


def decline_code_for(token: str) -> str | None:
    """None when the simulated processor approves ``token``."""
    if token in APPROVED_TEST_TOKENS:
        return None
    return DECLINED_TEST_TOKENS.get(token, UNKNOWN_TOKEN_DECLINE_CODE)


def charge_id_for(booking_id: str) -> str:
    return "ch_" + hashlib.sha256(booking_id.encode()).hexdigest()[:24]


class SimulatedPaymentProvider:
    def __init__(self, ledger: ChargeLedger) -> None:
        self._ledger = ledger

    def charge(
        self, booking_id: str, amount: int, currency: str, token: str, now: datetime
    ) -> tuple[Charge, Charge | None]:
        decline_code = decline_code_for(token)
        charge = Charge(
            booking_id=booking_id,
            charge_id=charge_id_for(booking_id),
            amount=amount,
            currency=currency,
            status=ChargeStatus.DECLINED if decline_code else ChargeStatus.CAPTURED,
            decline_code=decline_code,
            created_at=now,
        )
        return charge, self._ledger.record(charge)

    def refund(self, booking_id: str, now: datetime) -> RefundResult:
        charge, _ = self._ledger.mark_refunded(booking_id, now)
        if charge is None or charge.status is not ChargeStatus.REFUNDED:
            return RefundResult(booking_id=booking_id, status=RefundStatus.NOT_CHARGED)
        return RefundResult(booking_id=booking_id, status=RefundStatus.REFUNDED, charge_id=charge.charge_id)
