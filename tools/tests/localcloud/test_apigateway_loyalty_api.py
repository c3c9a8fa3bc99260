"""The loyalty API of template.yaml behind the local API Gateway, over HTTP on 127.0.0.1.

Only the AppSync loyalty data source role may call it, and only ``GET /loyalty/{customerId}/get``
on its stage. Every other caller and request is refused before the function runs, and the refusal
is recorded with its reason.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import requests

from localcloud.apigateway import AccessLogRecord, InvocationResult, Stage
from stacktools.project import ACCOUNT_ID, REGION
from tests.localcloud.apigateway_support import (
    API_ID,
    APPSYNC_KEY,
    APPSYNC_SESSION,
    APPSYNC_SESSION_ARN,
    BROAD_ROLE_KEY,
    BROAD_SESSION_ARN,
    CUSTOMER_ID,
    EXPIRED_KEY,
    FUNCTION_ARN,
    LOYALTY_ARN,
    LOYALTY_PATH,
    LOYALTY_SOURCE_ARN,
    NOW,
    STAGE,
    UNKNOWN_KEY,
    USER_ARN,
    USER_KEY,
    Gateway,
    Key,
    amz_date,
    aws4auth,
    botocore_signed,
    error_of,
    loyalty_api_body,
    loyalty_callers,
    loyalty_definition,
    loyalty_stage_properties,
    serve_loyalty_api,
    with_extra_routes,
    without_statement,
)

REPOSITORY_ROOT = Path(__file__).resolve().parents[3]
MISSING_TOKEN = (403, "MissingAuthenticationTokenException", "Missing Authentication Token")
INVALID_TOKEN = (403, "UnrecognizedClientException", "The security token included in the request is invalid.")
SIGNATURE_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
)


@pytest.fixture
def gateway() -> Iterator[Gateway]:
    with serve_loyalty_api() as served:
        yield served


def _denied(user_arn: str, resource_arn: str, *, explicit: bool) -> tuple[int, str, str]:
    message = f"User: {user_arn} is not authorized to perform: execute-api:Invoke on resource: {resource_arn}"
    return 403, "AccessDeniedException", message + (" with an explicit deny" if explicit else "")


def _assert_refused_before_the_function(gateway: Gateway, reason: str) -> None:
    assert gateway.invoker.calls == []
    [refusal] = gateway.api.refusals
    assert refusal.reason is not None
    assert reason in refusal.reason


# ---------------------------------------------------------------------------------- allowed


def test_the_appsync_data_source_role_gets_the_loyalty_summary(gateway: Gateway) -> None:
    response = gateway.send_signed(APPSYNC_KEY)

    assert (response.status_code, response.json()) == (200, {"customerId": CUSTOMER_ID, "points": 1250})
    assert response.headers["Content-Type"] == "application/json"
    [(function_arn, event, source_arn)] = gateway.invoker.calls
    assert (function_arn, source_arn) == (FUNCTION_ARN, LOYALTY_SOURCE_ARN)
    assert event["requestContext"]["identity"]["userArn"] == APPSYNC_SESSION_ARN
    [record] = gateway.api.records
    assert (record.status, record.resource_arn, record.reason) == (200, LOYALTY_ARN, None)


def test_a_request_signed_with_requests_aws4auth_is_accepted(gateway: Gateway) -> None:
    response = requests.get(
        gateway.url(LOYALTY_PATH) + "?verbose=true",
        headers=amz_date(),
        auth=aws4auth(APPSYNC_KEY),
        timeout=10,
    )

    assert response.status_code == 200
    [(_, event, _)] = gateway.invoker.calls
    assert event["queryStringParameters"] == {"verbose": "true"}


def test_without_the_allow_the_roles_identity_policy_is_enough_in_the_same_account() -> None:
    # Same account: an Allow in either the identity-based or the resource-based policy grants access.
    definition = loyalty_definition(without_statement(loyalty_api_body(), "AllowAppSyncLoyaltyDataSource"))

    with serve_loyalty_api(definition) as gateway:
        response = gateway.send_signed(APPSYNC_KEY)

    assert response.status_code == 200


def test_without_the_deny_a_role_allowed_everything_gets_in() -> None:
    # What the explicit Deny is for: the Allow alone does not keep out the account's other principals.
    definition = loyalty_definition(without_statement(loyalty_api_body(), "DenyEveryoneElse"))

    with serve_loyalty_api(definition) as gateway:
        broad = gateway.send_signed(BROAD_ROLE_KEY)
        user = gateway.send_signed(USER_KEY)

    assert (broad.status_code, user.status_code) == (200, 200)


# ---------------------------------------------------------------------------------- who is refused


@pytest.mark.parametrize(
    ("key", "user_arn"), [(BROAD_ROLE_KEY, BROAD_SESSION_ARN), (USER_KEY, USER_ARN)], ids=["role", "user"]
)
def test_callers_allowed_everything_by_their_identity_policy_are_explicitly_denied(
    gateway: Gateway, key: Key, user_arn: str
) -> None:
    response = gateway.send_signed(key)

    assert error_of(response) == _denied(user_arn, LOYALTY_ARN, explicit=True)
    _assert_refused_before_the_function(
        gateway, "explicitly denied by resource policy statement 'DenyEveryoneElse'"
    )


def test_the_role_without_its_identity_policy_is_still_allowed_by_the_resource_policy() -> None:
    with serve_loyalty_api(directory=loyalty_callers(appsync_policies=())) as gateway:
        response = gateway.send_signed(APPSYNC_KEY)

    assert response.status_code == 200


def test_an_unsigned_request_is_missing_its_authentication_token(gateway: Gateway) -> None:
    response = requests.get(gateway.url(LOYALTY_PATH), timeout=10)

    assert error_of(response) == MISSING_TOKEN
    _assert_refused_before_the_function(gateway, "Missing Authentication Token")


# ---------------------------------------------------------------------------------- what is refused


def test_another_method_or_path_than_the_apis_is_missing_its_authentication_token(gateway: Gateway) -> None:
    # API Gateway does not say whether a route exists.
    other_method = gateway.send_signed(APPSYNC_KEY, method="POST", body=b"{}")
    other_path = gateway.send_signed(APPSYNC_KEY, f"/{STAGE}/loyalty/{CUSTOMER_ID}/history")
    other_stage = gateway.send_signed(APPSYNC_KEY, f"/prod/loyalty/{CUSTOMER_ID}/get")

    assert [error_of(response) for response in (other_method, other_path, other_stage)] == [MISSING_TOKEN] * 3
    assert gateway.invoker.calls == []
    assert [record.reason for record in gateway.api.refusals] == [
        f"no method POST on /{STAGE}/loyalty/{CUSTOMER_ID}/get",
        f"no method GET on /{STAGE}/loyalty/{CUSTOMER_ID}/history",
        "no stage 'prod' in this API",
    ]


@pytest.mark.parametrize(
    ("method", "path", "resource"),
    [
        ("POST", f"/{STAGE}/loyalty/{CUSTOMER_ID}/get", f"{STAGE}/POST/loyalty/{CUSTOMER_ID}/get"),
        ("GET", f"/{STAGE}/admin/users", f"{STAGE}/GET/admin/users"),
        ("DELETE", f"/{STAGE}/admin/users/42", f"{STAGE}/DELETE/admin/users/42"),
    ],
    ids=["other-method", "other-path", "greedy-path"],
)
def test_the_role_may_call_only_its_route(method: str, path: str, resource: str) -> None:
    # Routes the template does not have, added to show the grants are scoped to GET .../loyalty/*/get.
    with serve_loyalty_api(loyalty_definition(with_extra_routes(loyalty_api_body()))) as gateway:
        response = gateway.send_signed(APPSYNC_KEY, path, method=method)

    resource_arn = f"arn:aws:execute-api:{REGION}:{ACCOUNT_ID}:{API_ID}/{resource}"
    assert error_of(response) == _denied(APPSYNC_SESSION_ARN, resource_arn, explicit=False)
    _assert_refused_before_the_function(
        gateway, "no identity-based or resource-based policy statement allows"
    )


def test_the_same_api_deployed_to_another_stage_refuses_the_role() -> None:
    # The resource policy and the role's grant both name the template's stage.
    prod = Stage.from_cloudformation({**loyalty_stage_properties(), "StageName": "prod"})

    with serve_loyalty_api(loyalty_definition(stage=prod)) as gateway:
        response = gateway.send_signed(APPSYNC_KEY, f"/prod/loyalty/{CUSTOMER_ID}/get")

    resource_arn = f"arn:aws:execute-api:{REGION}:{ACCOUNT_ID}:{API_ID}/prod/GET/loyalty/{CUSTOMER_ID}/get"
    assert error_of(response) == _denied(APPSYNC_SESSION_ARN, resource_arn, explicit=False)


# ---------------------------------------------------------------------------------- signatures


@pytest.mark.parametrize(
    ("sent_path", "sent_body", "sent_header"),
    [
        (f"/{STAGE}/loyalty/someone-else/get", b"", {}),
        (LOYALTY_PATH, b'{"points": 1000000}', {}),
        (LOYALTY_PATH, b"", {"X-Loyalty-Tier": "platinum"}),
    ],
    ids=["path", "body", "signed-header"],
)
def test_a_request_changed_after_signing_is_refused(
    gateway: Gateway, sent_path: str, sent_body: bytes, sent_header: dict[str, str]
) -> None:
    headers = botocore_signed(
        "GET", gateway.url(LOYALTY_PATH), APPSYNC_KEY, headers={"X-Loyalty-Tier": "bronze"}
    )

    response = requests.get(
        gateway.url(sent_path), headers={**headers, **sent_header}, data=sent_body, timeout=10
    )

    status, error_type, message = error_of(response)
    assert (status, error_type, message.split("\n")[0]) == (
        403,
        "InvalidSignatureException",
        SIGNATURE_MISMATCH,
    )
    _assert_refused_before_the_function(gateway, "the signature does not match the request as received")


def test_a_body_swapped_under_requests_aws4auths_content_hash_is_refused(gateway: Gateway) -> None:
    signed = requests.Request(
        "GET", gateway.url(LOYALTY_PATH), data=b"{}", headers=amz_date(), auth=aws4auth(APPSYNC_KEY)
    ).prepare()

    response = requests.get(
        gateway.url(LOYALTY_PATH), headers=dict(signed.headers), data=b'{"x": 1}', timeout=10
    )

    assert error_of(response)[:2] == (403, "InvalidSignatureException")
    _assert_refused_before_the_function(gateway, "is not the SHA-256 of the body received")


@pytest.mark.parametrize(
    ("key", "expected", "reason"),
    [
        (
            Key(APPSYNC_KEY.access_key_id, "not-the-secret", APPSYNC_KEY.session_token),
            (403, "InvalidSignatureException", None),
            "the signature does not match",
        ),
        (UNKNOWN_KEY, INVALID_TOKEN, f"no such access key {UNKNOWN_KEY.access_key_id}"),
        (
            Key(APPSYNC_KEY.access_key_id, APPSYNC_KEY.secret_access_key),
            INVALID_TOKEN,
            "temporary credentials used without their X-Amz-Security-Token",
        ),
        (
            Key(APPSYNC_KEY.access_key_id, APPSYNC_KEY.secret_access_key, "a-stolen-session-token"),
            INVALID_TOKEN,
            "the X-Amz-Security-Token is not the one issued with this access key",
        ),
        (
            Key(USER_KEY.access_key_id, USER_KEY.secret_access_key, "a-session-token"),
            INVALID_TOKEN,
            "a security token was sent with a long-term access key",
        ),
        (
            EXPIRED_KEY,
            (403, "ExpiredTokenException", "The security token included in the request is expired"),
            f"the credentials of {EXPIRED_KEY.access_key_id} expired at",
        ),
    ],
    ids=["wrong-secret", "unknown-key", "missing-token", "wrong-token", "extra-token", "expired-credentials"],
)
def test_bad_credentials_are_refused(
    gateway: Gateway, key: Key, expected: tuple[int, str, str | None], reason: str
) -> None:
    response = gateway.send_signed(key)

    status, error_type, message = error_of(response)
    assert (status, error_type) == expected[:2]
    if expected[2] is not None:
        assert message == expected[2]
    _assert_refused_before_the_function(gateway, reason)


@pytest.mark.parametrize(
    ("signed_at", "message"),
    [
        (
            NOW - timedelta(minutes=6),
            "Signature expired: 20300101T115400Z is now earlier than 20300101T115500Z "
            "(20300101T120000Z - 5 min.)",
        ),
        (
            NOW + timedelta(minutes=6),
            "Signature not yet current: 20300101T120600Z is still later than 20300101T120500Z "
            "(20300101T120000Z + 5 min.)",
        ),
    ],
    ids=["too-old", "too-early"],
)
def test_a_signature_outside_the_five_minute_window_is_refused(
    gateway: Gateway, signed_at: datetime, message: str
) -> None:
    response = gateway.send_signed(APPSYNC_KEY, at=signed_at)

    assert error_of(response) == (403, "InvalidSignatureException", message)
    _assert_refused_before_the_function(gateway, message)


def test_a_replayed_request_is_refused_once_the_clock_has_moved_on(gateway: Gateway) -> None:
    headers = botocore_signed("GET", gateway.url(LOYALTY_PATH), APPSYNC_KEY)
    first = requests.get(gateway.url(LOYALTY_PATH), headers=headers, timeout=10)

    gateway.clock.advance(5 * 60 + 1)
    replayed = requests.get(gateway.url(LOYALTY_PATH), headers=headers, timeout=10)

    assert first.status_code == 200
    assert error_of(replayed)[:2] == (403, "InvalidSignatureException")


@pytest.mark.parametrize(
    ("signing", "message"),
    [
        ({"region": "us-east-1"}, "Credential should be scoped to a valid region, not 'us-east-1'."),
        ({"service": "lambda"}, "Credential should be scoped to correct service: 'execute-api'."),
    ],
    ids=["region", "service"],
)
def test_a_signature_for_another_region_or_service_is_refused(
    gateway: Gateway, signing: dict[str, str], message: str
) -> None:
    response = gateway.send_signed(
        APPSYNC_KEY, region=signing.get("region", REGION), service=signing.get("service", "execute-api")
    )

    assert error_of(response) == (403, "InvalidSignatureException", message)


# ---------------------------------------------------------------------------------- the integration


def test_the_function_receives_a_rest_api_proxy_event(gateway: Gateway) -> None:
    response = gateway.send_signed(
        APPSYNC_KEY, f"{LOYALTY_PATH}?verbose=true&tag=a&tag=b", headers={"User-Agent": "AppSync"}
    )

    [(_, event, _)] = gateway.invoker.calls
    sample = json.loads((REPOSITORY_ROOT / "events" / "get_loyalty.json").read_text())
    assert event.keys() == sample.keys()
    assert event["requestContext"].keys() == sample["requestContext"].keys()
    assert event["requestContext"]["identity"].keys() == sample["requestContext"]["identity"].keys()
    assert {
        key: event[key] for key in ("resource", "path", "httpMethod", "pathParameters", "stageVariables")
    } == {
        "resource": "/loyalty/{customerId}/get",
        "path": f"/loyalty/{CUSTOMER_ID}/get",
        "httpMethod": "GET",
        "pathParameters": {"customerId": CUSTOMER_ID},
        "stageVariables": None,
    }
    assert event["queryStringParameters"] == {"verbose": "true", "tag": "b"}
    assert event["multiValueQueryStringParameters"] == {"verbose": ["true"], "tag": ["a", "b"]}
    assert event["headers"]["User-Agent"] == "AppSync"
    assert event["headers"]["X-Amz-Security-Token"] == APPSYNC_KEY.session_token
    assert event["multiValueHeaders"]["User-Agent"] == ["AppSync"]
    assert (event["body"], event["isBase64Encoded"]) == (None, False)
    context = event["requestContext"]
    assert {
        key: context[key] for key in ("resourcePath", "httpMethod", "path", "accountId", "stage", "apiId")
    } == {
        "resourcePath": "/loyalty/{customerId}/get",
        "httpMethod": "GET",
        "path": LOYALTY_PATH,
        "accountId": ACCOUNT_ID,
        "stage": STAGE,
        "apiId": API_ID,
    }
    assert (context["requestTime"], context["requestTimeEpoch"]) == (
        "01/Jan/2030:12:00:00 +0000",
        1893499200000,
    )
    assert context["requestId"] == response.headers["x-amzn-RequestId"]
    assert context["extendedRequestId"] == response.headers["x-amz-apigw-id"]
    assert context["protocol"].startswith("HTTP/1.")
    assert context["domainName"] == gateway.url("").removeprefix("http://")
    identity = context["identity"]
    assert identity["caller"] == identity["user"]
    assert identity["caller"].startswith("AROA")
    assert identity["caller"].endswith(f":{APPSYNC_SESSION}")
    assert {key: identity[key] for key in ("accessKey", "accountId", "userArn", "sourceIp", "userAgent")} == {
        "accessKey": APPSYNC_KEY.access_key_id,
        "accountId": ACCOUNT_ID,
        "userArn": APPSYNC_SESSION_ARN,
        "sourceIp": "127.0.0.1",
        "userAgent": "AppSync",
    }
    assert all(
        identity[key] is None
        for key in (
            "cognitoIdentityPoolId",
            "cognitoIdentityId",
            "cognitoAuthenticationType",
            "cognitoAuthenticationProvider",
            "principalOrgId",
        )
    )


def test_a_request_body_is_passed_as_text_or_base64(gateway: Gateway) -> None:
    gateway.send_signed(APPSYNC_KEY, body=b'{"a": 1}')
    gateway.send_signed(APPSYNC_KEY, body=b"\xff\xfe binary")

    [(_, text, _), (_, binary, _)] = gateway.invoker.calls
    assert (text["body"], text["isBase64Encoded"]) == ('{"a": 1}', False)
    assert (binary["body"], binary["isBase64Encoded"]) == (
        base64.b64encode(b"\xff\xfe binary").decode(),
        True,
    )


def test_the_proxy_response_is_returned_as_the_function_gave_it(gateway: Gateway) -> None:
    gateway.invoker.result = InvocationResult(
        json.dumps(
            {
                "statusCode": 201,
                "headers": {"X-Single": "one", "X-Both": "from-headers"},
                "multiValueHeaders": {"X-Both": ["first", "second"], "Content-Type": ["text/plain"]},
                "body": base64.b64encode(b"created").decode(),
                "isBase64Encoded": True,
            }
        ).encode()
    )

    response = gateway.send_signed(APPSYNC_KEY)

    assert (response.status_code, response.content) == (201, b"created")
    assert response.headers["X-Single"] == "one"
    assert response.headers["X-Both"] == "first, second"
    assert response.headers["Content-Type"] == "text/plain"


@pytest.mark.parametrize(
    ("result", "reason"),
    [
        (
            InvocationResult(b'{"errorType": "KeyError", "errorMessage": "customer"}', "Unhandled"),
            f"{FUNCTION_ARN} failed (Unhandled): ",
        ),
        (InvocationResult(b'"just a string"'), "Malformed Lambda proxy response"),
        (InvocationResult(b'{"body": "no status"}'), "statusCode None is not an HTTP status code"),
        (InvocationResult(b'{"statusCode": 200, "body": {"an": "object"}}'), "body is not a string"),
    ],
    ids=["function-error", "not-an-object", "no-status-code", "body-not-a-string"],
)
def test_a_failed_or_malformed_invocation_is_a_bad_gateway(
    gateway: Gateway, result: InvocationResult, reason: str
) -> None:
    gateway.invoker.result = result

    response = gateway.send_signed(APPSYNC_KEY)

    assert error_of(response) == (502, "InternalServerErrorException", "Internal server error")
    [refusal] = gateway.api.refusals
    assert refusal.reason is not None
    assert reason in refusal.reason


def test_a_function_api_gateway_may_not_invoke_is_an_internal_server_error(gateway: Gateway) -> None:
    gateway.invoker.error = PermissionError("the function's policy does not allow apigateway.amazonaws.com")

    response = gateway.send_signed(APPSYNC_KEY)

    assert error_of(response) == (500, "InternalServerErrorException", "Internal server error")
    [refusal] = gateway.api.refusals
    assert (
        refusal.reason
        == f"invoking {FUNCTION_ARN} failed: the function's policy does not allow apigateway.amazonaws.com"
    )


def test_a_fault_of_the_gateway_itself_is_an_internal_server_error_and_recorded() -> None:
    class BrokenDirectory:
        def caller_for(self, access_key_id: str) -> None:
            raise RuntimeError("the directory is unavailable")

        def role_credentials(self, role_arn: str, session_name: str) -> None:
            raise NotImplementedError

    with serve_loyalty_api(directory=BrokenDirectory()) as gateway:  # type: ignore[arg-type]
        response = gateway.send_signed(APPSYNC_KEY)

    assert error_of(response) == (500, "InternalServerErrorException", "Internal server error")
    [refusal] = gateway.api.refusals
    assert refusal.reason == "the local API Gateway failed: RuntimeError('the directory is unavailable')"


# ---------------------------------------------------------------------------------- throttling and logs


def test_the_stage_throttles_beyond_its_burst_and_refills_at_its_rate(gateway: Gateway) -> None:
    # template.yaml: ThrottlingBurstLimit 50, ThrottlingRateLimit 25 on every method of the stage.
    burst = [gateway.send_signed(APPSYNC_KEY).status_code for _ in range(51)]
    gateway.clock.advance(0.2)  # 5 tokens at 25 per second
    after_refill = [gateway.send_signed(APPSYNC_KEY).status_code for _ in range(6)]

    assert burst == [200] * 50 + [429]
    assert after_refill == [200] * 5 + [429]
    throttled = [record for record in gateway.api.refusals if record.status == 429]
    assert [record.error_message for record in throttled] == ["Too Many Requests"] * 2
    assert throttled[0].reason == (
        "GET /loyalty/{customerId}/get is throttled at 25.0 requests/s with a burst of 50"
    )
    assert len(gateway.invoker.calls) == 55


def test_throttled_responses_say_too_many_requests(gateway: Gateway) -> None:
    for _ in range(50):
        gateway.send_signed(APPSYNC_KEY)

    assert error_of(gateway.send_signed(APPSYNC_KEY)) == (
        429,
        "TooManyRequestsException",
        "Too Many Requests",
    )


def test_access_log_lines_follow_the_stages_format(gateway: Gateway) -> None:
    allowed = gateway.send_signed(APPSYNC_KEY)
    gateway.send_signed(BROAD_ROLE_KEY)
    requests.get(gateway.url(f"/{STAGE}/nowhere"), timeout=10)

    lines = [json.loads(line) for line in gateway.log_lines]
    assert lines[0] == {
        "requestId": allowed.headers["x-amzn-RequestId"],
        "ip": "127.0.0.1",
        "caller": lines[0]["caller"],
        "userArn": APPSYNC_SESSION_ARN,
        "requestTime": "01/Jan/2030:12:00:00 +0000",
        "httpMethod": "GET",
        "resourcePath": "/loyalty/{customerId}/get",
        "status": "200",
        "responseLength": str(len(allowed.content)),
        "errorMessage": "-",
        "authorizeError": "-",
    }
    denial = _denied(BROAD_SESSION_ARN, LOYALTY_ARN, explicit=True)[2]
    assert (lines[1]["status"], lines[1]["userArn"], lines[1]["authorizeError"]) == (
        "403",
        BROAD_SESSION_ARN,
        denial,
    )
    assert (lines[2]["status"], lines[2]["resourcePath"], lines[2]["errorMessage"]) == (
        "403",
        "-",
        "Missing Authentication Token",
    )


# ---------------------------------------------------------------------------------- listeners


def test_listeners_hear_each_request_as_it_is_answered(gateway: Gateway) -> None:
    heard: list[AccessLogRecord] = []
    gateway.api.listeners.append(heard.append)

    gateway.send_signed(APPSYNC_KEY)
    requests.get(gateway.url(LOYALTY_PATH), timeout=10)

    assert [(record.status, record.identity.get("userArn")) for record in heard] == [
        (200, APPSYNC_SESSION_ARN),
        (403, None),
    ]
    assert heard == gateway.api.records
