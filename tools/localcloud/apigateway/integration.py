"""Calling a method's Lambda function and reading its proxy response, as an ``aws_proxy`` integration does."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol


class LambdaResult(Protocol):
    """What Lambda's Invoke returned: the payload and, if the function failed, ``X-Amz-Function-Error``.

    Any object with these two attributes will do, so that an invoker can return its own result type.
    """

    @property
    def payload(self) -> bytes: ...

    @property
    def function_error(self) -> str | None: ...


@dataclass(frozen=True)
class InvocationResult:
    """A :class:`LambdaResult`."""

    payload: bytes
    function_error: str | None = None


class LambdaInvoker(Protocol):
    """Invokes a function synchronously on behalf of API Gateway.

    ``source_arn`` is the ``arn:aws:execute-api:REGION:ACCOUNT:API_ID/STAGE/METHOD/RESOURCE_PATH`` of the
    method, which the function's resource-based policy must allow ``apigateway.amazonaws.com`` to
    invoke from. An implementation raises if Lambda refuses the call; the API answers 500 then,
    as API Gateway does when it lacks permission on the function.
    """

    def __call__(self, function_arn: str, event: dict[str, Any], source_arn: str, /) -> LambdaResult: ...


class MalformedProxyResponseError(ValueError):
    """The function's result is not a Lambda proxy response."""


@dataclass(frozen=True)
class ProxyResponse:
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes


def read_proxy_response(payload: bytes) -> ProxyResponse:
    """Read ``{statusCode, headers, multiValueHeaders, body, isBase64Encoded}``.

    When both ``headers`` and ``multiValueHeaders`` name a header, API Gateway keeps the values of
    ``multiValueHeaders`` only.

    Raises:
        MalformedProxyResponseError: what API Gateway logs as "Malformed Lambda proxy response".
    """
    try:
        document = json.loads(payload)
    except ValueError as error:
        raise MalformedProxyResponseError(f"the payload is not JSON: {error}") from error
    if not isinstance(document, dict):
        raise MalformedProxyResponseError("the payload is not a JSON object")
    status = document.get("statusCode")
    if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
        raise MalformedProxyResponseError(f"statusCode {status!r} is not an HTTP status code")
    multi = _mapping(document, "multiValueHeaders")
    single = _mapping(document, "headers")
    headers: list[tuple[str, str]] = []
    for name, values in multi.items():
        if not isinstance(values, list):
            raise MalformedProxyResponseError(f"multiValueHeaders[{name!r}] is not a list")
        headers.extend((name, _header_value(name, value)) for value in values)
    lowered = {name.lower() for name in multi}
    headers.extend(
        (name, _header_value(name, value))
        for name, value in single.items()
        if name.lower() not in lowered and value is not None
    )
    return ProxyResponse(status=status, headers=tuple(headers), body=_body(document))


def _mapping(document: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = document.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise MalformedProxyResponseError(f"{key} is not a JSON object")
    return value


def _header_value(name: str, value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    raise MalformedProxyResponseError(f"header {name!r} has a value that is not a string: {value!r}")


def _body(document: Mapping[str, Any]) -> bytes:
    body = document.get("body")
    if body is None:
        return b""
    if not isinstance(body, str):
        raise MalformedProxyResponseError("body is not a string")
    encoded = document.get("isBase64Encoded", False)
    if not isinstance(encoded, bool):
        raise MalformedProxyResponseError("isBase64Encoded is not a boolean")
    if not encoded:
        return body.encode()
    try:
        return base64.b64decode(body, validate=True)
    except binascii.Error as error:
        raise MalformedProxyResponseError(f"body is not valid base64: {error}") from error
