"""Loyalty use cases written against the ledger protocol below: the handlers pass the DynamoDB ledger
(loyalty.repository), the unit tests an in-memory fake."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Protocol

from loyalty.models import BookingNotice, LoyaltySummary
from loyalty.rules import points_for, summarise


class PointsLedger(Protocol):
    def credit(self, customer_id: str, booking_id: str, points: int, now: datetime) -> int | None:
        """Credit a booking's points to its customer, never taking the total past the cap
        (``loyalty.rules.creditable``): returns the points credited, None (and nothing changed) if the
        booking was already credited."""
        ...

    def points_of(self, customer_id: str) -> int:
        """The customer's total (0 for a customer never credited)."""
        ...


class CreditOutcome(StrEnum):
    CREDITED = "CREDITED"
    CAPPED = "CAPPED"
    """Credited only in part, or not at all: the customer's total reached the cap."""
    ALREADY_CREDITED = "ALREADY_CREDITED"
    NOTHING_EARNED = "NOTHING_EARNED"


def credit_booking(notice: BookingNotice, ledger: PointsLedger, now: datetime) -> CreditOutcome:
    points = points_for(notice)
    if points == 0:
        return CreditOutcome.NOTHING_EARNED
    credited = ledger.credit(notice.customer_id, notice.booking_id, points, now)
    if credited is None:
        return CreditOutcome.ALREADY_CREDITED
    return CreditOutcome.CREDITED if credited == points else CreditOutcome.CAPPED


def loyalty_of(customer_id: str, ledger: PointsLedger) -> LoyaltySummary:
    return summarise(ledger.points_of(customer_id))
