"""In-memory implementations of the protocols the service modules declare (booking.service.BookingStore
and NotificationPublisher, payment.provider.PaymentStore, loyalty.service.PointsLedger).

Each keeps the contract of its DynamoDB counterpart - one item per key, conditional writes - so the
services' tests exercise the same decisions without AWS. The component tests hold the DynamoDB
implementations to the same contract.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from booking.models import Booking, BookingNotification, BookingStatus, CancellationReason
from loyalty.rules import creditable
from payment.errors import PaymentMethodNotRegisteredError
from payment.models import Payment, PaymentStatus


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

    def cancel(self, booking_id: str, reason: CancellationReason, now: datetime) -> Booking | None:
        booking = self.bookings.get(booking_id)
        if booking is None:
            return None
        cancelled = booking.model_copy(
            update={
                "status": BookingStatus.CANCELLED,
                "cancelled_at": booking.cancelled_at or now,
                "cancellation_reason": booking.cancellation_reason or reason,
            }
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
class InMemoryPaymentStore:
    payments: dict[str, Payment] = field(default_factory=dict)

    def register(self, payment: Payment) -> None:
        """What processBooking's resolver does (conditional: never over an existing payment)."""
        assert payment.booking_id not in self.payments
        self.payments[payment.booking_id] = payment

    def get(self, booking_id: str) -> Payment | None:
        return self.payments.get(booking_id)

    def settle(self, outcome: Payment) -> Payment:
        current = self.payments.get(outcome.booking_id)
        if current is None:
            raise PaymentMethodNotRegisteredError(outcome.booking_id)
        if current.status is not PaymentStatus.REGISTERED:
            return current
        self.payments[outcome.booking_id] = outcome
        return outcome

    def mark_refunded(self, booking_id: str, now: datetime) -> Payment | None:
        return self._transition(
            booking_id, PaymentStatus.CAPTURED, {"status": PaymentStatus.REFUNDED, "refunded_at": now}
        )

    def void(self, booking_id: str, now: datetime) -> Payment | None:
        return self._transition(
            booking_id,
            PaymentStatus.REGISTERED,
            {"status": PaymentStatus.VOIDED, "voided_at": now, "payment_method": None, "expires_at": None},
        )

    def _transition(
        self, booking_id: str, source: PaymentStatus, update: dict[str, object]
    ) -> Payment | None:
        payment = self.payments.get(booking_id)
        if payment is not None and payment.status is source:
            payment = payment.model_copy(update=update)
            self.payments[booking_id] = payment
        return payment


@dataclass
class InMemoryPointsLedger:
    credited: dict[tuple[str, str], int] = field(default_factory=dict)
    """(customer id, booking id) -> points credited for that booking."""

    def credit(self, customer_id: str, booking_id: str, points: int, now: datetime) -> int | None:
        if (customer_id, booking_id) in self.credited:
            return None
        fitting = creditable(points, self.points_of(customer_id))
        self.credited[customer_id, booking_id] = fitting
        return fitting

    def points_of(self, customer_id: str) -> int:
        return sum(points for (customer, _), points in self.credited.items() if customer == customer_id)
