"""Query.searchFlights and Query.getFlight: the read-only flight catalog."""

from __future__ import annotations

import pytest

from tests.support.local_cloud import AppSyncError, ResolverRuntime
from tests.unit.graphql.contexts import RESOLVERS, context, customer, flight_item, iam_caller

SEARCH = RESOLVERS / "Query.searchFlights.js"
GET = RESOLVERS / "Query.getFlight.js"

PUBLIC_FLIGHT = {
    "id": "SA101-2030-01-08",
    "flightNumber": "SA101",
    "departureAirportCode": "LGW",
    "arrivalAirportCode": "MAD",
    "departureDate": "2030-01-08",
    "departureDateTime": "2030-01-08T08:05:00+00:00",
    "arrivalDateTime": "2030-01-08T10:35:00+00:00",
    "price": 12900,
    "currency": "EUR",
    "seatCapacity": 180,
    "seatsAvailable": 178,
}


def search(**arguments: str) -> dict[str, object]:
    return {
        "departureAirportCode": "LGW",
        "arrivalAirportCode": "MAD",
        "departureDate": "2030-01-08",
        **arguments,
    }


@pytest.mark.parametrize("identity", [customer(), iam_caller()], ids=["customer", "iam"])
def test_search_queries_the_route_index_for_the_day(
    runtime: ResolverRuntime, identity: dict[str, object]
) -> None:
    result = runtime.evaluate(
        SEARCH, "request", context("Query", "searchFlights", arguments=search(), identity=identity)
    )

    assert result.value == {
        "operation": "Query",
        "index": "byRoute",
        "query": {
            "expression": "#route = :route AND #departureDate = :departureDate",
            "expressionNames": {"#route": "route", "#departureDate": "departureDate"},
            "expressionValues": {":route": {"S": "LGW#MAD"}, ":departureDate": {"S": "2030-01-08"}},
        },
    }


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"departureAirportCode": "lgw"}, "departureAirportCode must be a three-letter IATA airport code"),
        ({"departureAirportCode": "LGW#X"}, "departureAirportCode must be a three-letter IATA airport code"),
        ({"arrivalAirportCode": "MADR"}, "arrivalAirportCode must be a three-letter IATA airport code"),
        ({"arrivalAirportCode": ""}, "arrivalAirportCode must be a three-letter IATA airport code"),
        ({"arrivalAirportCode": "LGW"}, "departureAirportCode and arrivalAirportCode must differ"),
        ({"departureDate": "2030-01-08Z"}, "departureDate must be a date without a time zone"),
    ],
)
def test_search_refuses_bad_input(runtime: ResolverRuntime, arguments: dict[str, str], message: str) -> None:
    result = runtime.evaluate(
        SEARCH,
        "request",
        context("Query", "searchFlights", arguments=search(**arguments), identity=customer()),
    )

    assert result.value is None
    assert result.error is not None
    assert result.error.type == "BadRequest"
    assert result.error.message.startswith(message)


def test_search_answers_catalog_fields_only(runtime: ResolverRuntime) -> None:
    items = [flight_item(), flight_item("SA103-2030-01-08", flightNumber="SA103", seatsAvailable=0)]

    result = runtime.evaluate(
        SEARCH,
        "response",
        context("Query", "searchFlights", arguments=search(), result={"items": items, "scannedCount": 2}),
    )

    assert result.value == [
        PUBLIC_FLIGHT,
        {**PUBLIC_FLIGHT, "id": "SA103-2030-01-08", "flightNumber": "SA103", "seatsAvailable": 0},
    ]
    assert all("reservedBookings" not in flight and "route" not in flight for flight in result.value)


def test_search_with_no_flights_answers_an_empty_list(runtime: ResolverRuntime) -> None:
    result = runtime.evaluate(
        SEARCH, "response", context("Query", "searchFlights", arguments=search(), result={"items": []})
    )

    assert result.value == []


def test_search_passes_on_a_data_source_error(runtime: ResolverRuntime) -> None:
    error = {"message": "Rate exceeded", "type": "DynamoDB:ProvisionedThroughputExceededException"}

    result = runtime.evaluate(
        SEARCH, "response", context("Query", "searchFlights", arguments=search(), error=error)
    )

    assert result.error == AppSyncError("Rate exceeded", "DynamoDB:ProvisionedThroughputExceededException")


def test_get_flight_reads_the_item_by_id(runtime: ResolverRuntime) -> None:
    result = runtime.evaluate(
        GET,
        "request",
        context("Query", "getFlight", arguments={"id": "SA101-2030-01-08"}, identity=iam_caller()),
    )

    assert result.value == {"operation": "GetItem", "key": {"id": {"S": "SA101-2030-01-08"}}}


@pytest.mark.parametrize("flight_id", ["", "SA101/2030", "SA101 2030", "x" * 65])
def test_get_flight_refuses_what_cannot_be_a_flight_id(runtime: ResolverRuntime, flight_id: str) -> None:
    result = runtime.evaluate(GET, "request", context("Query", "getFlight", arguments={"id": flight_id}))

    assert result.error is not None
    assert result.error.type == "BadRequest"


def test_get_flight_answers_catalog_fields_only(runtime: ResolverRuntime) -> None:
    result = runtime.evaluate(GET, "response", context("Query", "getFlight", result=flight_item()))

    assert result.value == PUBLIC_FLIGHT


def test_an_unknown_flight_is_null(runtime: ResolverRuntime) -> None:
    result = runtime.evaluate(GET, "response", context("Query", "getFlight", result=None))

    assert result.ok
    assert result.value is None


def test_get_flight_passes_on_a_data_source_error(runtime: ResolverRuntime) -> None:
    error = {"message": "User is not authorized", "type": "DynamoDB:AccessDeniedException"}

    result = runtime.evaluate(GET, "response", context("Query", "getFlight", error=error))

    assert result.error == AppSyncError("User is not authorized", "DynamoDB:AccessDeniedException")
