"""Payment providers: implementations of :class:`payment.service.PaymentProvider`.

How a payment travels, whatever the provider: the customer's card is tokenised in the browser (the
processor's page or SDK; card numbers never reach this stack), and processBooking registers that
single-use token for the new booking *before* the saga starts. The saga carries only the booking id:
no card token is ever in an execution's input or history, a Lambda event, a log or a dead-letter
message. CollectPayment charges what was registered for the booking and erases the token in the same
write that records the outcome; RefundPayment refunds the capture, or voids a registration never
charged.

``PaymentProvider`` is the seam where a real processor plugs in. With a Stripe-like API the same
shape is: registration creates a PaymentIntent for the catalog amount with the customer's
PaymentMethod (created client-side from the card) and stores only the intent's id (``pi_...``), never
a card token; ``charge`` confirms that intent server-side, passing the booking id as the idempotency
key, so a retried step cannot charge twice; ``refund`` creates a refund of the intent, again with an
idempotency key derived from the booking id; an intent never confirmed is cancelled. The processor's
secret API key comes from Secrets Manager (see README, "Plugging in a real payment processor"), and
the provider is selected in ``payment.dependencies``.

**No late charge survives a compensation.** A charge can land after the saga has given up on it:
CollectPayment's worker dies after sending its capture, the saga compensates at once, and the capture
arrives later. Compensation therefore leaves a durable state that refuses it: RefundPayment voids a
payment still REGISTERED (VOIDED, kept, its token erased), and a capture is written only on a
REGISTERED payment (one conditional write), so a capture that lands after the void changes nothing,
and a CollectPayment run after it finds nothing to charge. A real processor gives the same guarantee:
compensation cancels the booking's PaymentIntent (idempotency key derived from the booking id), a
cancelled intent can never be captured or confirmed, and a capture that raced it fails; one that
landed first is refunded.

``SimulatedPaymentProvider`` is the default: it needs no third party. It approves or declines according
to documented test tokens (payment.rules) and keeps the payments in the payment table.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from payment.errors import PaymentMethodNotRegisteredError
from payment.models import Payment, PaymentStatus, RefundResult
from payment.rules import ensure_same_charge, refund_result, settle


class PaymentStore(Protocol):
    def get(self, booking_id: str) -> Payment | None:
        """The booking's payment, read consistently; None if none was registered."""
        ...

    def settle(self, outcome: Payment) -> Payment:
        """Record a charge's outcome on a REGISTERED payment, erasing its token and expiry in the same
        write. Returns the payment as it now stands: ``outcome``, or what an earlier attempt recorded."""
        ...

    def mark_refunded(self, booking_id: str, now: datetime) -> Payment | None:
        """Refund a CAPTURED payment; returns the booking's payment as it now stands, None if it has none."""
        ...

    def void(self, booking_id: str, now: datetime) -> Payment | None:
        """Void a REGISTERED payment, erasing its token; returns the payment as it now stands."""
        ...


class SimulatedPaymentProvider:
    def __init__(self, store: PaymentStore) -> None:
        self._store = store

    def charge(self, booking_id: str, amount: int, currency: str, now: datetime) -> Payment:
        payment = self._store.get(booking_id)
        if payment is None or payment.status is PaymentStatus.VOIDED:
            raise PaymentMethodNotRegisteredError(f"no payment method is registered for booking {booking_id}")
        ensure_same_charge(payment, amount, currency)
        if payment.status is not PaymentStatus.REGISTERED:
            return payment  # a retry: the outcome recorded before counts, a decline stays a decline
        return ensure_same_charge(self._store.settle(settle(payment, now)), amount, currency)

    def refund(self, booking_id: str, now: datetime) -> RefundResult:
        # Voiding first: a payment that is not REGISTERED comes back without a token to read.
        payment = self._store.void(booking_id, now)
        if payment is not None and payment.status is PaymentStatus.CAPTURED:
            payment = self._store.mark_refunded(booking_id, now)
        return refund_result(booking_id, payment)
