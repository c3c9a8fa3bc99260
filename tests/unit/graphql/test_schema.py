"""The GraphQL schema: what it exposes, to whom, and what it never lets a customer change.

The schema is read by graphql-core as AppSync reads it: on top of AppSync's own scalars and auth
directives, which it uses without declaring. Building it already proves every type it names is defined.
"""

from __future__ import annotations

import pytest

from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    get_named_type,
    validate_schema,
)
from tests.support.local_cloud import build_appsync_schema
from tests.unit.graphql.contexts import SCHEMA

COGNITO = "aws_cognito_user_pools"
IAM = "aws_iam"


@pytest.fixture(scope="module")
def schema() -> GraphQLSchema:
    return build_appsync_schema(SCHEMA.read_text(encoding="utf-8"))


def object_type(schema: GraphQLSchema, name: str) -> GraphQLObjectType:
    named = schema.get_type(name)
    assert isinstance(named, GraphQLObjectType), f"{name} is not an object type"
    return named


def directives_of(definition: GraphQLNamedType | GraphQLField) -> set[str]:
    """The directives written on a type or a field."""
    node = definition.ast_node
    assert node is not None
    return {directive.name.value for directive in node.directives or ()}


def test_the_schema_is_valid_on_appsyncs_own_definitions(schema: GraphQLSchema) -> None:
    assert validate_schema(schema) == []


def test_the_saga_bookkeeping_is_nowhere_in_the_schema() -> None:
    # Not a field, not an argument, not even a description: which bookings hold a flight's seats is
    # the saga's business alone.
    assert "reservedbookings" not in SCHEMA.read_text(encoding="utf-8").lower()


def test_a_flight_exposes_the_catalog_fields_only(schema: GraphQLSchema) -> None:
    assert set(object_type(schema, "Flight").fields) == {
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


def test_the_only_mutation_starts_a_booking(schema: GraphQLSchema) -> None:
    assert set(object_type(schema, "Mutation").fields) == {"processBooking"}


def test_no_mutation_touches_flights(schema: GraphQLSchema) -> None:
    for name, field in object_type(schema, "Mutation").fields.items():
        assert "flight" not in name.lower()
        assert get_named_type(field.type).name != "Flight"
        assert "Flight" not in {get_named_type(argument.type).name for argument in field.args.values()}


def test_a_booking_request_cannot_name_the_price_or_the_customer(schema: GraphQLSchema) -> None:
    # The saga charges the catalog price to the caller: neither is the caller's to say.
    booking_input = schema.get_type("ProcessBookingInput")
    assert isinstance(booking_input, GraphQLInputObjectType)
    assert booking_input.fields.keys() == {"flightId", "paymentToken"}
    process_booking = object_type(schema, "Mutation").fields["processBooking"]
    assert {name: str(argument.type) for name, argument in process_booking.args.items()} == {
        "input": "ProcessBookingInput!"
    }
    assert object_type(schema, "BookingProcess").fields.keys() == {"id", "status"}


def test_the_queries_and_their_arguments(schema: GraphQLSchema) -> None:
    queries = object_type(schema, "Query").fields
    assert {
        name: ({argument: str(value.type) for argument, value in field.args.items()}, str(field.type))
        for name, field in queries.items()
    } == {
        "searchFlights": (
            {"departureAirportCode": "String!", "arrivalAirportCode": "String!", "departureDate": "AWSDate!"},
            "[Flight!]!",
        ),
        "getFlight": ({"id": "ID!"}, "Flight"),
        "getBooking": ({"id": "ID!"}, "Booking"),
        "listBookings": ({"limit": "Int", "nextToken": "String"}, "BookingConnection!"),
        "getLoyalty": ({"customerId": "ID"}, "Loyalty"),
    }


def test_the_result_types(schema: GraphQLSchema) -> None:
    assert {
        name: str(field.type) for name, field in object_type(schema, "BookingConnection").fields.items()
    } == {
        "items": "[Booking!]!",
        "nextToken": "String",
    }
    assert {name: str(field.type) for name, field in object_type(schema, "Loyalty").fields.items()} == {
        "points": "Int!",
        "level": "String!",
        "remainingPoints": "Int!",
    }
    status = schema.get_type("BookingStatus")
    assert isinstance(status, GraphQLEnumType)
    assert set(status.values) == {"UNCONFIRMED", "CONFIRMED", "CANCELLED"}


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
    schema: GraphQLSchema, type_name: str, field_name: str, modes: set[str]
) -> None:
    assert directives_of(object_type(schema, type_name).fields[field_name]) == modes


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
def test_who_may_read_each_type(schema: GraphQLSchema, type_name: str, modes: set[str]) -> None:
    # With several auth modes a type readable by IAM callers must say so, and one that is not must not.
    assert directives_of(object_type(schema, type_name)) == modes


def test_the_schema_has_queries_and_mutations_only(schema: GraphQLSchema) -> None:
    assert schema.query_type is not None
    assert schema.mutation_type is not None
    assert (schema.query_type.name, schema.mutation_type.name) == ("Query", "Mutation")
    assert schema.subscription_type is None
    assert schema.get_type("Subscription") is None
