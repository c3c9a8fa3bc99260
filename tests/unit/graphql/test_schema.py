"""The GraphQL schema: what it exposes, to whom, and what it never lets a customer change."""

from __future__ import annotations

import pytest

from tests.unit.graphql import sdl
from tests.unit.graphql.contexts import SCHEMA

COGNITO = "aws_cognito_user_pools"
IAM = "aws_iam"
# Scalars AppSync defines itself (they must not be declared in the schema) and GraphQL's own.
KNOWN_SCALARS = {"ID", "String", "Int", "Float", "Boolean", "AWSDate", "AWSDateTime"}


@pytest.fixture(scope="module")
def schema() -> dict[str, sdl.Definition]:
    return sdl.load(SCHEMA)


def test_the_saga_bookkeeping_is_nowhere_in_the_schema() -> None:
    # Not a field, not an argument, not even a description: which bookings hold a flight's seats is
    # the saga's business alone.
    assert "reservedbookings" not in SCHEMA.read_text(encoding="utf-8").lower()


def test_a_flight_exposes_the_catalog_fields_only(schema: dict[str, sdl.Definition]) -> None:
    assert set(schema["Flight"].fields) == {
        "id",
        "flightNumber",
        "departureAirportCode",
        "arrivalAirportCode",
        "departureDate",
        "departureDateTime",
        "arrivalDateTime",
        "price",
        "currency",
        "seatCapacity",
        "seatsAvailable",
    }


def test_the_only_mutation_starts_a_booking(schema: dict[str, sdl.Definition]) -> None:
    assert set(schema["Mutation"].fields) == {"processBooking"}


def test_no_mutation_touches_flights(schema: dict[str, sdl.Definition]) -> None:
    for field in schema["Mutation"].fields.values():
        assert "flight" not in field.name.lower()
        assert field.named_type != "Flight"
        assert "Flight" not in {argument.strip("[]!") for argument in field.arguments.values()}


def test_a_booking_request_cannot_name_the_price_or_the_customer(schema: dict[str, sdl.Definition]) -> None:
    # The saga charges the catalog price to the caller: neither is the caller's to say.
    assert schema["ProcessBookingInput"].kind == "input"
    assert schema["ProcessBookingInput"].fields.keys() == {"flightId", "paymentToken"}
    assert schema["Mutation"].fields["processBooking"].arguments == {"input": "ProcessBookingInput!"}
    assert schema["BookingProcess"].fields.keys() == {"id", "status"}


def test_the_queries_and_their_arguments(schema: dict[str, sdl.Definition]) -> None:
    queries = schema["Query"].fields
    assert {name: (field.arguments, field.type) for name, field in queries.items()} == {
        "searchFlights": (
            {"departureAirportCode": "String!", "arrivalAirportCode": "String!", "departureDate": "AWSDate!"},
            "[Flight!]!",
        ),
        "getFlight": ({"id": "ID!"}, "Flight"),
        "getBooking": ({"id": "ID!"}, "Booking"),
        "listBookings": ({"limit": "Int", "nextToken": "String"}, "BookingConnection!"),
        "getLoyalty": ({"customerId": "ID"}, "Loyalty"),
    }


def test_the_result_types(schema: dict[str, sdl.Definition]) -> None:
    assert {name: field.type for name, field in schema["BookingConnection"].fields.items()} == {
        "items": "[Booking!]!",
        "nextToken": "String",
    }
    assert {name: field.type for name, field in schema["Loyalty"].fields.items()} == {
        "points": "Int!",
        "level": "String!",
        "remainingPoints": "Int!",
    }
    assert set(schema["BookingStatus"].fields) == {"UNCONFIRMED", "CONFIRMED", "CANCELLED"}


@pytest.mark.parametrize(
    ("type_name", "field_name", "modes"),
    [
        ("Query", "searchFlights", {COGNITO, IAM}),
        ("Query", "getFlight", {COGNITO, IAM}),
        ("Query", "getBooking", {COGNITO}),
        ("Query", "listBookings", {COGNITO}),
        ("Query", "getLoyalty", {COGNITO}),
        ("Mutation", "processBooking", {COGNITO}),
    ],
)
def test_who_may_call_each_field(
    schema: dict[str, sdl.Definition], type_name: str, field_name: str, modes: set[str]
) -> None:
    assert schema[type_name].fields[field_name].directives == modes


@pytest.mark.parametrize(
    ("type_name", "modes"),
    [
        ("Flight", {COGNITO, IAM}),
        ("Booking", {COGNITO}),
        ("BookingConnection", {COGNITO}),
        ("Loyalty", {COGNITO}),
        ("BookingProcess", {COGNITO}),
    ],
)
def test_who_may_read_each_type(schema: dict[str, sdl.Definition], type_name: str, modes: set[str]) -> None:
    # With several auth modes a type readable by IAM callers must say so, and one that is not must not.
    assert schema[type_name].directives == modes


def test_every_type_used_is_defined(schema: dict[str, sdl.Definition]) -> None:
    defined = set(schema) | KNOWN_SCALARS
    for definition in schema.values():
        if definition.kind in ("type", "input"):
            for field in definition.fields.values():
                assert field.named_type in defined, f"{definition.name}.{field.name}"
                for argument_type in field.arguments.values():
                    assert argument_type.strip("[]!") in defined, f"{definition.name}.{field.name}"


def test_the_schema_has_queries_and_mutations_only(schema: dict[str, sdl.Definition]) -> None:
    assert {field.name: field.type for field in schema["schema"].fields.values()} == {
        "query": "Query",
        "mutation": "Mutation",
    }
    assert "Subscription" not in schema
