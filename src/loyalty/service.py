"""Loyalty use cases written against the ledger, testable without AWS."""

from __future__ import annotations

from datetime import datetime

from loyalty.models import ConfirmedBooking, LoyaltySummary
from loyalty.repository import LoyaltyLedger
from loyalty.rules import points_for, summarise


def credit_booking(booking: ConfirmedBooking, ledger: LoyaltyLedger, now: datetime) -> bool:
    return ledger.credit(booking.customer_id, booking.booking_id, points_for(booking), now)


def loyalty_of(customer_id: str, ledger: LoyaltyLedger) -> LoyaltySummary:
    return summarise(ledger.points_of(customer_id))
