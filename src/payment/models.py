from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, Field, SecretStr

from common.models import CamelModel, CurrencyCode, MinorUnits, Uuid

_PAYMENT_TOKEN = re.compile(r"^tok_[A-Za-z0-9_]{1,64}$")


def _check_token(value: SecretStr) -> SecretStr:
    if not _PAYMENT_TOKEN.match(value.get_secret_value()):
        # The message never quotes the value: it is payment data.
        raise ValueError("must be a payment token, e.g. tok_visa")
    return value


PaymentToken = Annotated[SecretStr, AfterValidator(_check_token)]
"""The payment provider's single-use card token. A ``SecretStr``: printed, logged or dumped, it shows as
``**********``; only the provider reads its value."""


class PaymentStatus(StrEnum):
    REGISTERED = "REGISTERED"
    """processBooking registered the customer's payment method for the booking: nothing charged yet."""
    CAPTURED = "CAPTURED"
    DECLINED = "DECLINED"
    REFUNDED = "REFUNDED"
    VOIDED = "VOIDED"
    """The booking failed before it was charged: the registered payment method was discarded unused."""


class RefundStatus(StrEnum):
    REFUNDED = "REFUNDED"
    NOT_CHARGED = "NOT_CHARGED"


class CollectPaymentRequest(CamelModel):
    """The saga's charge: which booking, and the catalog price it is charged. No card data: the saga
    charges the payment method registered for the booking."""

    booking_id: Uuid
    amount: MinorUnits
    currency: CurrencyCode


class RefundPaymentRequest(CamelModel):
    booking_id: Uuid


class Payment(CamelModel):
    """A booking's payment: one item per booking id in the payment table, the booking id being the
    idempotency key of every step.

    Registered (by the processBooking resolver) with the amount and currency of the catalog and the
    card token; the charge records its outcome and erases the token and its expiry in the same write,
    so a token is kept only while it waits to be used.
    """

    booking_id: Uuid
    status: PaymentStatus
    amount: MinorUnits
    currency: CurrencyCode
    registered_at: datetime
    payment_method: PaymentToken | None = None
    """Only while REGISTERED."""
    expires_at: int | None = Field(default=None, ge=0)
    """Only while REGISTERED: when the registration lapses (seconds since the epoch; the table's time to
    live deletes an unused registration after it)."""
    charge_id: str | None = None
    charged_at: datetime | None = None
    decline_code: str | None = None
    refunded_at: datetime | None = None
    voided_at: datetime | None = None


class ChargeResult(CamelModel):
    booking_id: Uuid
    charge_id: str
    amount: MinorUnits
    currency: CurrencyCode
    status: PaymentStatus


class RefundResult(CamelModel):
    booking_id: Uuid
    status: RefundStatus
    charge_id: str | None = None
