"""The GraphQL authorization matrix, offline: what every kind of caller gets from every field of every
type of graphql/schema.graphql (secaudit.graphql_matrix), and a check that each resolver's code does
what its ownership rule (tools/secaudit/graphql_ownership.yaml) says.

The expected cells are written here, not read from the module that computes them. A field added to the
schema has no row here and fails until one is written: what should a customer, another customer, an
Admin, an IAM principal, an anonymous caller and an API key get from it?"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from graphql import GraphQLObjectType, GraphQLSchema, get_named_type
from tests.support.audit import graphql_matrix
from tests.support.local_cloud import (
    ApiDefinition,
    Authenticated,
    AuthenticationType,
    Authenticator,
    DataSources,
    GraphQLEngine,
    Invocation,
    MotoIdentityDirectory,
    RequestContext,
    ResolverRuntime,
    StaticKeys,
    build_appsync_schema,
)
from tests.support.template import REPOSITORY_ROOT, project_template

HERE = "tests/template/test_graphql_authorization_matrix.py"
COLUMNS = ("customer", "another customer", "Admin", "IAM principal", "anonymous", "API key")

A = "allowed"
OWN = "owner-only"
SCHEMA = "denied (schema)"
REQUEST = "denied (request)"
CATALOG = (A, A, A, A, REQUEST, REQUEST)
CUSTOMERS_OWN = (A, OWN, OWN, SCHEMA, REQUEST, REQUEST)
LOYALTY = (A, OWN, A, SCHEMA, REQUEST, REQUEST)

# One row per field of every type; the columns are COLUMNS. The customer asks about their own data, the
# others about the customer's: anonymous and API-key requests never reach a field (the API has no
# API_KEY mode); IAM principals read the catalog only.
EXPECTED: dict[str, tuple[str, ...]] = {
    "Query.searchFlights": CATALOG,
    "Query.getFlight": CATALOG,
    "Query.getBooking": CUSTOMERS_OWN,
    "Query.listBookings": CUSTOMERS_OWN,
    "Query.getLoyalty": LOYALTY,
    "Mutation.processBooking": CUSTOMERS_OWN,
    "Flight.id": CATALOG,
    "Flight.flightNumber": CATALOG,
    "Flight.departureAirportCode": CATALOG,
    "Flight.arrivalAirportCode": CATALOG,
    "Flight.departureDate": CATALOG,
    "Flight.departureDateTime": CATALOG,
    "Flight.arrivalDateTime": CATALOG,
    "Flight.price": CATALOG,
    "Flight.currency": CATALOG,
    "Flight.seatCapacity": CATALOG,
    "Flight.seatsAvailable": CATALOG,
    "Booking.id": CUSTOMERS_OWN,
    "Booking.flightId": CUSTOMERS_OWN,
    "Booking.status": CUSTOMERS_OWN,
    "Booking.amount": CUSTOMERS_OWN,
    "Booking.currency": CUSTOMERS_OWN,
    "Booking.createdAt": CUSTOMERS_OWN,
    "Booking.bookingReference": CUSTOMERS_OWN,
    "Booking.confirmedAt": CUSTOMERS_OWN,
    "Booking.cancelledAt": CUSTOMERS_OWN,
    "Booking.cancellationReason": CUSTOMERS_OWN,
    "BookingConnection.items": CUSTOMERS_OWN,
    "BookingConnection.nextToken": CUSTOMERS_OWN,
    "Loyalty.points": LOYALTY,
    "Loyalty.level": LOYALTY,
    "Loyalty.remainingPoints": LOYALTY,
    "BookingProcess.id": CUSTOMERS_OWN,
    "BookingProcess.status": CUSTOMERS_OWN,
}


def unexpected_cells(decided: dict[str, tuple[str, ...]]) -> list[str]:
    """What differs from EXPECTED, each saying what to do about it."""
    problems = [
        f"{field} has no expected row: add `{field!r}: (...)` to EXPECTED in {HERE}, one cell per caller "
        f"{COLUMNS}, as docs/graphql-authorization.md explains them"
        for field in decided
        if field not in EXPECTED
    ]
    problems += [
        f"{field} is not in the schema any more: remove its row from EXPECTED in {HERE}"
        for field in EXPECTED
        if field not in decided
    ]
    for field, cells in decided.items():
        if field in EXPECTED and cells != EXPECTED[field]:
            changed = [
                f"{caller}: {cell} (expected {expected})"
                for caller, cell, expected in zip(COLUMNS, cells, EXPECTED[field], strict=True)
                if cell != expected
            ]
            problems.append(f"{field}: {'; '.join(changed)}")
    return problems


@pytest.fixture(scope="module")
def api() -> graphql_matrix.GraphQLApi:
    return graphql_matrix.api_of(project_template())


def test_every_field_gets_exactly_the_expected_cells(api: graphql_matrix.GraphQLApi) -> None:
    decided = graphql_matrix.rows(graphql_matrix.decide(api))

    assert unexpected_cells(decided) == []
    assert len(decided) == len(graphql_matrix.fields_of(api.schema)) > 30


def test_the_columns_are_the_matrixs_callers() -> None:
    assert tuple(caller.name for caller in graphql_matrix.CALLERS) == COLUMNS


def test_the_checked_in_document_is_up_to_date(api: graphql_matrix.GraphQLApi) -> None:
    ownership = graphql_matrix.load_ownership()
    generated = graphql_matrix.document(api, graphql_matrix.decide(api, ownership), ownership)

    assert graphql_matrix.DOCS_PATH.read_text(encoding="utf-8") == generated, (
        "docs/graphql-authorization.md is out of date: run `python -m secaudit.graphql_matrix --write`"
    )


# ---------------------------------------------------------------------- changes the matrix catches


def with_schema(api: graphql_matrix.GraphQLApi, sdl: str, *resolved: str) -> graphql_matrix.GraphQLApi:
    return graphql_matrix.GraphQLApi(
        build_appsync_schema(sdl), api.default_mode, api.additional_modes, api.resolved | set(resolved)
    )


def schema_text() -> str:
    return (REPOSITORY_ROOT / "graphql" / "schema.graphql").read_text(encoding="utf-8")


def test_a_new_iam_query_has_no_row_and_says_where_to_add_one(api: graphql_matrix.GraphQLApi) -> None:
    sdl = schema_text().replace(
        "type Query {", "type Query {\n  allBookings: [Booking!]! @aws_cognito_user_pools @aws_iam\n", 1
    )
    ownership = {
        **graphql_matrix.load_ownership(),
        "Query.allBookings": graphql_matrix.Ownership("Query.allBookings", "owner", "the caller's own"),
    }

    decided = graphql_matrix.rows(
        graphql_matrix.decide(with_schema(api, sdl, "Query.allBookings"), ownership)
    )

    assert any(
        problem.startswith(
            f"Query.allBookings has no expected row: add `'Query.allBookings': (...)` to EXPECTED in {HERE}"
        )
        for problem in unexpected_cells(decided)
    )
    # Only the resolver's own check keeps IAM principals out now: the matrix says so.
    assert decided["Query.allBookings"][3] == "denied (resolver)"


def test_a_resolver_without_an_ownership_rule_is_refused_saying_where(api: graphql_matrix.GraphQLApi) -> None:
    sdl = schema_text().replace("type Query {", "type Query {\n  everyone: [Booking!]!\n", 1)

    with pytest.raises(graphql_matrix.MatrixError) as refused:
        graphql_matrix.decide(with_schema(api, sdl, "Query.everyone"))

    assert "Query.everyone" in str(refused.value).split(":", 1)[0]
    assert "a resolver without an ownership rule" in str(refused.value)
    assert "tools/secaudit/graphql_ownership.yaml" in str(refused.value)


def test_opening_a_customer_type_to_iam_is_caught(api: graphql_matrix.GraphQLApi) -> None:
    sdl = (
        schema_text()
        .replace(
            "getBooking(id: ID!): Booking @aws_cognito_user_pools",
            "getBooking(id: ID!): Booking @aws_cognito_user_pools @aws_iam",
        )
        .replace("type Booking @aws_cognito_user_pools {", "type Booking @aws_cognito_user_pools @aws_iam {")
    )

    problems = unexpected_cells(graphql_matrix.rows(graphql_matrix.decide(with_schema(api, sdl))))

    assert "Query.getBooking: IAM principal: denied (resolver) (expected denied (schema))" in problems
    # Booking now admits IAM too, but nothing an IAM principal may read returns one.
    assert "Booking.amount: IAM principal: denied (no path) (expected denied (schema))" in problems


def test_a_type_without_directives_is_the_default_modes_only(api: graphql_matrix.GraphQLApi) -> None:
    # AppSync's rule: no directive on the field or its type means the default mode (user pools) only,
    # so the IAM principal loses the flight catalog's fields though searchFlights still admits it.
    sdl = schema_text().replace("type Flight @aws_cognito_user_pools @aws_iam {", "type Flight {")

    decided = graphql_matrix.rows(graphql_matrix.decide(with_schema(api, sdl)))

    assert decided["Query.searchFlights"] == CATALOG
    assert decided["Flight.price"] == (A, A, A, SCHEMA, REQUEST, REQUEST)


def test_dropping_the_admin_groups_reach_is_caught(api: graphql_matrix.GraphQLApi) -> None:
    ownership = graphql_matrix.load_ownership()
    ownership["Query.getLoyalty"] = graphql_matrix.Ownership("Query.getLoyalty", "owner", "own only")

    problems = unexpected_cells(graphql_matrix.rows(graphql_matrix.decide(api, ownership)))

    assert "Query.getLoyalty: Admin: owner-only (expected allowed)" in problems
    assert "Loyalty.points: Admin: owner-only (expected allowed)" in problems


def test_an_api_key_mode_would_open_only_what_names_it(api: graphql_matrix.GraphQLApi) -> None:
    keyed = graphql_matrix.GraphQLApi(
        api.schema, api.default_mode, api.additional_modes | {AuthenticationType.API_KEY}, api.resolved
    )

    decided = graphql_matrix.rows(graphql_matrix.decide(keyed))

    assert {cells[5] for cells in decided.values()} == {SCHEMA}


# ---------------------------------------------------------------------- each resolver does what its rule says

CUSTOMER = "0d3c3a1e-5b7f-4c1e-9a8e-2f6b1d4c7e90"
VICTIM = "7b1e9c2a-3f4d-4e5a-8b6c-9d0e1f2a3b4c"
CUSTOMERS_BOOKING = "5f0c1d2e-3a4b-4c5d-8e6f-7a8b9c0d1e2f"
VICTIMS_BOOKING = "3f6c1a2b-4d5e-4f60-8a7b-9c0d1e2f3a4b"
VICTIMS_POINTS = 424242
FLIGHT = "SA101-2099-01-08"
# What each field is asked, about the victim's data first and then about the caller's own.
ARGUMENTS: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "Query.searchFlights": (
        {"departureAirportCode": "LGW", "arrivalAirportCode": "MAD", "departureDate": "2099-01-08"},
    )
    * 2,
    "Query.getFlight": ({"id": FLIGHT},) * 2,
    "Query.getBooking": ({"id": VICTIMS_BOOKING}, {"id": CUSTOMERS_BOOKING}),
    "Query.listBookings": ({},) * 2,
    "Query.getLoyalty": ({"customerId": VICTIM}, {}),
    "Mutation.processBooking": (
        {
            "input": {
                "requestId": "9c1f4a2b-6d3e-4f5a-8b7c-0d1e2f3a4b5c",
                "flightId": FLIGHT,
                "paymentToken": "tok_visa",
            }
        },
    )
    * 2,
}


def flight() -> dict[str, Any]:
    return {
        "id": FLIGHT,
        "flightNumber": "SA101",
        "departureAirportCode": "LGW",
        "arrivalAirportCode": "MAD",
        "route": "LGW#MAD",
        "departureDate": "2099-01-08",
        "departureDateTime": "2099-01-08T08:05:00+00:00",
        "arrivalDateTime": "2099-01-08T10:35:00+00:00",
        "price": 12900,
        "currency": "EUR",
        "seatCapacity": 180,
        "seatsAvailable": 178,
    }


def booking(booking_id: str, owner: str) -> dict[str, Any]:
    return {
        "id": booking_id,
        "customerId": owner,
        "flightId": FLIGHT,
        "status": "UNCONFIRMED",
        "amount": 12900,
        "currency": "EUR",
        "createdAt": "2099-01-01T12:00:00.000000+00:00",
    }


class TheStacksData(DataSources):
    """The data sources as the stack's would answer: a booking by its id (the victim's, for the
    victim's id), the partition a Query names (everyone's bookings if it names none), the loyalty API's
    points for the customer in the path. Every request is kept."""

    def __init__(self, definition: ApiDefinition, directory: MotoIdentityDirectory) -> None:
        super().__init__(
            definition, directory, aws_endpoint_url="http://127.0.0.1:9", http_endpoint=lambda url: url
        )
        self.requests: list[str] = []

    def invoke(self, name: str, request: Any) -> Invocation:
        text = json.dumps(request)
        self.requests.append(text)
        named = [customer for customer in (CUSTOMER, VICTIM) if customer in text]
        if name == "FlightTable":
            return Invocation({"items": [flight()]} if request["operation"] == "Query" else flight())
        if name == "BookingTable" and request["operation"] == "GetItem":
            booking_id = request["key"]["id"]["S"]
            return Invocation(booking(booking_id, VICTIM if booking_id == VICTIMS_BOOKING else CUSTOMER))
        if name == "BookingTable":
            everyone = {CUSTOMER: CUSTOMERS_BOOKING, VICTIM: VICTIMS_BOOKING}
            owners = named or list(everyone)
            return Invocation({"items": [booking(everyone[owner], owner) for owner in owners]})
        if name == "LoyaltyApi":
            points = VICTIMS_POINTS if VICTIM in named else 1200
            body = {"points": points, "level": "bronze", "remainingPoints": 50000 - points}
            return Invocation({"statusCode": 200, "headers": {}, "body": json.dumps(body)})
        if name == "PaymentRegistrations":
            # A new request: nothing registered under its booking id yet, then its registration.
            registering = request["operation"] == "PutItem"
            return Invocation({"bookingId": request["key"]["bookingId"]["S"]} if registering else None)
        if name == "BookingWorkflow":
            body = {"executionArn": "arn:aws:states:eu-west-1:123456789012:execution:x:y", "startDate": 0}
            return Invocation({"statusCode": 200, "headers": {}, "body": json.dumps(body)})
        raise AssertionError(f"data source {name} has no answer: add one to TheStacksData in {HERE}")


@pytest.fixture(scope="module")
def definition() -> ApiDefinition:
    return graphql_matrix.offline_definition(project_template())


@pytest.fixture(scope="module")
def runtime() -> Iterator[ResolverRuntime]:
    with ResolverRuntime() as resolver_runtime:
        yield resolver_runtime


def ask(
    definition: ApiDefinition,
    runtime: ResolverRuntime,
    field: str,
    arguments: dict[str, Any],
    identity: dict[str, Any],
    *,
    groups: frozenset[str] = frozenset(),
) -> tuple[dict[str, Any], list[str]]:
    """The field asked by a user pool caller with this identity, offline: the response and every
    request its resolver sent to a data source."""
    directory = MotoIdentityDirectory(definition.account_id, definition.region)
    data = TheStacksData(definition, directory)
    engine = GraphQLEngine(
        definition, runtime, data, Authenticator(definition, directory, keys=StaticKeys({}))
    )
    type_name, name = field.split(".")
    operation = "mutation" if type_name == "Mutation" else "query"
    selection = _selection(engine.schema, type_name, name)
    document = f"{operation} {{ {name}{_arguments(arguments)} {selection} }}"
    caller = Authenticated(AuthenticationType.AMAZON_COGNITO_USER_POOLS, identity, groups)
    response = engine.execute({"query": document}, RequestContext(caller, {}, "203.0.113.10"))
    return response, data.requests


def _arguments(arguments: dict[str, Any]) -> str:
    if not arguments:
        return ""
    return "(" + ", ".join(f"{key}: {_literal(value)}" for key, value in arguments.items()) + ")"


def _literal(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key}: {_literal(item)}" for key, item in value.items()) + "}"
    return json.dumps(value)


def _selection(schema: GraphQLSchema, type_name: str, name: str) -> str:
    """Every field of the field's type, and of the types below it."""
    root = schema.get_type(type_name)
    assert isinstance(root, GraphQLObjectType)
    target = get_named_type(root.fields[name].type)
    if not isinstance(target, GraphQLObjectType):
        return ""
    return (
        "{ " + " ".join(f"{field} {_selection(schema, target.name, field)}" for field in target.fields) + " }"
    )


def identity_of(sub: str | None, groups: list[str] | None = None) -> dict[str, Any]:
    claims = {"token_use": "id", **({"sub": sub} if sub else {})}
    return {
        **({"sub": sub} if sub else {}),
        "username": sub or "no-sub",
        "groups": groups,
        "claims": claims,
        "issuer": "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEfGhI",
        "sourceIp": ["203.0.113.10"],
        "defaultAuthStrategy": "ALLOW",
    }


def leaks(response: dict[str, Any]) -> bool:
    text = json.dumps(response.get("data"))
    return any(mark in text for mark in (VICTIM, VICTIMS_BOOKING, str(VICTIMS_POINTS)))


def ownership_rules() -> list[graphql_matrix.Ownership]:
    return list(graphql_matrix.load_ownership().values())


@pytest.mark.parametrize("rule", ownership_rules(), ids=lambda rule: rule.field)
def test_each_resolver_reaches_what_its_ownership_rule_says(
    definition: ApiDefinition, runtime: ResolverRuntime, rule: graphql_matrix.Ownership
) -> None:
    assert rule.field in ARGUMENTS, (
        f"{rule.field} has no sample arguments: add them to ARGUMENTS in {HERE} (about the victim's data, "
        "then about the caller's own)"
    )
    about_victim, about_own = ARGUMENTS[rule.field]
    name = rule.field.split(".")[1]

    own, _ = ask(definition, runtime, rule.field, about_own, identity_of(CUSTOMER))
    theirs, requests = ask(definition, runtime, rule.field, about_victim, identity_of(CUSTOMER))
    nobody, nobodys_requests = ask(definition, runtime, rule.field, about_own, identity_of(None))

    assert own["data"][name] is not None, own
    if rule.reach == "anyone":
        # Whoever asks, the same answer: nothing in it depends on the caller.
        assert theirs == own == nobody
        return
    assert not leaks(theirs), f"{rule.field} gave the caller another customer's data: {theirs}"
    assert not any(VICTIM in request for request in requests), f"{rule.field} asked for the victim's data"
    # A caller without a user pool identity is refused before any data source is asked.
    assert (nobody["data"] or {}).get(name) is None
    assert [error["errorType"] for error in nobody["errors"]] == ["Unauthorized"]
    assert nobodys_requests == []
    if rule.unless_group:
        staff, _ = ask(
            definition,
            runtime,
            rule.field,
            about_victim,
            identity_of(CUSTOMER, [rule.unless_group]),
            groups=frozenset({rule.unless_group}),
        )
        assert leaks(staff), f"{rule.field} should let the {rule.unless_group} group reach the victim's data"
