"""Base model and identifier types shared by the services' event and record models."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints
from pydantic.alias_generators import to_camel

_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def _check_uuid(value: str) -> str:
    if not _UUID.match(value):
        raise ValueError("must be a lower-case UUID, e.g. 6f1c2f0e-8d3b-4b5e-9a51-2f0f6a1c9d27")
    return value


Uuid = Annotated[str, AfterValidator(_check_uuid)]
"""Booking ids (AppSync ``util.autoId()``) and customer ids (the Cognito ``sub``) are UUIDs."""

FlightId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9-]{1,64}$")]
CurrencyCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
TopicArn = Annotated[str, StringConstraints(pattern=r"^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]+$")]
MinorUnits = Annotated[int, Field(gt=0, le=100_000_000, strict=True)]
"""An amount in the currency's minor unit (cents, pence): integers only, so no rounding anywhere."""


class CamelModel(BaseModel):
    """Events use camelCase keys; Python code uses snake_case attributes."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True, defer_build=True
    )

    def to_event(self) -> dict[str, object]:
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)
