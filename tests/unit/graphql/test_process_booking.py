"""Mutation.processBooking: look the flight up, count the caller's bookings in flight, register the card
token for the new booking, then start the booking saga for the caller, named after the booking."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.support.local_cloud import AppSyncError, EarlyReturn, ResolverRuntime
from tests.unit.graphql.contexts import (
    CUSTOMER,
    FUNCTIONS,
    OTHER_CUSTOMER,
    RESOLVERS,
    STATE_MACHINE_ARN,
    context,
    customer,
    flight_item,
    http_result,
    iam_caller,
)

PIPELINE = RESOLVERS / "pipeline.js"
LOOK_UP_FLIGHT = FUNCTIONS / "lookUpFlight.js"
FIND_BOOKING_REQUEST = FUNCTIONS / "findBookingRequest.js"
COUNT_BOOKINGS_IN_FLIGHT = FUNCTIONS / "countBookingsInFlight.js"
REGISTER_PAYMENT_METHOD = FUNCTIONS / "registerPaymentMethod.js"
START_BOOKING = FUNCTIONS / "startBooking.js"
DEPARTURE = datetime(2030, 1, 8, 8, 5, tzinfo=UTC)
"""When the test flight leaves (flight_item's departureDateTime)."""
NOW = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
FLIGHT_ID = "SA101-2030-01-08"
REQUEST_ID = "9c1f4a2b-6d3e-4f5a-8b7c-0d1e2f3a4b5c"
INPUT = {"input": {"requestId": REQUEST_ID, "flightId": FLIGHT_ID, "paymentToken": "tok_visa"}}
BOOKING_NAMESPACE = uuid.UUID("a3bb31b4-c9bc-4077-ba88-f4aeb71ba59e")
"""The namespace of the booking ids (graphql/resolvers/pipeline.js)."""
FLIGHT = {"id": FLIGHT_ID, "price": 12900, "currency": "EUR"}
"""What lookUpFlight passes down the pipeline for flight_item(FLIGHT_ID)."""
BOOKING_ID = "5f0c1d2e-3a4b-4c5d-8e6f-7a8b9c0d1e2f"
START_EXECUTION_HEADERS = {
    "content-type": "application/x-amz-json-1.0",
    "x-amz-target": "AWSStepFunctions.StartExecution",
}


def booking_context(**changes: Any) -> dict[str, Any]:
    arguments = changes.pop("arguments", INPUT)
    identity = changes.pop("identity", customer())
    return context("Mutation", "processBooking", arguments=arguments, identity=identity, **changes)


def start_request(runtime: ResolverRuntime, **changes: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """Evaluates startBooking's request; returns the HTTP request and the StartExecution body."""
    result = runtime.evaluate(
        START_BOOKING,
        "request",
        booking_context(prev={"result": FLIGHT}, stash={"bookingId": BOOKING_ID}, **changes),
    )
    assert result.ok, result.error
    return result.value, json.loads(result.value["params"]["body"])


def register_request(runtime: ResolverRuntime, **changes: Any) -> Any:
    """Evaluates registerPaymentMethod's request."""
    return runtime.evaluate(
        REGISTER_PAYMENT_METHOD,
        "request",
        booking_context(prev={"result": FLIGHT}, stash={"bookingId": BOOKING_ID}, **changes),
        now=NOW,
    )


def test_the_pipeline_needs_a_customer(runtime: ResolverRuntime) -> None:
    result = runtime.evaluate(PIPELINE, "request", booking_context(identity=iam_caller()))

    assert result.error == AppSyncError(
        "Not Authorized to access processBooking on type Mutation", "Unauthorized"
    )


def pipeline_ids(runtime: ResolverRuntime, **changes: Any) -> dict[str, Any]:
    result = runtime.evaluate(PIPELINE, "request", booking_context(**changes))
    assert result.ok, result.error
    assert result.value == {}
    return dict(result.stash)


def request_with(**changes: str) -> dict[str, Any]:
    return {"input": {**INPUT["input"], **changes}}


def test_the_booking_id_is_the_name_based_uuid_of_the_customer_and_the_request_id(
    runtime: ResolverRuntime,
) -> None:
    stash = pipeline_ids(runtime)

    # RFC 4122 version 5: what any UUID library computes from the same namespace and name.
    assert stash["bookingId"] == str(uuid.uuid5(BOOKING_NAMESPACE, f"{CUSTOMER}:{REQUEST_ID}"))
    assert stash["requestFingerprint"] == str(
        uuid.uuid5(uuid.UUID(stash["bookingId"]), f"{FLIGHT_ID}:tok_visa")
    )


def test_the_same_request_always_has_the_same_booking_id(runtime: ResolverRuntime) -> None:
    attempts = [pipeline_ids(runtime)["bookingId"] for _ in range(3)]
    shouted = pipeline_ids(runtime, arguments=request_with(requestId=REQUEST_ID.upper()))["bookingId"]

    assert len(set(attempts)) == 1
    assert shouted == attempts[0]


def test_another_customer_or_request_id_has_another_booking_id(runtime: ResolverRuntime) -> None:
    mine = pipeline_ids(runtime)["bookingId"]
    theirs = pipeline_ids(runtime, identity=customer(OTHER_CUSTOMER))["bookingId"]
    my_next = pipeline_ids(runtime, arguments=request_with(requestId=str(uuid.uuid4())))["bookingId"]

    assert len({mine, theirs, my_next}) == 3


def test_another_flight_or_token_has_another_fingerprint_and_the_same_booking_id(
    runtime: ResolverRuntime,
) -> None:
    first = pipeline_ids(runtime)
    other_flight = pipeline_ids(runtime, arguments=request_with(flightId="SA102-2030-01-08"))
    other_token = pipeline_ids(runtime, arguments=request_with(paymentToken="tok_mastercard"))

    assert first["bookingId"] == other_flight["bookingId"] == other_token["bookingId"]
    assert (
        len(
            {
                first["requestFingerprint"],
                other_flight["requestFingerprint"],
                other_token["requestFingerprint"],
            }
        )
        == 3
    )


def test_a_long_customer_id_spans_several_hash_blocks(runtime: ResolverRuntime) -> None:
    sub = "x" * 200

    stash = pipeline_ids(runtime, identity=customer(sub))

    assert stash["bookingId"] == str(uuid.uuid5(BOOKING_NAMESPACE, f"{sub}:{REQUEST_ID}"))


@pytest.mark.parametrize("request_id", ["", "not-a-uuid", REQUEST_ID + "0", REQUEST_ID.replace("-", "")])
def test_a_malformed_request_id_is_refused(runtime: ResolverRuntime, request_id: str) -> None:
    result = runtime.evaluate(
        PIPELINE, "request", booking_context(arguments=request_with(requestId=request_id))
    )

    assert result.error == AppSyncError(
        "requestId must be a UUID made by the client for this purchase", "BadRequest"
    )
    assert "bookingId" not in result.stash


def test_a_request_is_looked_for_by_its_booking_id_reading_its_fingerprint_only(
    runtime: ResolverRuntime,
) -> None:
    result = runtime.evaluate(
        FIND_BOOKING_REQUEST, "request", booking_context(stash={"bookingId": BOOKING_ID})
    )

    assert result.value == {
        "operation": "GetItem",
        "key": {"bookingId": {"S": BOOKING_ID}},
        "projection": {
            "expression": "#requestFingerprint",
            "expressionNames": {"#requestFingerprint": "requestFingerprint"},
        },
        "consistentRead": True,
    }


def test_a_new_request_goes_on_with_the_flight(runtime: ResolverRuntime) -> None:
    result = runtime.evaluate(
        FIND_BOOKING_REQUEST,
        "response",
        booking_context(stash={"requestFingerprint": "f"}, prev={"result": FLIGHT}, result=None),
    )

    assert result.value == FLIGHT
    assert "requestedBefore" not in result.stash


def test_the_same_request_again_is_marked_as_requested_before(runtime: ResolverRuntime) -> None:
    result = runtime.evaluate(
        FIND_BOOKING_REQUEST,
        "response",
        booking_context(
            stash={"requestFingerprint": "f"}, prev={"result": FLIGHT}, result={"requestFingerprint": "f"}
        ),
    )

    assert result.value == FLIGHT
    assert result.stash["requestedBefore"] is True


def test_another_purchase_under_a_used_request_id_is_a_conflict(runtime: ResolverRuntime) -> None:
    result = runtime.evaluate(
        FIND_BOOKING_REQUEST,
        "response",
        booking_context(
            stash={"requestFingerprint": "f"}, prev={"result": FLIGHT}, result={"requestFingerprint": "g"}
        ),
    )

    assert result.error == AppSyncError(
        "This request id was already used for another purchase: make a new request id for a new purchase",
        "BookingRequestConflict",
    )


def test_a_request_made_before_is_neither_counted_nor_registered_again(runtime: ResolverRuntime) -> None:
    stash = {"bookingId": BOOKING_ID, "requestedBefore": True}
    counted = runtime.evaluate(
        COUNT_BOOKINGS_IN_FLIGHT, "request", booking_context(stash=stash, prev={"result": FLIGHT})
    )
    registered = runtime.evaluate(
        REGISTER_PAYMENT_METHOD, "request", booking_context(stash=stash, prev={"result": FLIGHT}), now=NOW
    )

    # Each step returns early with the flight: no Query, no PutItem.
    assert (counted.early_return, counted.value) == (EarlyReturn(skip_to=None), FLIGHT)
    assert (registered.early_return, registered.value) == (EarlyReturn(skip_to=None), FLIGHT)


def test_a_registration_made_at_the_same_moment_by_the_same_request_goes_on(runtime: ResolverRuntime) -> None:
    error = {"message": "The conditional request failed", "type": "DynamoDB:ConditionalCheckFailedException"}

    result = runtime.evaluate(
        REGISTER_PAYMENT_METHOD, "response", booking_context(error=error, prev={"result": FLIGHT})
    )

    assert result.ok, result.error
    assert result.value == FLIGHT


def test_a_start_of_a_saga_already_started_answers_its_booking(runtime: ResolverRuntime) -> None:
    body = json.dumps({"__type": "ExecutionAlreadyExists", "message": "Execution Already Exists: 'arn'"})

    result = runtime.evaluate(
        START_BOOKING,
        "response",
        booking_context(stash={"bookingId": BOOKING_ID}, result=http_result(400, body)),
    )

    assert result.value == {"id": BOOKING_ID, "status": "PENDING"}


def test_the_pipeline_answers_what_the_last_function_returned(runtime: ResolverRuntime) -> None:
    process = {"id": "5f0c1d2e-3a4b-4c5d-8e6f-7a8b9c0d1e2f", "status": "PENDING"}

    result = runtime.evaluate(PIPELINE, "response", booking_context(prev={"result": process}))

    assert result.value == process


def test_the_flight_is_looked_up_by_id(runtime: ResolverRuntime) -> None:
    result = runtime.evaluate(LOOK_UP_FLIGHT, "request", booking_context(prev={"result": {}}))

    assert result.value == {"operation": "GetItem", "key": {"id": {"S": FLIGHT_ID}}}


def test_a_malformed_flight_id_is_refused(runtime: ResolverRuntime) -> None:
    arguments = {"input": {"flightId": "SA101#2030", "paymentToken": "tok_visa"}}

    result = runtime.evaluate(LOOK_UP_FLIGHT, "request", booking_context(arguments=arguments))

    assert result.error is not None
    assert result.error.type == "BadRequest"


def test_a_missing_flight_stops_the_booking(runtime: ResolverRuntime) -> None:
    result = runtime.evaluate(LOOK_UP_FLIGHT, "response", booking_context(result=None))

    assert result.value is None
    assert result.error == AppSyncError("Flight not found", "NotFound")


def test_only_the_flight_id_and_its_catalog_price_go_down_the_pipeline(runtime: ResolverRuntime) -> None:
    result = runtime.evaluate(LOOK_UP_FLIGHT, "response", booking_context(result=flight_item(FLIGHT_ID)))

    assert result.value == FLIGHT


@pytest.mark.parametrize(
    "now",
    [DEPARTURE, DEPARTURE + timedelta(milliseconds=1), DEPARTURE + timedelta(days=1)],
    ids=["at departure", "a millisecond after", "a day after"],
)
def test_a_departed_flight_cannot_be_booked(runtime: ResolverRuntime, now: datetime) -> None:
    result = runtime.evaluate(
        LOOK_UP_FLIGHT, "response", booking_context(result=flight_item(FLIGHT_ID)), now=now
    )

    assert result.value is None
    assert result.error == AppSyncError(
        "The flight has already departed: it can no longer be booked", "FlightDeparted"
    )


@pytest.mark.parametrize(
    ("departure", "now"),
    [
        ("2030-01-08T08:05:00+00:00", DEPARTURE - timedelta(milliseconds=1)),
        # Compared as instants: 09:05 in Paris is 08:05 UTC, and 08:04:59 UTC is before it.
        ("2030-01-08T09:05:00+01:00", DEPARTURE - timedelta(seconds=1)),
    ],
)
def test_a_flight_that_has_not_left_yet_can_be_booked(
    runtime: ResolverRuntime, departure: str, now: datetime
) -> None:
    flight = flight_item(FLIGHT_ID, departureDateTime=departure)

    result = runtime.evaluate(LOOK_UP_FLIGHT, "response", booking_context(result=flight), now=now)

    assert result.value == FLIGHT


def test_the_bookings_in_flight_are_counted_on_the_callers_own_partition(runtime: ResolverRuntime) -> None:
    result = runtime.evaluate(
        COUNT_BOOKINGS_IN_FLIGHT, "request", booking_context(prev={"result": {"id": "x"}})
    )

    assert result.value == {
        "operation": "Query",
        "index": "byCustomer",
        "query": {
            "expression": "#customerId = :customerId",
            "expressionNames": {"#customerId": "customerId"},
            "expressionValues": {":customerId": {"S": CUSTOMER}},
        },
        "filter": {
            "expression": "#status = :unconfirmed",
            "expressionNames": {"#status": "status"},
            "expressionValues": {":unconfirmed": {"S": "UNCONFIRMED"}},
        },
        "scanIndexForward": False,
        "limit": 20,
    }


def in_flight(count: int) -> dict[str, Any]:
    return {
        "items": [{"id": f"b{index}", "status": "UNCONFIRMED"} for index in range(count)],
        "nextToken": None,
    }


@pytest.mark.parametrize("count", [0, 4])
def test_a_customer_with_room_for_another_booking_goes_on(runtime: ResolverRuntime, count: int) -> None:
    result = runtime.evaluate(
        COUNT_BOOKINGS_IN_FLIGHT,
        "response",
        booking_context(prev={"result": {"id": FLIGHT_ID}}, result=in_flight(count)),
    )

    assert result.value == {"id": FLIGHT_ID}


@pytest.mark.parametrize("count", [5, 6])
def test_a_sixth_booking_in_flight_is_refused(runtime: ResolverRuntime, count: int) -> None:
    result = runtime.evaluate(
        COUNT_BOOKINGS_IN_FLIGHT,
        "response",
        booking_context(prev={"result": {"id": FLIGHT_ID}}, result=in_flight(count)),
    )

    assert result.value is None
    assert result.error is not None
    assert result.error.type == "TooManyBookingsInFlight"
    assert "5 bookings in progress" in result.error.message


def test_a_failed_count_is_passed_on(runtime: ResolverRuntime) -> None:
    error = {"message": "Throttled", "type": "DynamoDB:ThrottlingException"}

    result = runtime.evaluate(COUNT_BOOKINGS_IN_FLIGHT, "response", booking_context(error=error))

    assert result.error == AppSyncError("Throttled", "DynamoDB:ThrottlingException")


def test_a_failed_look_up_is_passed_on(runtime: ResolverRuntime) -> None:
    error = {"message": "Throttled", "type": "DynamoDB:ThrottlingException"}

    result = runtime.evaluate(LOOK_UP_FLIGHT, "response", booking_context(error=error))

    assert result.error == AppSyncError("Throttled", "DynamoDB:ThrottlingException")


def test_the_saga_is_started_with_the_step_functions_api(runtime: ResolverRuntime) -> None:
    request, body = start_request(runtime)

    assert request["method"] == "POST"
    assert request["resourcePath"] == "/"
    assert request["params"]["headers"] == START_EXECUTION_HEADERS
    assert set(request["params"]) == {"headers", "body"}
    assert set(body) == {"stateMachineArn", "name", "input"}
    assert body["stateMachineArn"] == STATE_MACHINE_ARN


def test_the_execution_is_named_after_the_booking_and_its_input_holds_no_card_token(
    runtime: ResolverRuntime,
) -> None:
    _, body = start_request(runtime)

    assert body["name"] == BOOKING_ID
    assert json.loads(body["input"]) == {"customerId": CUSTOMER, "flightId": FLIGHT_ID}
    assert "tok_" not in json.dumps(body)


def test_the_customer_is_always_the_caller(runtime: ResolverRuntime) -> None:
    # ProcessBookingInput has no customer or price; a request that smuggled them in changes nothing.
    arguments = {
        "input": {
            "flightId": FLIGHT_ID,
            "paymentToken": "tok_visa",
            "customerId": OTHER_CUSTOMER,
            "amount": 1,
            "price": 1,
        }
    }

    _, body = start_request(runtime, arguments=arguments)
    registration = register_request(runtime, arguments=arguments).value["attributeValues"]

    assert json.loads(body["input"]) == {"customerId": CUSTOMER, "flightId": FLIGHT_ID}
    assert (registration["amount"], registration["currency"]) == ({"N": "12900"}, {"S": "EUR"})


def test_the_card_token_is_registered_for_the_booking_at_the_catalog_price(runtime: ResolverRuntime) -> None:
    result = register_request(runtime)

    assert result.value == {
        "operation": "PutItem",
        "key": {"bookingId": {"S": BOOKING_ID}},
        "attributeValues": {
            "status": {"S": "REGISTERED"},
            "paymentMethod": {"S": "tok_visa"},
            "amount": {"N": "12900"},
            "currency": {"S": "EUR"},
            "registeredAt": {"S": "2030-01-01T12:00:00.000Z"},
            # An hour to be charged in; the table's time to live deletes it after that.
            "expiresAt": {"N": str(int(NOW.timestamp()) + 3600)},
        },
        "condition": {"expression": "attribute_not_exists(bookingId)"},
    }


def test_the_registration_passes_the_flight_on_and_never_the_token(runtime: ResolverRuntime) -> None:
    written = {"bookingId": BOOKING_ID, "paymentMethod": "tok_visa", "status": "REGISTERED"}

    result = runtime.evaluate(
        REGISTER_PAYMENT_METHOD, "response", booking_context(prev={"result": FLIGHT}, result=written)
    )

    assert result.value == FLIGHT


def test_a_failed_registration_stops_the_booking_with_its_error_type_only(runtime: ResolverRuntime) -> None:
    error = {"message": "Access denied writing tok_visa", "type": "DynamoDB:AccessDeniedException"}

    result = runtime.evaluate(REGISTER_PAYMENT_METHOD, "response", booking_context(error=error))

    assert result.value is None
    assert result.error == AppSyncError(
        "The payment method could not be registered", "DynamoDB:AccessDeniedException"
    )


@pytest.mark.parametrize(
    "token",
    [
        "",
        "visa",
        "tok_",
        "tok_ visa",
        "tok_visa\n",
        "TOK_visa",
        "tok_visa-2",
        "tok_" + "a" * 65,
        "pm_card_visa",
    ],
)
def test_a_malformed_payment_token_is_refused(runtime: ResolverRuntime, token: str) -> None:
    arguments = {"input": {"flightId": FLIGHT_ID, "paymentToken": token}}

    result = register_request(runtime, arguments=arguments)

    assert result.value is None
    assert result.error == AppSyncError("paymentToken must be a payment token, e.g. tok_visa", "BadRequest")


@pytest.mark.parametrize("token", ["tok_visa", "tok_chargeDeclined", "tok_" + "a" * 64, "tok_1_2"])
def test_well_formed_payment_tokens_are_accepted(runtime: ResolverRuntime, token: str) -> None:
    arguments = {"input": {"flightId": FLIGHT_ID, "paymentToken": token}}

    result = register_request(runtime, arguments=arguments)

    assert result.value["attributeValues"]["paymentMethod"] == {"S": token}


def test_a_started_saga_answers_the_booking_id_as_pending(runtime: ResolverRuntime) -> None:
    booking_id = "5f0c1d2e-3a4b-4c5d-8e6f-7a8b9c0d1e2f"
    started = json.dumps({"executionArn": f"arn:aws:states:::execution:x:{booking_id}", "startDate": 1.9e9})

    result = runtime.evaluate(
        START_BOOKING,
        "response",
        booking_context(stash={"bookingId": booking_id}, result=http_result(200, started)),
    )

    assert result.value == {"id": booking_id, "status": "PENDING"}


@pytest.mark.parametrize(
    ("error_type", "expected"),
    [
        ("com.amazonaws.swf.service.v2.model#StateMachineDoesNotExist", "StateMachineDoesNotExist"),
        ("StateMachineDoesNotExist", "StateMachineDoesNotExist"),
        ("InvalidName:http://internal.amazon.com/coral/com.amazonaws.swf/", "InvalidName"),
        ("com.amazonaws.swf.service.v2.model#StateMachineDeleting", "StateMachineDeleting"),
    ],
)
def test_a_refused_start_is_an_error_of_the_step_functions_type(
    runtime: ResolverRuntime, error_type: str, expected: str
) -> None:
    body = json.dumps(
        {"__type": error_type, "message": f"State Machine Does Not Exist: '{STATE_MACHINE_ARN}'"}
    )

    result = runtime.evaluate(
        START_BOOKING,
        "response",
        booking_context(stash={"bookingId": "b"}, result=http_result(400, body)),
    )

    assert result.value is None
    # The type tells the client what happened; the message keeps the state machine's ARN to itself.
    assert result.error == AppSyncError("The booking could not be started", expected)


@pytest.mark.parametrize(
    "error_type",
    [
        "ThrottlingException",
        "com.amazonaws.swf.service.v2.model#ExecutionLimitExceeded",
        "ExecutionLimitExceeded:http://internal.amazon.com/coral/com.amazonaws.swf/",
    ],
)
def test_a_throttled_start_is_a_retryable_throttled_error(runtime: ResolverRuntime, error_type: str) -> None:
    body = json.dumps({"__type": error_type, "message": "Rate exceeded"})

    result = runtime.evaluate(
        START_BOOKING,
        "response",
        booking_context(stash={"bookingId": "b"}, result=http_result(400, body)),
    )

    assert result.value is None
    assert result.error == AppSyncError(
        "Too many bookings are being started: retry after a backoff with the same requestId",
        "Throttled",
        None,
        {"retryable": True, "retryStrategy": "exponential backoff with jitter"},
    )


@pytest.mark.parametrize("body", ["", "<html>Service Unavailable</html>", json.dumps({"message": "no type"})])
def test_a_failure_without_an_error_type_is_a_workflow_error(runtime: ResolverRuntime, body: str) -> None:
    result = runtime.evaluate(
        START_BOOKING, "response", booking_context(stash={"bookingId": "b"}, result=http_result(503, body))
    )

    assert result.error == AppSyncError("The booking could not be started", "BookingWorkflowError")


def test_a_failed_call_is_passed_on(runtime: ResolverRuntime) -> None:
    error = {"message": "Connection reset", "type": "HttpDataSourceError"}

    result = runtime.evaluate(
        START_BOOKING, "response", booking_context(stash={"bookingId": "b"}, error=error)
    )

    assert result.error == AppSyncError("Connection reset", "HttpDataSourceError")


def test_the_whole_pipeline_answers_the_id_of_the_execution_it_started(runtime: ResolverRuntime) -> None:
    # Each step's output and the stash carried on to the next, as AppSync runs a pipeline resolver.
    before = runtime.evaluate(PIPELINE, "request", booking_context())
    look_up = runtime.evaluate(LOOK_UP_FLIGHT, "request", booking_context(prev={"result": before.value}))
    assert look_up.value["operation"] == "GetItem"
    found = runtime.evaluate(LOOK_UP_FLIGHT, "response", booking_context(result=flight_item(FLIGHT_ID)))
    count = runtime.evaluate(
        COUNT_BOOKINGS_IN_FLIGHT, "request", booking_context(stash=before.stash, prev={"result": found.value})
    )
    counted = runtime.evaluate(
        COUNT_BOOKINGS_IN_FLIGHT,
        "response",
        booking_context(stash=count.stash, prev={"result": found.value}, result=in_flight(1)),
    )
    register = runtime.evaluate(
        REGISTER_PAYMENT_METHOD,
        "request",
        booking_context(stash=counted.stash, prev={"result": counted.value}),
    )
    registered = runtime.evaluate(
        REGISTER_PAYMENT_METHOD,
        "response",
        booking_context(stash=register.stash, prev={"result": counted.value}, result={"bookingId": "x"}),
    )
    start = runtime.evaluate(
        START_BOOKING, "request", booking_context(stash=registered.stash, prev={"result": registered.value})
    )
    started = runtime.evaluate(
        START_BOOKING,
        "response",
        booking_context(stash=start.stash, result=http_result(200, json.dumps({"executionArn": "arn"}))),
    )
    after = runtime.evaluate(
        PIPELINE, "response", booking_context(stash=started.stash, prev={"result": started.value})
    )

    execution = json.loads(start.value["params"]["body"])
    assert after.value == {"id": execution["name"], "status": "PENDING"}
    assert execution["name"] == before.stash["bookingId"]
    assert register.value["key"] == {"bookingId": {"S": execution["name"]}}
