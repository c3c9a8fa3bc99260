from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import ConfigDict, Field

from common.models import CamelModel, CurrencyCode, MinorUnits, Uuid


class Tier(StrEnum):
    BRONZE = "bronze"
    SILVER = "silver"
    GOLD = "gold"


class ConfirmedBooking(CamelModel):
    """The booking topic's CONFIRMED notice, as delivered (raw) to the loyalty queue."""

    # Other fields of the notice (flightId, bookingReference...) are not the loyalty service's concern.
    model_config = ConfigDict(extra="ignore")

    booking_id: Uuid
    customer_id: Uuid
    status: Literal["CONFIRMED"]
    amount: MinorUnits
    currency: CurrencyCode


class CustomerPath(CamelModel):
    customer_id: Uuid = Field(
        description="the customer's id (their Cognito sub, a UUID)",
    )


class LoyaltySummary(CamelModel):
    points: int = Field(ge=0)
    level: Tier
    remaining_points: int = Field(ge=0)
