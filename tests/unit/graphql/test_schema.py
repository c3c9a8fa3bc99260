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
HERE = "tests/unit/graphql/test_schema.py"
# Who may call each top-level field, and read each object type, as the schema writes it: every one is
# listed, so a field or type added to graphql/schema.graphql fails until its line is added here. (What
# each kind of caller then gets from it is tests/template/test_graphql_authorization_matrix.py's.)
FIELD_MODES = {
    ("Query", "searchFlights"): {COGNITO, IAM},
    ("Query", "getFlight"): {COGNITO, IAM},
    ("Query", "getBooking"): {COGNITO},
    ("Query", "listBookings"): {COGNITO},
    ("Query", "getLoyalty"): {COGNITO},
    ("Mutation", "processBooking"): {COGNITO},
}
TYPE_MODES = {
    "Flight": {COGNITO, IAM},
    "Booking": {COGNITO},
    "BookingConnection": {COGNITO},
    "Loyalty": {COGNITO},
    "BookingProcess": {COGNITO},
}


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
    catalog = {
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
    assert set(object_type(schema, "Flight").fields) == catalog, (
        f"this pins the catalog's fields: a field added to Flight is added here ({HERE}) once it is "
        "known to be catalog data, readable by every caller of the catalog"
    )


def test_the_only_mutation_starts_a_booking(schema: GraphQLSchema) -> None:
    assert set(object_type(schema, "Mutation").fields) == {"processBooking"}, (
        f"this pins the mutations: a mutation added to graphql/schema.graphql is added here ({HERE}); "
        "docs/recipes.md lists the other files a new field needs"
    )


def test_no_mutation_touches_flights(schema: GraphQLSchema) -> None:
    for name, field in object_type(schema, "Mutation").fields.items():
        assert "flight" not in name.lower()
        assert get_named_type(field.type).name != "Flight"
        assert "Flight" not in {get_named_type(argument.type).name for argument in field.args.values()}


def test_a_booking_request_cannot_name_the_price_or_the_customer(schema: GraphQLSchema) -> None:
    # The saga charges the catalog price to the caller: neither is the caller's to say.
    booking_input = schema.get_type("ProcessBookingInput")
    assert isinstance(booking_input, GraphQLInputObjectType)
    assert booking_input.fields.keys() == {"requestId", "flightId", "paymentToken"}
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
    }, (
        f"this pins every query, its arguments and its type: a query added to or changed in "
        f"graphql/schema.graphql is added or changed here too ({HERE}); docs/recipes.md lists the other "
        "files a new field needs"
    )


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


def test_every_top_level_field_and_type_says_who_may_read_it(schema: GraphQLSchema) -> None:
    roots = [root for root in (schema.query_type, schema.mutation_type) if root]
    fields = {(root.name, name) for root in roots for name in root.fields}
    types = {
        name
        for name, named in schema.type_map.items()
        if isinstance(named, GraphQLObjectType) and not name.startswith("__") and named not in roots
    }

    assert fields - FIELD_MODES.keys() == set(), (
        f"add each of these fields' auth directives to FIELD_MODES in {HERE}"
    )
    assert types - TYPE_MODES.keys() == set(), (
        f"add each of these types' auth directives to TYPE_MODES in {HERE}"
    )
    assert FIELD_MODES.keys() - fields == set(), f"remove these fields from FIELD_MODES in {HERE}"
    assert TYPE_MODES.keys() - types == set(), f"remove these types from TYPE_MODES in {HERE}"


@pytest.mark.parametrize(("type_name", "field_name"), sorted(FIELD_MODES))
def test_who_may_call_each_field(schema: GraphQLSchema, type_name: str, field_name: str) -> None:
    assert (
        directives_of(object_type(schema, type_name).fields[field_name])
        == FIELD_MODES[(type_name, field_name)]
    )


@pytest.mark.parametrize("type_name", sorted(TYPE_MODES))
def test_who_may_read_each_type(schema: GraphQLSchema, type_name: str) -> None:
    # With several auth modes a type readable by IAM callers must say so, and one that is not must not.
    assert directives_of(object_type(schema, type_name)) == TYPE_MODES[type_name]


def test_the_schema_has_queries_and_mutations_only(schema: GraphQLSchema) -> None:
    assert schema.query_type is not None
    assert schema.mutation_type is not None
    assert (schema.query_type.name, schema.mutation_type.name) == ("Query", "Mutation")
    assert schema.subscription_type is None
    assert schema.get_type("Subscription") is None
