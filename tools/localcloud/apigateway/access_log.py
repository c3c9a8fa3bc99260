"""What the API did with each request: a record kept in memory, and a line in the stage's log format."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from localcloud.apigateway.events import request_time

_CONTEXT_VARIABLE = re.compile(r"\$context\.([A-Za-z0-9_.]+)")


@dataclass(frozen=True)
class AccessLogRecord:
    """One request and its outcome.

    Attributes:
        request_id: ``$context.requestId``, also sent back as ``x-amzn-RequestId``.
        extended_request_id: ``$context.extendedRequestId``, sent back as ``x-amz-apigw-id``.
        received_at: when the request arrived.
        http_method: the request's method.
        path: the path requested, stage included (``/dev/loyalty/42/get``).
        resource_path: the resource it matched (``/loyalty/{customerId}/get``); None if none.
        status: the HTTP status returned.
        response_length: the length of the response body.
        identity: ``requestContext.identity`` (caller, userArn, accessKey, sourceIp ...).
        error_type: the ``x-amzn-ErrorType`` of a refusal or failure; None on success.
        error_message: the message the caller was sent with it.
        reason: why, in more detail than the caller is told: the policy statements that decided,
            the signature check that failed, what was wrong with the integration's response.
        resource_arn: the ``execute-api`` ARN authorized, once the route was known.
    """

    request_id: str
    extended_request_id: str
    received_at: datetime
    http_method: str
    path: str
    resource_path: str | None
    status: int
    response_length: int
    identity: Mapping[str, Any] = field(default_factory=dict)
    error_type: str | None = None
    error_message: str | None = None
    reason: str | None = None
    resource_arn: str | None = None

    @property
    def refused(self) -> bool:
        return self.status >= 400

    def context(self, *, api_id: str, account_id: str, stage: str) -> dict[str, Any]:
        """The ``$context`` variables this record provides, by name after ``$context.``."""
        variables: dict[str, Any] = {
            "requestId": self.request_id,
            "extendedRequestId": self.extended_request_id,
            "requestTime": request_time(self.received_at),
            "requestTimeEpoch": int(self.received_at.timestamp() * 1000),
            "httpMethod": self.http_method,
            "path": self.path,
            "resourcePath": self.resource_path,
            "status": self.status,
            "responseLength": self.response_length,
            "apiId": api_id,
            "accountId": account_id,
            "stage": stage,
            "error.message": self.error_message,
            "authorize.error": self.error_message if self.error_type == "AccessDeniedException" else None,
        }
        variables.update({f"identity.{name}": value for name, value in self.identity.items()})
        return variables


def format_line(template: str, variables: Mapping[str, Any]) -> str:
    """Fill ``$context.name`` variables; an unknown or empty one becomes ``-``, as in API Gateway's logs.

    Values are escaped for a JSON string. API Gateway inserts them raw, so a quote in an error
    message breaks its JSON log lines; escaping keeps every line parseable.
    """

    def substitute(match: re.Match[str]) -> str:
        value = variables.get(match[1])
        if value is None or value == "":
            return "-"
        return json.dumps(str(value))[1:-1]

    return _CONTEXT_VARIABLE.sub(substitute, template)
