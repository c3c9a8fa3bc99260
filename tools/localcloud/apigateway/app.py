"""The local API Gateway: a WSGI application serving one stage of a REST API.

A request goes through the steps API Gateway takes, and the first that fails answers it:

1. routing - the stage, the resource and the method must exist, else 403 "Missing Authentication
   Token" (API Gateway does not tell unknown paths from unauthenticated calls);
2. throttling - the method's token bucket, else 429 "Too Many Requests";
3. authentication - for an AWS_IAM method, a valid SigV4 signature for ``execute-api``;
4. authorization - ``execute-api:Invoke`` on ``arn:aws:execute-api:REGION:ACCOUNT:API/STAGE/METHOD/PATH``,
   decided by the caller's identity-based policies and the API's resource policy together;
5. the Lambda proxy integration - a failed or malformed invocation gives 502 "Internal server error".

Every request, and in particular every refusal with its reason, is kept in :attr:`LocalRestApi.records`,
handed to each of :attr:`LocalRestApi.listeners` as it is answered and, when the stage has an
access-log format and a sink is given, written as an access-log line.
"""

from __future__ import annotations

import base64
import json
import os
import re
import threading
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, quote, unquote, urlsplit

from werkzeug.datastructures import Headers
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Request, Response

from iam_eval import AccessRequest, ContextValue, Outcome, PolicyError, Principal, evaluate
from localcloud.apigateway.access_log import AccessLogRecord, format_line
from localcloud.apigateway.definition import Authorization, Method, RestApiDefinition, RouteMatch
from localcloud.apigateway.events import ReceivedRequest, identity_of, proxy_event
from localcloud.apigateway.integration import LambdaInvoker, MalformedProxyResponseError, read_proxy_response
from localcloud.apigateway.throttling import TokenBucket
from localcloud.identity import IdentityDirectory, PolicyDocument
from localcloud.sigv4 import SignatureError, verify

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

SIGNING_SERVICE = "execute-api"
INVOKE_ACTION = "execute-api:Invoke"
MAX_PAYLOAD_BYTES = 10 * 1024 * 1024
"""API Gateway's limit on a REST API request payload (10 MB)."""

_CREDENTIAL = re.compile(r"Credential=([^/\s,]+)/")


class _SizedRequest(Request):
    max_content_length = MAX_PAYLOAD_BYTES


class _GatewayError(Exception):
    """A gateway response: API Gateway answering in place of the integration."""

    def __init__(self, status: int, error_type: str, message: str, reason: str) -> None:
        super().__init__(message)
        self.status = status
        self.error_type = error_type
        self.message = message
        self.reason = reason


def _missing_token(reason: str) -> _GatewayError:
    return _GatewayError(403, "MissingAuthenticationTokenException", "Missing Authentication Token", reason)


def _internal_error(status: int, reason: str) -> _GatewayError:
    return _GatewayError(status, "InternalServerErrorException", "Internal server error", reason)


@dataclass
class _Exchange:
    """What is known about a request so far, for its access-log record."""

    request_id: str
    extended_request_id: str
    received_at: datetime
    http_method: str
    path: str
    resource_path: str | None = None
    resource_arn: str | None = None
    identity: dict[str, Any] = field(default_factory=dict)


class LocalRestApi:
    """A WSGI application answering ``/STAGE/PATH`` for the REST API ``definition``.

    Args:
        definition: the API and its stage.
        directory: where the access keys of signed requests are looked up.
        invoke: calls the methods' Lambda functions.
        clock: the current time (timezone-aware); drives signature clock-skew checks, request
            times, IAM's ``aws:CurrentTime`` and throttling.
        access_log: receives one line per request in the stage's access-log format, if it has one.
    """

    def __init__(
        self,
        definition: RestApiDefinition,
        *,
        directory: IdentityDirectory,
        invoke: LambdaInvoker,
        clock: Callable[[], datetime] | None = None,
        access_log: Callable[[str], None] | None = None,
    ) -> None:
        self.definition = definition
        self._directory = directory
        self._invoke = invoke
        self._clock = clock or (lambda: datetime.now(UTC))
        self._access_log = access_log
        self._records: list[AccessLogRecord] = []
        self._buckets: dict[Method, TokenBucket | None] = {}
        self._lock = threading.Lock()
        self.listeners: list[Callable[[AccessLogRecord], None]] = []
        """Called with each request's record once it is answered (in the request's thread)."""

    @property
    def records(self) -> list[AccessLogRecord]:
        """Every request served so far, oldest first."""
        with self._lock:
            return list(self._records)

    @property
    def refusals(self) -> list[AccessLogRecord]:
        """The requests answered with an error status, with why."""
        return [record for record in self.records if record.refused]

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        response = self.handle(_SizedRequest(environ))
        return response(environ, start_response)

    def handle(self, request: Request) -> Response:
        """Answer one request."""
        raw_path, raw_query = _request_target(request)
        segments = _path_segments(raw_path)
        exchange = _Exchange(
            request_id=str(uuid.uuid4()),
            # API Gateway's extended request ids look like this: 16 base64 characters.
            extended_request_id=base64.b64encode(os.urandom(11)).decode(),
            received_at=self._clock(),
            http_method=request.method.upper(),
            path="/" + "/".join(unquote(segment) for segment in segments),
        )
        try:
            proxied = self._serve(request, raw_path, raw_query, segments, exchange)
        except _GatewayError as refusal:
            return self._finish(exchange, _gateway_response(refusal), refusal)
        except Exception as error:
            # A fault of the local gateway itself still gets API Gateway's answer, and a record.
            failure = _internal_error(500, f"the local API Gateway failed: {error!r}")
            return self._finish(exchange, _gateway_response(failure), failure)
        return self._finish(exchange, proxied, None)

    def _serve(
        self, request: Request, raw_path: str, raw_query: str, segments: list[str], exchange: _Exchange
    ) -> Response:
        definition = self.definition
        if not segments or unquote(segments[0]) != definition.stage.name:
            raise _missing_token(f"no stage {unquote(segments[0]) if segments else ''!r} in this API")
        route = definition.match(exchange.http_method, segments[1:])
        if route is None:
            raise _missing_token(f"no method {exchange.http_method} on {exchange.path}")
        exchange.resource_path = route.method.resource_path
        received = ReceivedRequest(
            http_method=exchange.http_method,
            path="/" + "/".join(unquote(segment) for segment in segments[1:]),
            query=parse_qsl(raw_query, keep_blank_values=True),
            headers=list(request.headers.items()),
            body=_body(request),
            source_ip=request.remote_addr or "",
            protocol=str(request.environ.get("SERVER_PROTOCOL", "HTTP/1.1")),
            received_at=exchange.received_at,
        )
        exchange.identity = identity_of(None, None, received)
        self._throttle(route.method, exchange.received_at)

        principal = Principal.anonymous()
        identity_policies: tuple[PolicyDocument, ...] = ()
        if route.method.authorization is Authorization.AWS_IAM:
            try:
                caller = verify(
                    received.http_method,
                    # Only the path and query of the URL matter; the signed Host header is checked as a
                    # header, and keeping it out of the URL keeps it from changing how the path is read.
                    f"http://localhost{raw_path}" + (f"?{raw_query}" if raw_query else ""),
                    dict(request.headers.items()),
                    received.body,
                    service=SIGNING_SERVICE,
                    region=definition.region,
                    directory=self._directory,
                    now=exchange.received_at,
                )
            except SignatureError as error:
                # API Gateway answers every signature failure with 403, whatever other services use.
                raise _GatewayError(403, error.error_type, error.message, error.detail) from error
            principal, identity_policies = caller.principal, caller.identity_policies
            exchange.identity = identity_of(principal, _access_key(request), received)

        exchange.resource_arn = definition.execute_api_arn(received.http_method, received.path)
        self._authorize(principal, identity_policies, received, exchange.resource_arn)
        return self._integrate(route, received, exchange)

    def _throttle(self, method: Method, now: datetime) -> None:
        with self._lock:
            if method not in self._buckets:
                limits = self.definition.stage.throttling_for(method)
                self._buckets[method] = None if limits is None else TokenBucket(limits, now.timestamp())
            bucket = self._buckets[method]
        if bucket is not None and not bucket.take(now.timestamp()):
            raise _GatewayError(
                429,
                "TooManyRequestsException",
                "Too Many Requests",
                f"{method.http_method} {method.resource_path} is throttled at "
                f"{bucket.limits.rate_limit} requests/s with a burst of {bucket.limits.burst_limit}",
            )

    def _authorize(
        self,
        principal: Principal,
        identity_policies: tuple[PolicyDocument, ...],
        received: ReceivedRequest,
        resource_arn: str,
    ) -> None:
        definition = self.definition
        if principal.arn is None and definition.resource_policy is None:
            return  # an open method (no authorization) of an API without a resource policy
        context: dict[str, ContextValue] = {
            "aws:SourceIp": received.source_ip,
            "aws:CurrentTime": received.received_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "aws:EpochTime": int(received.received_at.timestamp()),
            "aws:SecureTransport": False,
        }
        if principal.principal_arn is not None:
            context["aws:PrincipalArn"] = principal.principal_arn
        if principal.account_id is not None:
            context["aws:PrincipalAccount"] = principal.account_id
        user_agent = received.header("User-Agent")
        if user_agent is not None:
            context["aws:UserAgent"] = user_agent
        try:
            decision = evaluate(
                AccessRequest(principal, INVOKE_ACTION, resource_arn, context),
                identity_policies=identity_policies,
                resource_policy=definition.resource_policy,
                resource_account=definition.account_id,
            )
        except (PolicyError, ValueError) as error:
            raise _internal_error(500, f"the policies could not be evaluated: {error}") from error
        if decision.allowed:
            return
        denial = f"User: {principal.arn or 'anonymous'} is not authorized to perform: {INVOKE_ACTION} "
        denial += f"on resource: {resource_arn}"
        if decision.outcome is Outcome.EXPLICIT_DENY:
            denial += " with an explicit deny"
        raise _GatewayError(
            403, "AccessDeniedException", denial, "; ".join(decision.reasons + decision.warnings)
        )

    def _integrate(self, route: RouteMatch, received: ReceivedRequest, exchange: _Exchange) -> Response:
        definition = self.definition
        event = proxy_event(
            definition,
            route,
            received,
            identity=exchange.identity,
            request_id=exchange.request_id,
            extended_request_id=exchange.extended_request_id,
        )
        # The method's resource path, not the path requested: what a Lambda permission's SourceArn
        # names (SAM's `.../GET/loyalty/*/get` covers both).
        source_arn = definition.execute_api_arn(received.http_method, route.method.resource_path)
        function_arn = route.method.function_arn
        try:
            result = self._invoke(function_arn, event, source_arn)
        except Exception as error:
            # Whatever stops the call - Lambda refusing API Gateway's permission included - is a 500.
            raise _internal_error(500, f"invoking {function_arn} failed: {error}") from error
        if result.function_error is not None:
            raise _internal_error(
                502,
                f"{function_arn} failed ({result.function_error}): "
                + result.payload[:1000].decode(errors="replace"),
            )
        try:
            proxied = read_proxy_response(result.payload)
        except MalformedProxyResponseError as error:
            raise _internal_error(
                502, f"Malformed Lambda proxy response from {function_arn}: {error}"
            ) from error
        headers = Headers(list(proxied.headers))
        if "Content-Type" not in headers:
            headers["Content-Type"] = "application/json"
        return Response(proxied.body, status=proxied.status, headers=headers)

    def _finish(self, exchange: _Exchange, response: Response, refusal: _GatewayError | None) -> Response:
        response.headers["x-amzn-RequestId"] = exchange.request_id
        response.headers["x-amz-apigw-id"] = exchange.extended_request_id
        record = AccessLogRecord(
            request_id=exchange.request_id,
            extended_request_id=exchange.extended_request_id,
            received_at=exchange.received_at,
            http_method=exchange.http_method,
            path=exchange.path,
            resource_path=exchange.resource_path,
            status=response.status_code,
            response_length=len(response.get_data()),
            identity=dict(exchange.identity),
            error_type=refusal.error_type if refusal else None,
            error_message=refusal.message if refusal else None,
            reason=refusal.reason if refusal else None,
            resource_arn=exchange.resource_arn,
        )
        with self._lock:
            self._records.append(record)
        for listener in self.listeners:
            listener(record)
        log_format = self.definition.stage.access_log_format
        if self._access_log is not None and log_format:
            definition = self.definition
            self._access_log(
                format_line(
                    log_format,
                    record.context(
                        api_id=definition.api_id,
                        account_id=definition.account_id,
                        stage=definition.stage.name,
                    ),
                )
            )
        return response


def _gateway_response(refusal: _GatewayError) -> Response:
    # API Gateway's default gateway responses: {"message": ...} and the error type in a header.
    response = Response(
        json.dumps({"message": refusal.message}), status=refusal.status, content_type="application/json"
    )
    response.headers["x-amzn-ErrorType"] = refusal.error_type
    return response


def _body(request: Request) -> bytes:
    try:
        return request.get_data(cache=True)
    except RequestEntityTooLarge as error:
        # 413 is the REQUEST_TOO_LARGE gateway response's status; its default message is assumed
        # to be "Request Too Long" and the error type is not documented.
        raise _GatewayError(
            413, "RequestTooLargeException", "Request Too Long", f"the body exceeds {MAX_PAYLOAD_BYTES} bytes"
        ) from error


def _request_target(request: Request) -> tuple[str, str]:
    """The path (still percent-encoded) and query string as the client sent them.

    The signature covers the path as sent, so it is taken from the raw request line when the
    server provides it (werkzeug's and gunicorn's ``RAW_URI``), rather than re-encoded.
    """
    environ = request.environ
    raw: str | None = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if raw:
        # The WSGI server hands over the request line's bytes as latin-1.
        target = urlsplit(raw.encode("latin-1").decode("utf-8", errors="replace"))
        return target.path, target.query
    return quote(request.path, safe="/%!$&'()*+,;=:@~"), request.query_string.decode("latin-1")


def _path_segments(raw_path: str) -> list[str]:
    """The path's segments, normalised as the SigV4 canonical URI is.

    Empty and ``.`` segments are dropped and ``..`` removes the one before, so that the path the
    signature was checked over is the path that is routed and authorized.
    """
    segments: list[str] = []
    for segment in raw_path.split("/"):
        if segment in ("", "."):
            continue
        if segment == "..":
            if segments:
                segments.pop()
            continue
        segments.append(segment)
    return segments


def _access_key(request: Request) -> str | None:
    match = _CREDENTIAL.search(request.headers.get("Authorization", ""))
    return match[1] if match else None
