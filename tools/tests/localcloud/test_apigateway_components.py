"""The local API Gateway's parts: reading a Swagger body and stage, routing, proxy responses,
throttling, access-log lines and the server's lifecycle."""

from __future__ import annotations

import copy
import json
import re
import socket
import threading
from typing import Any

import pytest
import requests
from werkzeug.wrappers import Request, Response

from localcloud.apigateway import (
    Authorization,
    DefinitionError,
    MalformedProxyResponseError,
    MethodSetting,
    RestApiDefinition,
    Stage,
    Throttling,
    TokenBucket,
    format_line,
    read_proxy_response,
)
from localcloud.serving import BackgroundServer, PortInUseError
from stacktools.project import ACCOUNT_ID, REGION
from tests.localcloud.apigateway_support import (
    API_ID,
    APPSYNC_ROLE_ARN,
    FUNCTION_ARN,
    loyalty_api_body,
    loyalty_definition,
    loyalty_stage_properties,
)

ARN_PREFIX = f"arn:aws:execute-api:{REGION}:{ACCOUNT_ID}:{API_ID}"
LAMBDA_URI = f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{FUNCTION_ARN}/invocations"


def _operation(**overrides: Any) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "x-amazon-apigateway-integration": {"type": "aws_proxy", "httpMethod": "POST", "uri": LAMBDA_URI},
        "security": [{"AWS_IAM": []}],
    }
    operation.update(overrides)
    return operation


def _definition(paths: dict[str, Any], **body: Any) -> RestApiDefinition:
    document = {
        "swagger": "2.0",
        "paths": paths,
        "securityDefinitions": {
            "AWS_IAM": {
                "type": "apiKey",
                "name": "Authorization",
                "in": "header",
                "x-amazon-apigateway-authtype": "awsSigv4",
            },
            "UserPool": {
                "type": "apiKey",
                "name": "Authorization",
                "in": "header",
                "x-amazon-apigateway-authtype": "cognito_user_pools",
            },
        },
        **body,
    }
    return RestApiDefinition.from_swagger(
        document, api_id=API_ID, stage="dev", account_id=ACCOUNT_ID, region=REGION
    )


# ---------------------------------------------------------------------------------- the definition


def test_the_template_body_gives_one_iam_method_with_its_function_and_expanded_policy() -> None:
    definition = loyalty_definition()

    [method] = definition.methods
    assert (method.resource_path, method.http_method, method.authorization, method.function_arn) == (
        "/loyalty/{customerId}/get",
        "GET",
        Authorization.AWS_IAM,
        FUNCTION_ARN,
    )
    assert definition.resource_policy is not None
    assert [statement["Resource"] for statement in definition.resource_policy["Statement"]] == [
        f"{ARN_PREFIX}/dev/GET/loyalty/*/get",
        f"{ARN_PREFIX}/*",
    ]
    assert definition.resource_policy["Statement"][1]["Condition"] == {
        "StringNotEquals": {"aws:PrincipalArn": APPSYNC_ROLE_ARN}
    }


def test_the_template_stage_gives_its_throttling_and_access_log_format() -> None:
    stage = Stage.from_cloudformation(loyalty_stage_properties())
    [method] = loyalty_definition().methods

    assert stage.name == "dev"
    assert stage.method_settings == (MethodSetting("/*", "*", 25.0, 50),)
    assert stage.throttling_for(method) == Throttling(rate_limit=25.0, burst_limit=50)
    assert stage.access_log_format is not None
    assert "$context.authorize.error" in stage.access_log_format


def test_a_policy_given_as_a_json_string_and_resource_lists_are_expanded() -> None:
    policy = {
        "Version": "2012-10-17",
        "Statement": {
            "Effect": "Allow",
            "Principal": "*",
            "Action": "execute-api:Invoke",
            "Resource": ["execute-api:/dev/GET/a", "arn:aws:execute-api:*:*:*"],
        },
    }

    definition = _definition(
        {"/a": {"get": _operation()}}, **{"x-amazon-apigateway-policy": json.dumps(policy)}
    )

    assert definition.resource_policy is not None
    assert definition.resource_policy["Statement"][0]["Resource"] == [
        f"{ARN_PREFIX}/dev/GET/a",
        "arn:aws:execute-api:*:*:*",
    ]


def test_methods_without_security_are_open_and_a_top_level_security_applies_by_default() -> None:
    open_api = _definition({"/a": {"get": _operation(security=[])}})
    secured_by_default = _definition({"/a": {"get": _operation()}}, security=[{"AWS_IAM": []}])
    no_security_at_all = _definition(
        {"/a": {"get": {key: value for key, value in _operation().items() if key != "security"}}}
    )

    assert [d.methods[0].authorization for d in (open_api, secured_by_default, no_security_at_all)] == [
        Authorization.NONE,
        Authorization.AWS_IAM,
        Authorization.NONE,
    ]


@pytest.mark.parametrize(
    ("operation", "message"),
    [
        (
            _operation(**{"x-amazon-apigateway-integration": {"type": "mock"}}),
            "GET /a: only aws_proxy (Lambda proxy) integrations are supported, not 'mock'",
        ),
        (
            _operation(
                **{"x-amazon-apigateway-integration": {"type": "aws_proxy", "uri": "https://example.com"}}
            ),
            "is not a Lambda invocation",
        ),
        (
            _operation(security=[{"UserPool": []}]),
            "GET /a: only AWS_IAM (awsSigv4) authorization is supported",
        ),
        ({"security": [{"AWS_IAM": []}]}, "GET /a: no x-amazon-apigateway-integration"),
    ],
    ids=["mock-integration", "not-lambda", "cognito-authorizer", "no-integration"],
)
def test_what_is_not_implemented_is_refused_when_the_definition_is_built(
    operation: dict[str, Any], message: str
) -> None:
    with pytest.raises(DefinitionError, match=re.escape(message)):
        _definition({"/a": {"get": operation}})


def test_a_greedy_variable_must_end_the_path() -> None:
    with pytest.raises(DefinitionError, match="must be the last segment"):
        _definition({"/{proxy+}/a": {"get": _operation()}})


# ---------------------------------------------------------------------------------- routing


ROUTES = {
    "/": {"get": _operation()},
    "/pets": {"get": _operation(), "x-amazon-apigateway-any-method": _operation()},
    "/pets/{petId}": {"get": _operation()},
    "/pets/mine": {"get": _operation()},
    "/{proxy+}": {"x-amazon-apigateway-any-method": _operation()},
    "/files/{path+}": {"put": _operation()},
}


@pytest.mark.parametrize(
    ("method", "segments", "resource", "route_method", "parameters"),
    [
        ("GET", [], "/", "GET", {}),
        ("GET", ["pets"], "/pets", "GET", {}),
        ("POST", ["pets"], "/pets", "ANY", {}),
        ("GET", ["pets", "mine"], "/pets/mine", "GET", {}),
        ("GET", ["pets", "a%20b"], "/pets/{petId}", "GET", {"petId": "a b"}),
        ("GET", ["cats", "1"], "/{proxy+}", "ANY", {"proxy": "cats/1"}),
        ("PUT", ["files", "a", "b%2Fc"], "/files/{path+}", "PUT", {"path": "a/b/c"}),
    ],
)
def test_the_most_specific_resource_then_the_exact_method_wins(
    method: str, segments: list[str], resource: str, route_method: str, parameters: dict[str, str]
) -> None:
    route = _definition(copy.deepcopy(ROUTES)).match(method, segments)

    assert route is not None
    assert (route.method.resource_path, route.method.http_method, route.path_parameters) == (
        resource,
        route_method,
        parameters,
    )


def test_a_resource_without_the_method_does_not_fall_back_to_a_less_specific_one() -> None:
    # /pets/{petId} has GET only; /{proxy+} with ANY would also match the path.
    assert _definition(copy.deepcopy(ROUTES)).match("DELETE", ["pets", "7"]) is None


def test_nothing_matches_a_path_with_no_resource() -> None:
    definition = loyalty_definition()

    assert definition.match("GET", ["loyalty", "42"]) is None
    assert definition.match("GET", ["loyalty", "42", "get", "more"]) is None
    assert definition.match("GET", ["other", "42", "get"]) is None


def test_the_execute_api_arn_names_stage_method_and_path() -> None:
    assert (
        loyalty_definition().execute_api_arn("GET", "/loyalty/42/get")
        == f"{ARN_PREFIX}/dev/GET/loyalty/42/get"
    )


# ---------------------------------------------------------------------------------- stage settings


def test_method_settings_decode_resource_paths_and_the_most_specific_limit_wins() -> None:
    stage = Stage.from_cloudformation(
        {
            "StageName": "dev",
            "MethodSettings": [
                {
                    "ResourcePath": "/*",
                    "HttpMethod": "*",
                    "ThrottlingRateLimit": 25,
                    "ThrottlingBurstLimit": 50,
                },
                {
                    "ResourcePath": "/~1loyalty~1{customerId}~1get",
                    "HttpMethod": "GET",
                    "ThrottlingRateLimit": 2,
                },
            ],
            "Variables": {"table": "Loyalty"},
        }
    )
    definition = _definition({"/loyalty/{customerId}/get": {"get": _operation(), "post": _operation()}})
    get, post = definition.methods

    assert stage.method_settings[1].resource_path == "/loyalty/{customerId}/get"
    assert stage.throttling_for(get) == Throttling(rate_limit=2.0, burst_limit=50)
    assert stage.throttling_for(post) == Throttling(rate_limit=25.0, burst_limit=50)
    assert stage.variables == {"table": "Loyalty"}


def test_a_stage_without_method_settings_does_not_throttle() -> None:
    [method] = loyalty_definition().methods

    assert Stage(name="dev").throttling_for(method) is None


def test_the_token_bucket_allows_its_burst_then_its_rate() -> None:
    bucket = TokenBucket(Throttling(rate_limit=2.0, burst_limit=3), now=100.0)

    burst = [bucket.take(100.0) for _ in range(4)]
    half_a_second_later = [bucket.take(100.5) for _ in range(2)]
    clock_stepping_back = bucket.take(99.0)
    ten_seconds_later = [bucket.take(110.5) for _ in range(4)]

    assert burst == [True, True, True, False]
    assert half_a_second_later == [True, False]
    assert clock_stepping_back is False
    assert ten_seconds_later == [True, True, True, False]


# ---------------------------------------------------------------------------------- proxy responses


def test_a_minimal_proxy_response_has_an_empty_body() -> None:
    response = read_proxy_response(b'{"statusCode": 204}')

    assert (response.status, response.headers, response.body) == (204, (), b"")


def test_header_values_that_are_numbers_or_booleans_become_strings() -> None:
    response = read_proxy_response(
        b'{"statusCode": 200, "headers": {"X-Count": 3, "X-Cached": false, "X-None": null}}'
    )

    assert response.headers == (("X-Count", "3"), ("X-Cached", "false"))


@pytest.mark.parametrize(
    "payload",
    [
        b"not json",
        b"[]",
        b'{"statusCode": "200"}',
        b'{"statusCode": true}',
        b'{"statusCode": 99}',
        b'{"statusCode": 200, "headers": []}',
        b'{"statusCode": 200, "headers": {"X": {"nested": 1}}}',
        b'{"statusCode": 200, "multiValueHeaders": {"X": "not-a-list"}}',
        b'{"statusCode": 200, "body": 42}',
        b'{"statusCode": 200, "body": "x", "isBase64Encoded": "yes"}',
        b'{"statusCode": 200, "body": "not base64!", "isBase64Encoded": true}',
    ],
)
def test_malformed_proxy_responses_are_rejected(payload: bytes) -> None:
    with pytest.raises(MalformedProxyResponseError):
        read_proxy_response(payload)


# ---------------------------------------------------------------------------------- access-log lines


def test_log_variables_are_filled_escaped_and_dashed_when_missing() -> None:
    template = (
        '{"status":"$context.status","error":"$context.error.message","who":"$context.identity.caller"}'
    )

    line = format_line(
        template, {"status": 403, "error.message": 'a "quoted" message', "identity.caller": None}
    )

    assert json.loads(line) == {"status": "403", "error": 'a "quoted" message', "who": "-"}


# ---------------------------------------------------------------------------------- the server


@Request.application
def _hello(request: Request) -> Response:
    return Response(f"hello from {request.path}")


def test_the_server_answers_on_an_ephemeral_port_until_stopped() -> None:
    server = BackgroundServer(_hello, name="hello").start()
    url = server.url
    threads_while_running = {thread.name for thread in threading.enumerate()}

    answer = requests.get(f"{url}/ping", timeout=10)
    server.stop()
    server.stop()  # stopping twice is harmless

    assert answer.text == "hello from /ping"
    assert url.startswith("http://127.0.0.1:")
    assert f"hello-{url.rsplit(':', 1)[1]}" in threads_while_running
    assert not any(thread.name.startswith("hello-") for thread in threading.enumerate())
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{url}/ping", timeout=10)


def test_a_busy_port_is_named_in_the_error() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        with pytest.raises(PortInUseError, match=f"port {port} on 127.0.0.1 is already in use"):
            BackgroundServer(_hello, port=port).start()


def test_the_same_port_can_be_served_again_after_a_stop() -> None:
    with BackgroundServer(_hello) as first:
        port = first.port
        requests.get(f"{first.url}/", timeout=10)

    with BackgroundServer(_hello, port=port) as second:
        assert requests.get(f"{second.url}/again", timeout=10).text == "hello from /again"


def test_a_running_server_cannot_be_started_twice_and_a_stopped_one_has_no_url() -> None:
    server = BackgroundServer(_hello)
    with pytest.raises(RuntimeError, match="not running"):
        _ = server.url
    with server, pytest.raises(RuntimeError, match="already running"):
        server.start()


def test_the_api_can_be_read_from_its_body_without_the_template_helpers() -> None:
    # What the deployed stack does: the resolved Body and the stage's properties, nothing else.
    definition = RestApiDefinition.from_swagger(
        loyalty_api_body(),
        api_id=API_ID,
        stage=Stage.from_cloudformation(loyalty_stage_properties()),
        account_id=ACCOUNT_ID,
        region=REGION,
    )

    assert definition == loyalty_definition()
