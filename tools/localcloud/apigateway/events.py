"""The Lambda proxy integration event of a REST API (payload format 1.0).

Field by field as API Gateway sends it to an ``aws_proxy`` integration; ``events/get_loyalty.json``
is an example. The unique ids AWS puts in ``identity.caller`` and ``identity.user`` (``AROA...`` for a
role, ``AIDA...`` for a user) do not exist in the local cloud: a stable stand-in derived from the
role or user ARN takes their place, with the same prefixes and shape.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from iam_eval import Principal, PrincipalKind
from localcloud.apigateway.definition import RestApiDefinition, RouteMatch


@dataclass(frozen=True)
class ReceivedRequest:
    """A request as the API received it.

    Attributes:
        http_method: the method in upper case.
        path: the resource path requested, stage excluded and URL-decoded (``/loyalty/42/get``).
        query: the query string's parameters in order, URL-decoded.
        headers: the headers in order, as received.
        body: the body as received.
        source_ip: the client's address.
        protocol: ``HTTP/1.1``.
        received_at: when the request arrived (timezone-aware).
    """

    http_method: str
    path: str
    query: Sequence[tuple[str, str]]
    headers: Sequence[tuple[str, str]]
    body: bytes
    source_ip: str
    protocol: str
    received_at: datetime

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        return next((value for key, value in self.headers if key.lower() == wanted), None)


def identity_of(
    principal: Principal | None, access_key: str | None, request: ReceivedRequest
) -> dict[str, Any]:
    """``requestContext.identity``; only ``sourceIp`` and ``userAgent`` for an unauthenticated call."""
    caller: str | None = None
    if principal is not None and principal.arn is not None:
        caller = _caller_id(principal)
    return {
        "cognitoIdentityPoolId": None,
        "accountId": principal.account_id if principal is not None else None,
        "cognitoIdentityId": None,
        "caller": caller,
        "sourceIp": request.source_ip,
        "principalOrgId": None,
        "accessKey": access_key,
        "cognitoAuthenticationType": None,
        "cognitoAuthenticationProvider": None,
        "userArn": principal.arn if principal is not None else None,
        "userAgent": request.header("User-Agent"),
        "user": caller,
    }


def proxy_event(
    definition: RestApiDefinition,
    route: RouteMatch,
    request: ReceivedRequest,
    *,
    identity: dict[str, Any],
    request_id: str,
    extended_request_id: str,
) -> dict[str, Any]:
    """The event the method's function receives."""
    host = request.header("Host") or f"{definition.api_id}.execute-api.{definition.region}.amazonaws.com"
    body, is_base64 = _body(request.body)
    return {
        "resource": route.method.resource_path,
        "path": request.path,
        "httpMethod": request.http_method,
        "headers": _last_values(request.headers),
        "multiValueHeaders": _all_values(request.headers),
        "queryStringParameters": _last_values(request.query),
        "multiValueQueryStringParameters": _all_values(request.query),
        "pathParameters": dict(route.path_parameters) or None,
        "stageVariables": dict(definition.stage.variables) or None,
        "requestContext": {
            "resourceId": _resource_id(route.method.resource_path),
            "resourcePath": route.method.resource_path,
            "httpMethod": request.http_method,
            "extendedRequestId": extended_request_id,
            "requestTime": request_time(request.received_at),
            "path": f"/{definition.stage.name}{request.path}",
            "accountId": definition.account_id,
            "protocol": request.protocol,
            "stage": definition.stage.name,
            "domainPrefix": host.split(".", 1)[0],
            "requestTimeEpoch": int(request.received_at.timestamp() * 1000),
            "requestId": request_id,
            "identity": identity,
            "domainName": host,
            "apiId": definition.api_id,
        },
        "body": body,
        "isBase64Encoded": is_base64,
    }


def request_time(moment: datetime) -> str:
    """``$context.requestTime``: CLF-formatted, e.g. ``01/Jan/2030:12:00:00 +0000``."""
    return moment.strftime("%d/%b/%Y:%H:%M:%S %z")


def _last_values(pairs: Sequence[tuple[str, str]]) -> dict[str, str] | None:
    # A name given more than once keeps its last value, as in API Gateway's single-value maps.
    return dict(pairs) or None


def _all_values(pairs: Sequence[tuple[str, str]]) -> dict[str, list[str]] | None:
    grouped: dict[str, list[str]] = {}
    for name, value in pairs:
        grouped.setdefault(name, []).append(value)
    return grouped or None


def _body(raw: bytes) -> tuple[str | None, bool]:
    if not raw:
        return None, False
    try:
        return raw.decode(), False
    except UnicodeDecodeError:
        # API Gateway base64-encodes only the media types declared binary; with none declared it
        # would mangle such a body. Passing it intact, marked as base64, loses nothing.
        return base64.b64encode(raw).decode(), True


def _caller_id(principal: Principal) -> str:
    """``identity.caller``: ``AROA...:SESSION`` for a role session, ``AIDA...`` for a user."""
    if principal.kind is PrincipalKind.ROLE_SESSION and principal.role_arn and principal.arn:
        session_name = principal.arn.rsplit("/", 1)[1]
        return f"{_unique_id('AROA', principal.role_arn)}:{session_name}"
    if principal.kind is PrincipalKind.ROOT and principal.account_id:
        return principal.account_id
    return _unique_id("AIDA", principal.arn or "")


def _unique_id(prefix: str, arn: str) -> str:
    digest = base64.b32encode(hashlib.sha256(arn.encode()).digest()).decode()
    return prefix + digest[:17]


def _resource_id(resource_path: str) -> str:
    # API Gateway gives each resource a random id of 6 lower-case alphanumerics; this one is stable.
    return base64.b32encode(hashlib.sha256(resource_path.encode()).digest()).decode()[:6].lower()
