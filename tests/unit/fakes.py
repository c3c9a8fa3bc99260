"""In-memory implementations of the protocols the service modules declare (booking.service.BookingStore
and NotificationPublisher, payment.provider.ChargeStore, loyalty.service.PointsLedger).

Each keeps the contract of its DynamoDB counterpart - one item per key, conditional writes - so the
services' tests exercise the same decisions without AWS. The component tests hold the DynamoDB
implementations to the same contract.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from booking.models import Booking, BookingNotification, BookingStatus
from payment.models import Charge, ChargeStatus


@dataclass
class InMemoryBookingStore:
    bookings: dict[str, Booking] = field(default_factory=dict)

    def create(self, booking: Booking) -> Booking | None:
        existing = self.bookings.get(booking.id)
        if existing is None:
            self.bookings[booking.id] = booking
        return existing

    def confirm(self, booking_id: str, reference: str, now: datetime) -> Booking | None:
        booking = self.bookings.get(booking_id)
        if booking is None or booking.status is BookingStatus.CANCELLED:
            return None
        confirmed = booking.model_copy(
            update={
                "status": BookingStatus.CONFIRMED,
                "booking_reference": reference,
                "confirmed_at": booking.confirmed_at or now,
            }
        )
        self.bookings[booking_id] = confirmed
        return confirmed

    def cancel(self, booking_id: str, now: datetime) -> Booking | None:
        booking = self.bookings.get(booking_id)
        if booking is None:
            return None
        cancelled = booking.model_copy(
            update={"status": BookingStatus.CANCELLED, "cancelled_at": booking.cancelled_at or now}
        )
        self.bookings[booking_id] = cancelled
        return cancelled


@dataclass
class RecordingPublisher:
    published: list[BookingNotification] = field(default_factory=list)

    def publish(self, notification: BookingNotification) -> str:
        self.published.append(notification)
        return f"message-{len(self.published)}"


@dataclass
class InMemoryChargeStore:
    charges: dict[str, Charge] = field(default_factory=dict)

    def record(self, charge: Charge) -> Charge | None:
        existing = self.charges.get(charge.booking_id)
        if existing is None:
            self.charges[charge.booking_id] = charge
        return existing

    def mark_refunded(self, booking_id: str, now: datetime) -> Charge | None:
        charge = self.charges.get(booking_id)
        if charge is not None and charge.status is ChargeStatus.CAPTURED:
            charge = charge.model_copy(update={"status": ChargeStatus.REFUNDED, "refunded_at": now})
            self.charges[booking_id] = charge
        return charge


@dataclass
class InMemoryPointsLedger:
    credited: dict[tuple[str, str], int] = field(default_factory=dict)
    """(customer id, booking id) -> points credited for that booking."""

    def credit(self, customer_id: str, booking_id: str, points: int, now: datetime) -> bool:
        if (customer_id, booking_id) in self.credited:
            return False
        self.credited[customer_id, booking_id] = points
        return True

    def points_of(self, customer_id: str) -> int:
        return sum(points for (customer, _), points in self.credited.items() if customer == customer_id)
