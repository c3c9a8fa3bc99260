from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import ConfigDict, Field, model_validator

from common.models import CamelModel, CurrencyCode, MinorUnits, Uuid


class Tier(StrEnum):
    BRONZE = "bronze"
    SILVER = "silver"
    GOLD = "gold"


class BookingNotice(CamelModel):
    """A booking topic notice, as delivered (raw) to the loyalty queue.

    The subscription only lets CONFIRMED notices through; a CANCELLED one that arrives anyway (say,
    after someone loosens the filter policy) is accepted and earns nothing.
    """

    # Other fields of the notice (flightId, bookingReference...) are not the loyalty service's concern.
    model_config = ConfigDict(extra="ignore")

    booking_id: Uuid
    customer_id: Uuid
    status: Literal["CONFIRMED", "CANCELLED"]
    amount: MinorUnits | None = None
    currency: CurrencyCode | None = None

    @model_validator(mode="after")
    def _confirmed_notices_say_what_was_paid(self) -> BookingNotice:
        if self.status == "CONFIRMED" and (self.amount is None or self.currency is None):
            raise ValueError("a CONFIRMED notice needs amount and currency")
        return self


class LoyaltySummary(CamelModel):
    points: int = Field(ge=0)
    level: Tier
    remaining_points: int = Field(ge=0)
