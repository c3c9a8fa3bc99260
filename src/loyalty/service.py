"""Loyalty use cases written against the ledger, testable without AWS."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from loyalty.models import BookingNotice, LoyaltySummary
from loyalty.repository import LoyaltyLedger
from loyalty.rules import points_for, summarise


class CreditOutcome(StrEnum):
    CREDITED = "CREDITED"
    ALREADY_CREDITED = "ALREADY_CREDITED"
    NOTHING_EARNED = "NOTHING_EARNED"


def credit_booking(notice: BookingNotice, ledger: LoyaltyLedger, now: datetime) -> CreditOutcome:
    points = points_for(notice)
    if points == 0:
        return CreditOutcome.NOTHING_EARNED
    if ledger.credit(notice.customer_id, notice.booking_id, points, now):
        return CreditOutcome.CREDITED
    return CreditOutcome.ALREADY_CREDITED


def loyalty_of(customer_id: str, ledger: LoyaltyLedger) -> LoyaltySummary:
    return summarise(ledger.points_of(customer_id))
