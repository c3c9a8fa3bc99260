"""AppSync's data sources, each calling its service with its own role's credentials.

Before each call the data source's role is assumed the way AppSync assumes it: as the service
principal ``appsync.amazonaws.com``, with ``aws:SourceAccount`` and ``aws:SourceArn`` for the trust
policy's conditions, in a session named ``APPSYNC_ASSUME_ROLE``. A role that does not trust AppSync
fails the call, and whatever the service refuses the role is refused to the resolver: the local
cloud's own credentials are never used.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Mapping
from typing import Any

import requests
from botocore.config import Config
from mypy_boto3_dynamodb import DynamoDBClient
from requests_aws4auth import AWS4Auth

from localcloud.appsync import dynamodb
from localcloud.appsync.auth import AppSyncDirectory
from localcloud.appsync.definition import ApiDefinition, DynamoDbDataSource, HttpDataSource
from localcloud.appsync.dynamodb import Invocation, MappingTemplateError, PageTokens
from localcloud.identity import Credentials
from localcloud.sessions import session_of

APPSYNC_PRINCIPAL = "appsync.amazonaws.com"
SESSION_NAME = "APPSYNC_ASSUME_ROLE"
"""The role session name AppSync uses (it shows in ``assumed-role/<role>/APPSYNC_ASSUME_ROLE`` ARNs)."""
HTTP_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE"})
_HTTP_TIMEOUT_SECONDS = 30.0

EndpointRouter = Callable[[str], str]
"""An HTTP data source's endpoint, as configured in AppSync -> the base URL to send its requests to."""

_EXECUTE_API = re.compile(
    r"^https://(?P<api>[a-z0-9]+)\.execute-api\.(?P<region>[a-z0-9-]+)\.amazonaws\.com/?$"
)
_AWS_SERVICE = re.compile(r"^https://[a-z0-9-]+\.(?P<region>[a-z0-9-]+)\.amazonaws\.com/?$")


def aws_endpoint_router(aws_endpoint_url: str, rest_api_url: Callable[[str, str], str]) -> EndpointRouter:
    """Routes AWS endpoints to the local cloud, and nothing else anywhere.

    ``https://{api}.execute-api.{region}.amazonaws.com`` goes to ``rest_api_url(api, region)`` (the
    local API Gateway); any other ``https://{service}.{region}.amazonaws.com`` goes to the local AWS
    endpoint. Any other endpoint is refused: a local data source must not reach out of the machine.
    """

    def route(endpoint: str) -> str:
        match = _EXECUTE_API.match(endpoint)
        if match:
            return rest_api_url(match["api"], match["region"])
        if _AWS_SERVICE.match(endpoint):
            return aws_endpoint_url
        raise ValueError(f"the local cloud has no endpoint standing in for {endpoint}")

    return route


class DataSources:
    """Invokes the API's data sources.

    aws_endpoint_url: the local AWS endpoint, for DynamoDB.
    http_endpoint: where each HTTP data source's requests go (see :func:`aws_endpoint_router`).
    """

    def __init__(
        self,
        definition: ApiDefinition,
        directory: AppSyncDirectory,
        *,
        aws_endpoint_url: str,
        http_endpoint: EndpointRouter,
        tokens: PageTokens | None = None,
    ) -> None:
        self._definition = definition
        self._directory = directory
        self._aws_endpoint_url = aws_endpoint_url
        self._http_endpoint = http_endpoint
        self._tokens = tokens or PageTokens()
        self._clients: dict[str, tuple[str, DynamoDBClient]] = {}
        self._lock = threading.Lock()

    def invoke(self, name: str, request: Any) -> Invocation:
        """Sends a resolver's request object to the data source ``name``.

        Raises MappingTemplateError if the request object is not one AppSync could send; every failure
        of the call itself (the role, the service) is the Invocation's error, for the response handler.
        """
        source = self._definition.data_source(name)
        if isinstance(source, DynamoDbDataSource):
            credentials = self._assume(source.service_role_arn)
            if isinstance(credentials, Invocation):
                return credentials
            return dynamodb.invoke(
                self._dynamodb(source, credentials), source.table_name, request, self._tokens
            )
        return self._http(source, request)

    def close(self) -> None:
        with self._lock:
            clients, self._clients = self._clients, {}
        for _, client in clients.values():
            client.close()

    def _assume(self, role_arn: str) -> Credentials | Invocation:
        try:
            return self._directory.service_role_credentials(
                role_arn,
                APPSYNC_PRINCIPAL,
                SESSION_NAME,
                {"aws:SourceAccount": self._definition.account_id, "aws:SourceArn": self._definition.arn},
            )
        except Exception as error:
            # Whatever the reason (no such role, a trust policy that does not admit AppSync), the call
            # cannot be made as the role: the resolver is told so, as AppSync tells it.
            return Invocation(
                error={"message": f"Unable to assume role {role_arn}: {error}", "type": "UnableToAssumeRole"}
            )

    def _dynamodb(self, source: DynamoDbDataSource, credentials: Credentials) -> DynamoDBClient:
        """A client per data source, made anew when its role's session (and so its key) changes."""
        with self._lock:
            cached = self._clients.get(source.name)
            if cached is not None and cached[0] == credentials.access_key_id:
                return cached[1]
            # A single attempt: a refused or failed call is reported to the resolver as it happened.
            client = session_of(credentials, source.region).client(
                "dynamodb", endpoint_url=self._aws_endpoint_url, config=Config(retries={"max_attempts": 1})
            )
            # The previous client is left to the garbage collector: a request may still be using it.
            self._clients[source.name] = (credentials.access_key_id, client)
            return client

    def _http(self, source: HttpDataSource, request: Any) -> Invocation:
        method, path, headers, query, body = _http_request(request)
        auth = None
        if source.signing is not None:
            assert source.service_role_arn is not None
            credentials = self._assume(source.service_role_arn)
            if isinstance(credentials, Invocation):
                return credentials
            auth = AWS4Auth(
                credentials.access_key_id,
                credentials.secret_access_key,
                source.signing.region,
                source.signing.service,
                session_token=credentials.session_token,
            )
        url = self._http_endpoint(source.endpoint).rstrip("/") + path
        try:
            response = requests.request(
                method,
                url,
                params=query,
                headers=headers,
                data=body.encode() if body is not None else None,
                auth=auth,
                timeout=_HTTP_TIMEOUT_SECONDS,
            )
        except requests.RequestException as error:
            return Invocation(
                error={"message": f"The HTTP endpoint could not be reached: {error}", "type": "HttpError"}
            )
        return Invocation(
            result={
                "statusCode": response.status_code,
                "headers": dict(response.headers),
                "body": response.text,
            }
        )


def _http_request(
    request: Any,
) -> tuple[str, str, dict[str, str], dict[str, str | list[str]], str | None]:
    """The parts of an HTTP request object (method, resourcePath, params), checked as AppSync checks them."""
    if not isinstance(request, Mapping):
        raise MappingTemplateError("The request must be an object with a method and a resourcePath.")
    method = request.get("method")
    if method not in HTTP_METHODS:
        raise MappingTemplateError(
            f"'method' must be one of {', '.join(sorted(HTTP_METHODS))}, not {method!r}."
        )
    path = request.get("resourcePath")
    if not isinstance(path, str) or not path.startswith("/"):
        raise MappingTemplateError("'resourcePath' must be a path starting with '/'.")
    params = request.get("params") or {}
    if not isinstance(params, Mapping):
        raise MappingTemplateError("'params' must be an object.")
    headers = _string_map(params.get("headers"), "params.headers")
    query: dict[str, str | list[str]] = {}
    for name, value in (params.get("query") or {}).items():
        query[str(name)] = [str(item) for item in value] if isinstance(value, list) else str(value)
    body = params.get("body")
    if body is not None and not isinstance(body, str):
        raise MappingTemplateError("'params.body' must be a string (write it with JSON.stringify).")
    return str(method), path, headers, query, body


def _string_map(value: Any, field: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping) or not all(isinstance(item, str) for item in value.values()):
        raise MappingTemplateError(f"'{field}' must be an object of strings.")
    return {str(name): item for name, item in value.items()}
