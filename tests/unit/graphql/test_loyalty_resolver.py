"""Query.getLoyalty: a customer's own points by default; another customer's for the Admin group only."""

from __future__ import annotations

import json

import pytest

from tests.support.local_cloud import AppSyncError, ResolverRuntime
from tests.unit.graphql.contexts import (
    CUSTOMER,
    OTHER_CUSTOMER,
    RESOLVERS,
    STAGE,
    context,
    customer,
    http_result,
    iam_caller,
)

LOYALTY = RESOLVERS / "Query.getLoyalty.js"
UNAUTHORIZED = AppSyncError("Not Authorized to access getLoyalty on type Query", "Unauthorized")


def _get(customer_id: str) -> dict[str, object]:
    return {
        "method": "GET",
        "resourcePath": f"/{STAGE}/loyalty/{customer_id}/get",
        "params": {"headers": {"accept": "application/json"}},
    }


def test_a_customer_reads_their_own_loyalty_by_default(runtime: ResolverRuntime) -> None:
    result = runtime.evaluate(LOYALTY, "request", context("Query", "getLoyalty", identity=customer()))

    assert result.value == _get(CUSTOMER)


def test_a_customer_may_name_themselves(runtime: ResolverRuntime) -> None:
    result = runtime.evaluate(
        LOYALTY,
        "request",
        context("Query", "getLoyalty", arguments={"customerId": CUSTOMER}, identity=customer()),
    )

    assert result.value == _get(CUSTOMER)


@pytest.mark.parametrize("groups", [None, [], ["Staff"], ["admin"], ["Admins"]])
def test_a_customer_may_not_read_another_customers_loyalty(
    runtime: ResolverRuntime, groups: list[str] | None
) -> None:
    result = runtime.evaluate(
        LOYALTY,
        "request",
        context(
            "Query", "getLoyalty", arguments={"customerId": OTHER_CUSTOMER}, identity=customer(groups=groups)
        ),
    )

    assert result.value is None
    assert result.error == UNAUTHORIZED


def test_an_admin_may_read_another_customers_loyalty(runtime: ResolverRuntime) -> None:
    result = runtime.evaluate(
        LOYALTY,
        "request",
        context(
            "Query",
            "getLoyalty",
            arguments={"customerId": OTHER_CUSTOMER},
            identity=customer(groups=["Staff", "Admin"]),
        ),
    )

    assert result.value == _get(OTHER_CUSTOMER)


@pytest.mark.parametrize(
    "customer_id",
    [f"{OTHER_CUSTOMER}/../../other/route", "..", OTHER_CUSTOMER.upper(), f"{OTHER_CUSTOMER}?x=1", ""],
)
def test_an_admin_cannot_steer_the_signed_request_elsewhere(
    runtime: ResolverRuntime, customer_id: str
) -> None:
    result = runtime.evaluate(
        LOYALTY,
        "request",
        context(
            "Query", "getLoyalty", arguments={"customerId": customer_id}, identity=customer(groups=["Admin"])
        ),
    )

    assert result.error == AppSyncError("customerId must be a customer id (a UUID)", "BadRequest")


def test_a_caller_without_a_user_pool_identity_is_refused(runtime: ResolverRuntime) -> None:
    result = runtime.evaluate(LOYALTY, "request", context("Query", "getLoyalty", identity=iam_caller()))

    assert result.error == UNAUTHORIZED


def test_the_summary_is_answered(runtime: ResolverRuntime) -> None:
    body = json.dumps({"points": 12900, "level": "bronze", "remainingPoints": 37100})

    result = runtime.evaluate(
        LOYALTY,
        "response",
        context("Query", "getLoyalty", identity=customer(), result=http_result(200, body)),
    )

    assert result.value == {"points": 12900, "level": "bronze", "remainingPoints": 37100}


def test_the_functions_validation_error_is_a_bad_request_naming_the_parameter(
    runtime: ResolverRuntime,
) -> None:
    # GetLoyalty's answer to a customer id that is not a UUID (Powertools' request validation).
    body = json.dumps({"statusCode": 422, "detail": [{"loc": ["path", "customerId"], "type": "value_error"}]})

    result = runtime.evaluate(
        LOYALTY,
        "response",
        context("Query", "getLoyalty", identity=customer(), result=http_result(422, body)),
    )

    assert result.error == AppSyncError(
        "The loyalty service rejected the request: invalid path.customerId", "BadRequest"
    )


def test_a_403_from_api_gateway_is_an_authorization_error_without_its_details(
    runtime: ResolverRuntime,
) -> None:
    body = json.dumps(
        {
            "message": "User: arn:aws:sts::123456789012:assumed-role/LoyaltyDataSourceRole/APPSYNC is "
            "not authorized to perform: execute-api:Invoke on resource: "
            "arn:aws:execute-api:eu-west-1:123456789012:abc123defg/dev/GET/loyalty/x/get with a deny"
        }
    )

    result = runtime.evaluate(
        LOYALTY,
        "response",
        context("Query", "getLoyalty", identity=customer(), result=http_result(403, body)),
    )

    assert result.error == AppSyncError("The loyalty service refused the request", "Forbidden")


@pytest.mark.parametrize(
    "body", [json.dumps({"message": "Too Many Requests"}), json.dumps({"message": "Limit Exceeded"}), ""]
)
def test_a_429_from_api_gateway_is_a_retryable_throttled_error(runtime: ResolverRuntime, body: str) -> None:
    result = runtime.evaluate(
        LOYALTY,
        "response",
        context("Query", "getLoyalty", identity=customer(), result=http_result(429, body)),
    )

    assert result.value is None
    assert result.error == AppSyncError(
        "The loyalty service is busy: retry after a backoff",
        "Throttled",
        None,
        {"retryable": True, "retryStrategy": "exponential backoff with jitter"},
    )


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (503, json.dumps({"message": "Service Unavailable"})),
        (500, json.dumps({"message": "Internal server error"})),
        (502, "Bad Gateway"),
        (404, json.dumps({"statusCode": 404, "message": "Not found"})),
        (400, json.dumps({"message": "a 400 is not the function's answer"})),
    ],
)
def test_other_failures_are_loyalty_service_errors(runtime: ResolverRuntime, status: int, body: str) -> None:
    result = runtime.evaluate(
        LOYALTY,
        "response",
        context("Query", "getLoyalty", identity=customer(), result=http_result(status, body)),
    )

    assert result.error == AppSyncError(f"The loyalty service failed (HTTP {status})", "LoyaltyServiceError")


@pytest.mark.parametrize("body", ["nope", "", json.dumps({"statusCode": 422, "detail": []})])
def test_a_422_without_a_validation_body_still_says_bad_request(runtime: ResolverRuntime, body: str) -> None:
    result = runtime.evaluate(
        LOYALTY,
        "response",
        context("Query", "getLoyalty", identity=customer(), result=http_result(422, body)),
    )

    assert result.error == AppSyncError("The loyalty service rejected the request", "BadRequest")


def test_a_failed_call_is_passed_on(runtime: ResolverRuntime) -> None:
    error = {"message": "Connection timed out", "type": "HttpDataSourceTimeout"}

    result = runtime.evaluate(
        LOYALTY, "response", context("Query", "getLoyalty", identity=customer(), error=error)
    )

    assert result.error == AppSyncError("Connection timed out", "HttpDataSourceTimeout")
