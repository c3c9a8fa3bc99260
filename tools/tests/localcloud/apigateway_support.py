"""The loyalty API of template.yaml served by the local API Gateway, and the callers tests sign as.

The API's Swagger body, its stage settings and the AppSync data source role's grant are taken from
the translated template with intrinsics resolved, so the tests exercise what would be deployed.
The other callers - a same-account role allowed `execute-api:Invoke` on everything, an IAM user -
are the ones the template's resource policy exists to keep out.
"""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest import mock

import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials as BotocoreCredentials
from requests_aws4auth import AWS4Auth

from iam_eval import Principal
from localcloud.apigateway import (
    InvocationResult,
    LocalRestApi,
    RestApiDefinition,
    Stage,
)
from localcloud.identity import Caller, Credentials
from localcloud.serving import BackgroundServer
from stacktools.intrinsics import Resolver
from stacktools.project import ACCOUNT_ID, REGION
from stacktools.project import TEST_STACK_NAME as STACK_NAME
from stacktools.translate import translate

API_ID = "abc123defg"
STAGE = "dev"
SERVICE = "execute-api"
NOW = datetime(2030, 1, 1, 12, 0, 0, tzinfo=UTC)

APPSYNC_ROLE_ARN = f"arn:aws:iam::{ACCOUNT_ID}:role/{STACK_NAME}-LoyaltyDataSourceRole"
APPSYNC_SESSION = "APPSYNC_ASSUME_ROLE"
APPSYNC_SESSION_ARN = (
    f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/{STACK_NAME}-LoyaltyDataSourceRole/{APPSYNC_SESSION}"
)
BROAD_ROLE_ARN = f"arn:aws:iam::{ACCOUNT_ID}:role/{STACK_NAME}-OperationsRole"
BROAD_SESSION_ARN = f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/{STACK_NAME}-OperationsRole/ops"
USER_ARN = f"arn:aws:iam::{ACCOUNT_ID}:user/ops-admin"
FUNCTION_ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{STACK_NAME}-GetLoyaltyFunction"
CUSTOMER_ID = "0d3c3a1e-5b7f-4c1e-9a8e-2f6b1d4c7e90"
LOYALTY_PATH = f"/{STAGE}/loyalty/{CUSTOMER_ID}/get"
LOYALTY_ARN = f"arn:aws:execute-api:{REGION}:{ACCOUNT_ID}:{API_ID}/{STAGE}/GET/loyalty/{CUSTOMER_ID}/get"
LOYALTY_SOURCE_ARN = (
    f"arn:aws:execute-api:{REGION}:{ACCOUNT_ID}:{API_ID}/{STAGE}/GET/loyalty/{{customerId}}/get"
)

INVOKE_EVERYTHING: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": "*"}],
}


# ---------------------------------------------------------------------------------- the template


@functools.cache
def _resolved_template() -> dict[str, Any]:
    template = translate()
    parameters = {name: str(spec.get("Default", "")) for name, spec in template.get("Parameters", {}).items()}
    resolver = Resolver(account_id=ACCOUNT_ID, region=REGION, stack_name=STACK_NAME, refs=parameters)
    resolver.refs["LoyaltyApi"] = API_ID
    resolver.attributes[("LoyaltyDataSourceRole", "Arn")] = APPSYNC_ROLE_ARN
    resolver.attributes[("GetLoyaltyFunction", "Arn")] = FUNCTION_ARN
    resolver.attributes[("LoyaltyApiAccessLogGroup", "Arn")] = (
        f"arn:aws:logs:{REGION}:{ACCOUNT_ID}:log-group:{STACK_NAME}-LoyaltyApiAccessLogGroup"
    )
    resources = template["Resources"]
    [stage] = [
        resource
        for resource in resources.values()
        if resource["Type"] == "AWS::ApiGateway::Stage"
        and resource["Properties"]["RestApiId"] == {"Ref": "LoyaltyApi"}
    ]
    stage_properties = {key: value for key, value in stage["Properties"].items() if key != "DeploymentId"}
    resolved: dict[str, Any] = {
        "body": resolver.resolve(resources["LoyaltyApi"]["Properties"]["Body"]),
        "stage": resolver.resolve(stage_properties),
        "appsync_policy": resolver.resolve(
            resources["LoyaltyDataSourcePolicy"]["Properties"]["PolicyDocument"]
        ),
    }
    return resolved


def loyalty_api_body() -> dict[str, Any]:
    """The LoyaltyApi's Swagger body as deployed (a copy the caller may change)."""
    return copy.deepcopy(_resolved_template()["body"])


def loyalty_stage_properties() -> dict[str, Any]:
    return copy.deepcopy(_resolved_template()["stage"])


def appsync_role_policy() -> dict[str, Any]:
    """The AppSync loyalty data source role's identity-based policy."""
    return copy.deepcopy(_resolved_template()["appsync_policy"])


def without_statement(body: dict[str, Any], sid: str) -> dict[str, Any]:
    policy = body["x-amazon-apigateway-policy"]
    policy["Statement"] = [statement for statement in policy["Statement"] if statement.get("Sid") != sid]
    return body


def with_extra_routes(body: dict[str, Any]) -> dict[str, Any]:
    """The body with routes the template does not have: another method and a path beyond the grant."""
    get = body["paths"]["/loyalty/{customerId}/get"]["get"]
    body["paths"]["/loyalty/{customerId}/get"]["post"] = copy.deepcopy(get)
    body["paths"]["/admin/{proxy+}"] = {"x-amazon-apigateway-any-method": copy.deepcopy(get)}
    return body


def loyalty_definition(
    body: Mapping[str, Any] | None = None, stage: Stage | None = None
) -> RestApiDefinition:
    return RestApiDefinition.from_swagger(
        body if body is not None else loyalty_api_body(),
        api_id=API_ID,
        stage=stage or Stage.from_cloudformation(loyalty_stage_properties()),
        account_id=ACCOUNT_ID,
        region=REGION,
    )


# ---------------------------------------------------------------------------------- callers


@dataclass(frozen=True)
class Key:
    access_key_id: str
    secret_access_key: str
    session_token: str | None = None


APPSYNC_KEY = Key("ASIAAPPSYNCLOYALTY01", "appsync-secret", "appsync-session-token")
BROAD_ROLE_KEY = Key("ASIAOPERATIONSROLE01", "operations-secret", "operations-session-token")
USER_KEY = Key("AKIAOPSADMINUSER0001", "user-secret")
EXPIRED_KEY = Key("ASIAAPPSYNCEXPIRED01", "expired-secret", "expired-session-token")
UNKNOWN_KEY = Key("AKIANOBODYKNOWSTHIS1", "whatever")


class FakeDirectory:
    """An identity directory holding a fixed set of access keys."""

    def __init__(self, callers: Mapping[str, Caller]) -> None:
        self._callers = dict(callers)

    def caller_for(self, access_key_id: str) -> Caller | None:
        return self._callers.get(access_key_id)

    def role_credentials(self, role_arn: str, session_name: str) -> Credentials:
        raise NotImplementedError("the API Gateway never assumes roles")


def loyalty_callers(appsync_policies: tuple[Mapping[str, Any], ...] | None = None) -> FakeDirectory:
    appsync = appsync_policies if appsync_policies is not None else (appsync_role_policy(),)
    return FakeDirectory(
        {
            APPSYNC_KEY.access_key_id: Caller(
                principal=Principal.role_session(APPSYNC_ROLE_ARN, APPSYNC_SESSION),
                identity_policies=appsync,
                secret_access_key=APPSYNC_KEY.secret_access_key,
                session_token=APPSYNC_KEY.session_token,
                expiration=NOW + timedelta(hours=1),
            ),
            EXPIRED_KEY.access_key_id: Caller(
                principal=Principal.role_session(APPSYNC_ROLE_ARN, APPSYNC_SESSION),
                identity_policies=appsync,
                secret_access_key=EXPIRED_KEY.secret_access_key,
                session_token=EXPIRED_KEY.session_token,
                expiration=NOW - timedelta(minutes=1),
            ),
            BROAD_ROLE_KEY.access_key_id: Caller(
                principal=Principal.role_session(BROAD_ROLE_ARN, "ops"),
                identity_policies=(INVOKE_EVERYTHING,),
                secret_access_key=BROAD_ROLE_KEY.secret_access_key,
                session_token=BROAD_ROLE_KEY.session_token,
                expiration=NOW + timedelta(hours=1),
            ),
            USER_KEY.access_key_id: Caller(
                principal=Principal.user(USER_ARN),
                identity_policies=(INVOKE_EVERYTHING,),
                secret_access_key=USER_KEY.secret_access_key,
                session_token=None,
                expiration=None,
            ),
        }
    )


# ---------------------------------------------------------------------------------- signing


def botocore_signed(
    method: str,
    url: str,
    key: Key,
    *,
    body: bytes = b"",
    headers: Mapping[str, str] | None = None,
    region: str = REGION,
    service: str = SERVICE,
    at: datetime = NOW,
) -> dict[str, str]:
    """The headers botocore's SigV4Auth adds to sign the request at time ``at``."""
    request = AWSRequest(method=method, url=url, data=body, headers=dict(headers or {}))
    signer = SigV4Auth(
        BotocoreCredentials(key.access_key_id, key.secret_access_key, key.session_token), service, region
    )
    with mock.patch(
        "botocore.auth.get_current_datetime", return_value=at.astimezone(UTC).replace(tzinfo=None)
    ):
        signer.add_auth(request)
    return dict(request.headers.items())


def aws4auth(key: Key, *, region: str = REGION, service: str = SERVICE) -> AWS4Auth:
    """requests-aws4auth; it signs at the X-Amz-Date the request carries (see :func:`amz_date`)."""
    return AWS4Auth(
        key.access_key_id, key.secret_access_key, region, service, session_token=key.session_token
    )


def amz_date(at: datetime = NOW) -> dict[str, str]:
    return {"X-Amz-Date": at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")}


# ---------------------------------------------------------------------------------- the running API


class Clock:
    """A clock that stands still until told to move."""

    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def proxy_result(status: int = 200, body: Any = None, **extra: Any) -> InvocationResult:
    payload = {
        "statusCode": status,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps(body if body is not None else {"customerId": CUSTOMER_ID, "points": 1250}),
        **extra,
    }
    return InvocationResult(json.dumps(payload).encode())


@dataclass
class FakeInvoker:
    """Stands in for Lambda: records each call and answers with ``result`` (or raises ``error``)."""

    result: InvocationResult = field(default_factory=proxy_result)
    error: Exception | None = None
    calls: list[tuple[str, dict[str, Any], str]] = field(default_factory=list)

    def __call__(self, function_arn: str, event: dict[str, Any], source_arn: str, /) -> InvocationResult:
        self.calls.append((function_arn, event, source_arn))
        if self.error is not None:
            raise self.error
        return self.result


@dataclass
class Gateway:
    """The loyalty API served on 127.0.0.1, with the fakes behind it."""

    api: LocalRestApi
    server: BackgroundServer
    invoker: FakeInvoker
    clock: Clock
    log_lines: list[str]

    def url(self, path: str) -> str:
        return f"{self.server.url}{path}"

    def send_signed(
        self,
        key: Key,
        path: str = LOYALTY_PATH,
        *,
        method: str = "GET",
        body: bytes = b"",
        headers: Mapping[str, str] | None = None,
        region: str = REGION,
        service: str = SERVICE,
        at: datetime = NOW,
    ) -> requests.Response:
        """A request signed by botocore with ``key``, sent as signed."""
        signed = botocore_signed(
            method, self.url(path), key, body=body, headers=headers, region=region, service=service, at=at
        )
        return requests.request(method, self.url(path), headers=signed, data=body, timeout=10)


@contextmanager
def serve_loyalty_api(
    definition: RestApiDefinition | None = None, directory: FakeDirectory | None = None
) -> Iterator[Gateway]:
    clock = Clock()
    invoker = FakeInvoker()
    log_lines: list[str] = []
    api = LocalRestApi(
        definition or loyalty_definition(),
        directory=directory or loyalty_callers(),
        invoke=invoker,
        clock=clock,
        access_log=log_lines.append,
    )
    with BackgroundServer(api) as server:
        yield Gateway(api=api, server=server, invoker=invoker, clock=clock, log_lines=log_lines)


def error_of(response: requests.Response) -> tuple[int, str | None, str]:
    """(status, x-amzn-ErrorType, message) of a gateway response."""
    return response.status_code, response.headers.get("x-amzn-ErrorType"), response.json()["message"]
