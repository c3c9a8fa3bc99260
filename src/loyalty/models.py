from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, Json, model_validator
from pydantic.alias_generators import to_pascal

from common.models import CamelModel, CurrencyCode, MinorUnits, Uuid


class Tier(StrEnum):
    BRONZE = "bronze"
    SILVER = "silver"
    GOLD = "gold"


class BookingNotice(CamelModel):
    """A booking topic notice: the message inside the envelope the topic delivers to the loyalty queue.

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


class MessageAttribute(BaseModel):
    model_config = ConfigDict(alias_generator=to_pascal, frozen=True, extra="ignore", defer_build=True)

    type: str
    value: str


class TopicDelivery(BaseModel):
    """A booking notice as the topic delivers it to the loyalty queue: the SNS envelope (PascalCase
    keys) around the notice, naming the topic that sent it and carrying the message attributes."""

    # The signature fields are not checked here (see docs/blast-radius.md); the rest is not needed.
    # Built with the queue record that carries it, when IngestLoyalty first parses one: GetLoyalty,
    # which imports this module too, never builds it.
    model_config = ConfigDict(alias_generator=to_pascal, frozen=True, extra="ignore", defer_build=True)

    type: Literal["Notification"]
    topic_arn: str
    message: Json[BookingNotice]
    message_attributes: dict[str, MessageAttribute] = Field(default_factory=dict)


class LoyaltySummary(CamelModel):
    points: int = Field(ge=0)
    level: Tier
    remaining_points: int = Field(ge=0)
