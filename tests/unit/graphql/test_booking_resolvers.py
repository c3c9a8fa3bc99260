"""Query.getBooking and Query.listBookings: a customer sees their own bookings and no one else's."""

from __future__ import annotations

import pytest

from tests.support.local_cloud import AppSyncError, ResolverRuntime
from tests.unit.graphql.contexts import (
    CUSTOMER,
    OTHER_CUSTOMER,
    RESOLVERS,
    booking_item,
    context,
    customer,
    iam_caller,
)

GET = RESOLVERS / "Query.getBooking.js"
LIST = RESOLVERS / "Query.listBookings.js"
BOOKING_ID = "3f6c1a2b-4d5e-4f60-8a7b-9c0d1e2f3a4b"

PUBLIC_BOOKING = {
    "id": BOOKING_ID,
    "flightId": "SA101-2030-01-08",
    "status": "CONFIRMED",
    "amount": 12900,
    "currency": "EUR",
    "createdAt": "2030-01-01T12:00:00.000000+00:00",
    "bookingReference": "Q7K2PX",
    "confirmedAt": "2030-01-01T12:00:05.000000+00:00",
    "cancelledAt": None,
    "cancellationReason": None,
}


def test_get_booking_reads_the_item_by_id(runtime: ResolverRuntime) -> None:
    result = runtime.evaluate(
        GET, "request", context("Query", "getBooking", arguments={"id": BOOKING_ID}, identity=customer())
    )

    assert result.value == {"operation": "GetItem", "key": {"id": {"S": BOOKING_ID}}}


def test_get_booking_needs_a_customer(runtime: ResolverRuntime) -> None:
    result = runtime.evaluate(
        GET, "request", context("Query", "getBooking", arguments={"id": BOOKING_ID}, identity=iam_caller())
    )

    assert result.error == AppSyncError("Not Authorized to access getBooking on type Query", "Unauthorized")


@pytest.mark.parametrize("booking_id", ["", "not-a-uuid", BOOKING_ID.upper(), f"{BOOKING_ID}/x"])
def test_get_booking_refuses_what_cannot_be_a_booking_id(runtime: ResolverRuntime, booking_id: str) -> None:
    result = runtime.evaluate(
        GET, "request", context("Query", "getBooking", arguments={"id": booking_id}, identity=customer())
    )

    assert result.error is not None
    assert result.error.type == "BadRequest"


def test_a_customer_gets_their_own_booking(runtime: ResolverRuntime) -> None:
    result = runtime.evaluate(
        GET,
        "response",
        context(
            "Query",
            "getBooking",
            arguments={"id": BOOKING_ID},
            identity=customer(),
            result=booking_item(BOOKING_ID),
        ),
    )

    assert result.value == PUBLIC_BOOKING


def test_another_customers_booking_is_null_like_an_unknown_one(runtime: ResolverRuntime) -> None:
    arguments = {"id": BOOKING_ID}
    theirs = runtime.evaluate(
        GET,
        "response",
        context(
            "Query",
            "getBooking",
            arguments=arguments,
            identity=customer(),
            result=booking_item(BOOKING_ID, customer_id=OTHER_CUSTOMER),
        ),
    )
    unknown = runtime.evaluate(
        GET, "response", context("Query", "getBooking", arguments=arguments, identity=customer(), result=None)
    )

    # Same answer, no error: nothing tells the caller that the booking exists.
    assert theirs == unknown
    assert theirs.value is None
    assert theirs.error is None


def test_an_admin_does_not_see_other_customers_bookings_either(runtime: ResolverRuntime) -> None:
    result = runtime.evaluate(
        GET,
        "response",
        context(
            "Query",
            "getBooking",
            arguments={"id": BOOKING_ID},
            identity=customer(groups=["Admin"]),
            result=booking_item(BOOKING_ID, customer_id=OTHER_CUSTOMER),
        ),
    )

    assert result.value is None


def test_get_booking_passes_on_a_data_source_error(runtime: ResolverRuntime) -> None:
    error = {"message": "Throttled", "type": "DynamoDB:ThrottlingException"}

    result = runtime.evaluate(
        GET, "response", context("Query", "getBooking", identity=customer(), error=error)
    )

    assert result.error == AppSyncError("Throttled", "DynamoDB:ThrottlingException")


def _list_request(sub: str, limit: int) -> dict[str, object]:
    return {
        "operation": "Query",
        "index": "byCustomer",
        "query": {
            "expression": "#customerId = :customerId",
            "expressionNames": {"#customerId": "customerId"},
            "expressionValues": {":customerId": {"S": sub}},
        },
        "scanIndexForward": False,
        "limit": limit,
    }


def test_list_bookings_queries_the_callers_partition_newest_first(runtime: ResolverRuntime) -> None:
    result = runtime.evaluate(LIST, "request", context("Query", "listBookings", identity=customer()))

    assert result.value == _list_request(CUSTOMER, 20)


def test_list_bookings_ignores_any_customer_named_in_the_arguments(runtime: ResolverRuntime) -> None:
    # The schema has no such argument; even if a request carried one, the caller's sub is used.
    arguments = {"customerId": OTHER_CUSTOMER, "customer": OTHER_CUSTOMER, "limit": 5}

    result = runtime.evaluate(
        LIST, "request", context("Query", "listBookings", arguments=arguments, identity=customer())
    )

    assert result.value == _list_request(CUSTOMER, 5)


@pytest.mark.parametrize(("limit", "page"), [(1, 1), (100, 100), (101, 100), (10_000, 100)])
def test_list_bookings_pages_hold_at_most_a_hundred(runtime: ResolverRuntime, limit: int, page: int) -> None:
    result = runtime.evaluate(
        LIST, "request", context("Query", "listBookings", arguments={"limit": limit}, identity=customer())
    )

    assert result.value["limit"] == page


@pytest.mark.parametrize("limit", [0, -1])
def test_list_bookings_refuses_an_empty_page(runtime: ResolverRuntime, limit: int) -> None:
    result = runtime.evaluate(
        LIST, "request", context("Query", "listBookings", arguments={"limit": limit}, identity=customer())
    )

    assert result.error == AppSyncError("limit must be between 1 and 100", "BadRequest")


def test_list_bookings_continues_from_the_next_token(runtime: ResolverRuntime) -> None:
    result = runtime.evaluate(
        LIST,
        "request",
        context(
            "Query", "listBookings", arguments={"nextToken": "opaque-token", "limit": 2}, identity=customer()
        ),
    )

    assert result.value == {**_list_request(CUSTOMER, 2), "nextToken": "opaque-token"}


def test_list_bookings_needs_a_customer(runtime: ResolverRuntime) -> None:
    result = runtime.evaluate(LIST, "request", context("Query", "listBookings", identity=iam_caller()))

    assert result.error == AppSyncError("Not Authorized to access listBookings on type Query", "Unauthorized")


def test_list_bookings_answers_a_page(runtime: ResolverRuntime) -> None:
    second_id = "4a7d2b3c-5e6f-4a71-9b8c-0d1e2f3a4b5c"
    # Not yet confirmed: the item has no reference and no confirmation time at all.
    unconfirmed = booking_item(second_id, status="UNCONFIRMED")
    del unconfirmed["bookingReference"], unconfirmed["confirmedAt"]
    items = [booking_item(BOOKING_ID), unconfirmed]

    result = runtime.evaluate(
        LIST,
        "response",
        context(
            "Query", "listBookings", identity=customer(), result={"items": items, "nextToken": "next-page"}
        ),
    )

    assert result.value == {
        "items": [
            PUBLIC_BOOKING,
            {
                **PUBLIC_BOOKING,
                "id": second_id,
                "status": "UNCONFIRMED",
                "bookingReference": None,
                "confirmedAt": None,
            },
        ],
        "nextToken": "next-page",
    }
    assert all("customerId" not in booking for booking in result.value["items"])


def test_the_last_page_has_no_next_token(runtime: ResolverRuntime) -> None:
    result = runtime.evaluate(
        LIST, "response", context("Query", "listBookings", identity=customer(), result={"items": []})
    )

    assert result.value == {"items": [], "nextToken": None}


def test_list_bookings_passes_on_a_data_source_error(runtime: ResolverRuntime) -> None:
    error = {"message": "Throttled", "type": "DynamoDB:ThrottlingException"}

    result = runtime.evaluate(
        LIST, "response", context("Query", "listBookings", identity=customer(), error=error)
    )

    assert result.error == AppSyncError("Throttled", "DynamoDB:ThrottlingException")
