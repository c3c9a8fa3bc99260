from __future__ import annotations

import pytest
from pydantic import BaseModel, Field

from booking.models import BookingRequest
from common.events import InvalidRequestError, parse_event
from common.settings import ConfigurationError, load_settings


class ExampleSettings(BaseModel):
    example_table_name: str = Field(min_length=3)


def test_settings_come_from_upper_case_environment_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXAMPLE_TABLE_NAME", "bookings")

    assert load_settings(ExampleSettings).example_table_name == "bookings"


def test_a_missing_setting_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EXAMPLE_TABLE_NAME", raising=False)

    with pytest.raises(ConfigurationError, match="EXAMPLE_TABLE_NAME: Field required"):
        load_settings(ExampleSettings)


def test_an_invalid_setting_names_the_variable_and_the_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXAMPLE_TABLE_NAME", "x")

    with pytest.raises(ConfigurationError, match="EXAMPLE_TABLE_NAME: String should have at least 3"):
        load_settings(ExampleSettings)


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ({}, "bookingId: Field required"),
        (None, "event: Input should be a valid dictionary"),
        ({"bookingId": "5B0D6F52-3C1A-4F7E-9D52-8A1E0C2B7F31"}, "bookingId: must be a lower-case UUID"),
    ],
)
def test_invalid_events_are_described_field_by_field(event: object, message: str) -> None:
    with pytest.raises(InvalidRequestError, match=message):
        parse_event(BookingRequest, event)
