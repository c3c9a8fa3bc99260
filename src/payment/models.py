from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import StringConstraints

from common.models import CamelModel, CurrencyCode, MinorUnits, Uuid

PaymentToken = Annotated[str, StringConstraints(pattern=r"^tok_[A-Za-z0-9_]{1,64}$")]


class ChargeStatus(StrEnum):
    CAPTURED = "CAPTURED"
    DECLINED = "DECLINED"
    REFUNDED = "REFUNDED"


class RefundStatus(StrEnum):
    REFUNDED = "REFUNDED"
    NOT_CHARGED = "NOT_CHARGED"


class CollectPaymentRequest(CamelModel):
    booking_id: Uuid
    amount: MinorUnits
    currency: CurrencyCode
    payment_token: PaymentToken


class RefundPaymentRequest(CamelModel):
    booking_id: Uuid


class Charge(CamelModel):
    """One charge per booking: the booking id is the idempotency key."""

    booking_id: Uuid
    charge_id: str
    amount: MinorUnits
    currency: CurrencyCode
    status: ChargeStatus
    created_at: datetime
    decline_code: str | None = None
    refunded_at: datetime | None = None


class ChargeResult(CamelModel):
    booking_id: Uuid
    charge_id: str
    amount: MinorUnits
    currency: CurrencyCode
    status: ChargeStatus


class RefundResult(CamelModel):
    booking_id: Uuid
    status: RefundStatus
    charge_id: str | None = None
