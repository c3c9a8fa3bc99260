"""The web app's Cognito route, from the browser's side: only the public operations a customer needs, for
the stack's app client, reach the AWS endpoint; and an account is confirmed only with the code "mailed"
to its owner. The AWS endpoint is a fake here that records what it is sent."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests
from requests.auth import AuthBase
from werkzeug.wrappers import Request, Response

from localcloud.serving import BackgroundServer
from localcloud.webapp.cognito import (
    CODE_LIFETIME_SECONDS,
    MAX_CODE_ATTEMPTS,
    TARGET_PREFIX,
    CognitoGateway,
    ConfirmationMail,
)

CLIENT_ID = "stackclient123"
EMAIL = "traveller@example.com"
SIGN_UP = {"ClientId": CLIENT_ID, "Username": EMAIL, "Password": "Correct-Horse-7-battery"}


class GatewaySignature(AuthBase):
    """Stands in for the gateway's SigV4 signer: marks what the gateway signed."""

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = "signed-by-the-gateway"
        return request


@dataclass
class FakeEndpoint:
    """The AWS endpoint: answers like Cognito, remembers every request it got."""

    received: list[tuple[str, dict[str, Any], dict[str, str]]] = field(default_factory=list)

    def __call__(self, environ: Any, start_response: Any) -> Any:
        request = Request(environ)
        operation = request.headers.get("X-Amz-Target", "").removeprefix(TARGET_PREFIX)
        self.received.append((operation, json.loads(request.get_data()), dict(request.headers)))
        answers = {
            "SignUp": {"UserConfirmed": False, "UserSub": "sub-1"},
            "InitiateAuth": {"AuthenticationResult": {"IdToken": "id-token"}},
        }
        body = json.dumps(answers.get(operation, {}))
        return Response(body, content_type="application/x-amz-json-1.1")(environ, start_response)

    def operations(self) -> list[str]:
        return [operation for operation, _, _ in self.received]


@dataclass
class Route:
    url: str
    endpoint: FakeEndpoint
    outbox: list[ConfirmationMail]
    clock: list[float]

    def call(self, operation: str, parameters: dict[str, Any], **headers: str) -> requests.Response:
        return requests.post(
            self.url,
            data=json.dumps(parameters),
            headers={
                "Content-Type": "application/x-amz-json-1.1",
                "X-Amz-Target": TARGET_PREFIX + operation,
                **headers,
            },
            timeout=10,
        )

    def confirm(self, code: str) -> requests.Response:
        return self.call(
            "ConfirmSignUp", {"ClientId": CLIENT_ID, "Username": EMAIL, "ConfirmationCode": code}
        )


@pytest.fixture
def route() -> Iterator[Route]:
    endpoint = FakeEndpoint()
    outbox: list[ConfirmationMail] = []
    clock = [1000.0]
    with BackgroundServer(endpoint) as aws:
        signer = GatewaySignature()
        gateway = CognitoGateway(aws.url, CLIENT_ID, signer, outbox.append, clock=lambda: clock[0])

        def route(environ: Any, start: Any) -> Any:
            return gateway.respond(Request(environ))(environ, start)

        with BackgroundServer(route) as site:
            yield Route(site.url, endpoint, outbox, clock)


def error(response: requests.Response) -> tuple[int, str]:
    return response.status_code, str(response.json()["__type"])


@pytest.mark.parametrize(
    "operation",
    [
        "AdminCreateUser",
        "AdminConfirmSignUp",
        "ListUsers",
        "GetUser",
        "RespondToAuthChallenge",
        "ForgotPassword",
    ],
)
def test_operations_a_customer_does_not_need_never_reach_the_endpoint(route: Route, operation: str) -> None:
    response = route.call(operation, {"ClientId": CLIENT_ID, "Username": EMAIL, "UserPoolId": "any"})

    assert error(response) == (403, "AccessDeniedException")
    assert route.endpoint.received == []


def test_a_target_of_another_service_is_refused(route: Route) -> None:
    response = route.call("SignUp", SIGN_UP, **{"X-Amz-Target": "DynamoDB_20120810.Scan"})

    assert error(response) == (403, "AccessDeniedException")
    assert route.endpoint.received == []


def test_another_app_client_is_refused(route: Route) -> None:
    response = route.call("SignUp", {**SIGN_UP, "ClientId": "someone-elses-client"})

    assert error(response) == (400, "ResourceNotFoundException")
    assert route.endpoint.received == []


@pytest.mark.parametrize("flow", ["USER_SRP_AUTH", "ADMIN_USER_PASSWORD_AUTH", "CUSTOM_AUTH", None])
def test_only_the_password_flow_is_served(route: Route, flow: str | None) -> None:
    response = route.call("InitiateAuth", {"ClientId": CLIENT_ID, "AuthFlow": flow, "AuthParameters": {}})

    assert error(response) == (400, "InvalidParameterException")
    assert route.endpoint.received == []


def test_srp_is_refused_because_the_local_pool_cannot_verify_it(route: Route) -> None:
    response = route.call("InitiateAuth", {"ClientId": CLIENT_ID, "AuthFlow": "USER_SRP_AUTH"})

    assert "do not verify SRP proofs" in response.json()["message"]


def test_a_body_that_is_not_a_json_object_is_refused(route: Route) -> None:
    response = requests.post(
        route.url, data=b"[1]", headers={"X-Amz-Target": TARGET_PREFIX + "SignUp"}, timeout=10
    )

    assert error(response) == (400, "SerializationException")
    assert route.endpoint.received == []


def test_sign_in_is_forwarded_without_the_browsers_other_headers(route: Route) -> None:
    parameters = {
        "ClientId": CLIENT_ID,
        "AuthFlow": "USER_PASSWORD_AUTH",
        "AuthParameters": {"USERNAME": EMAIL, "PASSWORD": "pw"},
    }

    response = route.call("InitiateAuth", parameters, Authorization="AWS4-HMAC-SHA256 stolen", Cookie="a=b")

    assert response.json() == {"AuthenticationResult": {"IdToken": "id-token"}}
    [(operation, forwarded, headers)] = route.endpoint.received
    assert (operation, forwarded) == ("InitiateAuth", parameters)
    assert "Authorization" not in headers
    assert "Cookie" not in headers


def test_a_sign_up_mails_a_code_and_only_that_code_confirms_it_once(route: Route) -> None:
    assert route.call("SignUp", SIGN_UP).status_code == 200
    [mail] = route.outbox
    assert mail.to == EMAIL
    assert len(mail.code) == 6
    assert mail.code.isdigit()

    wrong = "000000" if mail.code != "000000" else "111111"
    assert error(route.confirm(wrong)) == (400, "CodeMismatchException")
    assert route.endpoint.operations() == ["SignUp"]

    assert route.confirm(mail.code).status_code == 200
    assert route.endpoint.operations() == ["SignUp", "ConfirmSignUp"]
    # The AWS endpoint admits these two only signed: moto checks no code, the gateway has.
    assert [headers.get("Authorization") for _, _, headers in route.endpoint.received] == [
        "signed-by-the-gateway",
        "signed-by-the-gateway",
    ]
    assert error(route.confirm(mail.code)) == (400, "CodeMismatchException")
    assert route.endpoint.operations() == ["SignUp", "ConfirmSignUp"]


def test_a_code_may_be_guessed_a_few_times_only(route: Route) -> None:
    route.call("SignUp", SIGN_UP)
    [mail] = route.outbox
    wrong = "000000" if mail.code != "000000" else "111111"
    for _ in range(MAX_CODE_ATTEMPTS):
        assert error(route.confirm(wrong)) == (400, "CodeMismatchException")

    assert error(route.confirm(mail.code)) == (400, "LimitExceededException")
    assert route.endpoint.operations() == ["SignUp"]

    resent = route.call("ResendConfirmationCode", {"ClientId": CLIENT_ID, "Username": EMAIL})
    assert resent.json()["CodeDeliveryDetails"]["Destination"] == "t***@e***"
    assert route.confirm(route.outbox[-1].code).status_code == 200


def test_a_code_expires(route: Route) -> None:
    route.call("SignUp", SIGN_UP)
    route.clock[0] += CODE_LIFETIME_SECONDS + 1

    assert error(route.confirm(route.outbox[-1].code)) == (400, "ExpiredCodeException")
    assert route.endpoint.operations() == ["SignUp"]


def test_confirming_or_resending_for_someone_who_never_signed_up_here_reveals_nothing(route: Route) -> None:
    other = {"ClientId": CLIENT_ID, "Username": "nobody@example.com"}

    assert error(route.call("ConfirmSignUp", {**other, "ConfirmationCode": "123456"})) == (
        400,
        "CodeMismatchException",
    )
    resent = route.call("ResendConfirmationCode", other)

    assert resent.json() == {
        "CodeDeliveryDetails": {
            "Destination": "n***@e***",
            "DeliveryMedium": "EMAIL",
            "AttributeName": "email",
        }
    }
    assert route.outbox == []
    assert route.endpoint.received == []
