"""The local AppSync endpoint: ``POST /graphql`` on 127.0.0.1, in a background thread.

    with AppSyncServer(definition, directory, aws_endpoint_url=..., http_endpoint=..., keys=...) as api:
        requests.post(api.url, json={"query": "{ getFlight(id: \\"SA101-2030-01-08\\") { id } }"},
                      headers={"Authorization": id_token})

The server owns one Node.js process for the resolvers (started and stopped with it; the runtime
serialises evaluations, so concurrent requests take turns there) and the data sources' clients.

Each request's authorisation - the caller refused as a whole, or admitted to each top-level field it
asked for or not - is handed to the server's ``listeners`` as :class:`GraphQLDecision` values.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Self

from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.serving import WSGIRequestHandler
from werkzeug.wrappers import Request, Response

from graphql import FieldNode, GraphQLError, OperationDefinitionNode, parse
from localcloud.appsync.auth import (
    AppSyncDirectory,
    Authenticated,
    Authenticator,
    KeySource,
    RequestRefusedError,
)
from localcloud.appsync.datasources import DataSources, EndpointRouter
from localcloud.appsync.definition import ApiDefinition
from localcloud.appsync.engine import GraphQLEngine, RequestContext
from localcloud.appsync.resolver_runtime import ResolverRuntime
from localcloud.appsync.waf import WebAcl, WebRequest
from localcloud.serving import BackgroundServer

logger = logging.getLogger(__name__)

GRAPHQL_PATH = "/graphql"
HOST = "127.0.0.1"


@dataclass(frozen=True)
class GraphQLDecision:
    """AppSync's answer to one caller for one top-level field (``appsync:GraphQL`` on the field), or to
    the whole request when it is refused before its fields count."""

    time: datetime
    caller: str
    """``user-pool:SUB`` for a user pool token, the IAM caller's ARN, or ``unauthenticated``."""
    resource: str
    """The field's ARN (``arn:aws:appsync:REGION:ACCOUNT:apis/ID/types/Query/fields/getBooking``), or
    the API's ARN for a request refused as a whole."""
    allowed: bool
    reason: str


DecisionListener = Callable[[GraphQLDecision], None]


class GraphQLApplication:
    """The WSGI application: the web ACL (if the API has one) sees each request first, then the
    request is authenticated and executed."""

    def __init__(
        self,
        engine: GraphQLEngine,
        authenticator: Authenticator,
        listeners: list[DecisionListener] | None = None,
        api_arn: str = "",
        web_acl: WebAcl | None = None,
    ) -> None:
        self._engine = engine
        self._authenticator = authenticator
        self._listeners = listeners if listeners is not None else []
        self._api_arn = api_arn
        self._web_acl = web_acl

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        try:
            response = self._respond(request)
        except HTTPException as error:
            response = _json(
                {"errors": [{"errorType": type(error).__name__, "message": error.description}]},
                error.code or 500,
            )
        except Exception as error:
            # A fault of the local cloud itself (the user pool's keys cannot be fetched, say): the
            # caller gets an error in AppSync's shape, the log gets the traceback.
            logger.exception("the GraphQL request failed")
            response = _json(
                {
                    "errors": [
                        {"errorType": "InternalFailure", "message": f"An internal failure occurred: {error}"}
                    ]
                },
                500,
            )
        return response(environ, start_response)

    def _respond(self, request: Request) -> Response:
        if self._web_acl is not None:
            blocked = self._web_acl.inspect(
                WebRequest(source_ip=request.remote_addr or HOST, body=request.get_data(cache=True))
            )
            if blocked is not None:
                self._tell(
                    GraphQLDecision(
                        datetime.now(UTC),
                        f"source-ip:{request.remote_addr or HOST}",
                        self._api_arn,
                        allowed=False,
                        reason=f"{blocked.status}: blocked by the web ACL's rule {blocked.rule}",
                    )
                )
                return Response(blocked.body, status=blocked.status, content_type=blocked.content_type)
        if request.path != GRAPHQL_PATH:
            raise NotFound(f"{request.path} is not served; POST GraphQL requests to {GRAPHQL_PATH}")
        if request.method != "POST":
            raise MethodNotAllowed(valid_methods=["POST"])
        body = request.get_data(cache=True)
        source_ip = request.remote_addr or HOST
        # The URL as the client sent it: SigV4 signs the path exactly as it came over the wire.
        raw_path = request.environ.get("RAW_URI") or request.full_path.rstrip("?")
        headers = dict(request.headers.items())
        auth: Authenticated | None = None
        try:
            auth = self._authenticator.authenticate(
                request.method, f"{request.scheme}://{request.host}{raw_path}", headers, body, source_ip
            )
            payload = _payload(body)
            result = self._engine.execute(
                payload,
                RequestContext(
                    auth=auth,
                    headers={name.lower(): value for name, value in headers.items()},
                    source_ip=source_ip,
                ),
            )
        except RequestRefusedError as refused:
            self._tell(
                GraphQLDecision(
                    datetime.now(UTC),
                    "unauthenticated" if auth is None else _caller_of(auth),
                    self._api_arn,
                    allowed=False,
                    reason=f"{refused.status} {refused.error_type}: {refused.message}",
                )
            )
            return _json(
                {"errors": [{"errorType": refused.error_type, "message": refused.message}]},
                refused.status,
                {"x-amzn-ErrorType": refused.error_type},
            )
        self._decided_fields(auth, payload, result)
        return _json(result, 200)

    def _tell(self, decision: GraphQLDecision) -> None:
        for listener in self._listeners:
            listener(decision)

    def _decided_fields(self, auth: Authenticated, payload: dict[str, Any], result: dict[str, Any]) -> None:
        """One decision per top-level field asked for: refused if AppSync answered it Unauthorized."""
        if not self._listeners:
            return
        refused = {
            str(error["path"][0]): str(error.get("message", ""))
            for error in result.get("errors") or []
            if error.get("errorType") == "Unauthorized" and error.get("path")
        }
        now = datetime.now(UTC)
        for type_name, response_key, field_name in _top_level_fields(self._engine, payload):
            resource = f"{self._api_arn}/types/{type_name}/fields/{field_name}"
            reason = refused.get(response_key)
            self._tell(
                GraphQLDecision(
                    now,
                    _caller_of(auth),
                    resource,
                    allowed=reason is None,
                    reason=reason or f"{type_name}.{field_name} admits {auth.mode.value} callers",
                )
            )


def _caller_of(auth: Authenticated) -> str:
    if auth.caller is not None:
        return auth.caller.principal.arn or "anonymous"
    return f"user-pool:{auth.identity.get('sub')}"


def _top_level_fields(engine: GraphQLEngine, payload: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(root type, response key, field name) of the operation's top-level fields; none if unreadable."""
    query = payload.get("query")
    if not isinstance(query, str):
        return []
    try:
        document = parse(query)
    except GraphQLError:
        return []
    operations = [node for node in document.definitions if isinstance(node, OperationDefinitionNode)]
    name = payload.get("operationName")
    chosen = [op for op in operations if name is None or (op.name and op.name.value == name)]
    if len(chosen) != 1:
        return []
    root = engine.schema.get_root_type(chosen[0].operation)
    if root is None:
        return []
    return [
        (root.name, (node.alias or node.name).value, node.name.value)
        for node in chosen[0].selection_set.selections
        if isinstance(node, FieldNode)
    ]


def _payload(body: bytes) -> dict[str, Any]:
    try:
        payload = json.loads(body)
    except ValueError:
        payload = None
    if not isinstance(payload, dict):
        raise RequestRefusedError(400, "MalformedHttpRequestException", "Unable to parse GraphQL query.")
    return payload


def _json(document: Any, status: int, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(document), status=status, headers=headers, content_type="application/json")


class _QuietRequestHandler(WSGIRequestHandler):
    """Logs requests at debug level: a busy test run should not print a line per request."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        logger.debug("%s %s", self.requestline, code)


class AppSyncServer:
    """A local AppSync GraphQL endpoint for one API; use it as a context manager, or start() and stop().

    directory: who callers are, and the data sources' role credentials.
    aws_endpoint_url: the local AWS endpoint (DynamoDB data sources).
    http_endpoint: where each HTTP data source's requests go (``datasources.aws_endpoint_router``).
    keys: the user pools' signing keys (``auth.JwksEndpoint`` or ``auth.StaticKeys``).
    web_acl: the WAF web ACL associated with the API, if any (``waf.WebAcl``).
    port: 0 for any free port.
    node: the Node.js executable for the resolvers (default: ``node`` on PATH).
    """

    def __init__(
        self,
        definition: ApiDefinition,
        directory: AppSyncDirectory,
        *,
        aws_endpoint_url: str,
        http_endpoint: EndpointRouter,
        keys: KeySource | None = None,
        web_acl: WebAcl | None = None,
        port: int = 0,
        node: str | None = None,
    ) -> None:
        self.definition = definition
        self._web_acl = web_acl
        self._authenticator = Authenticator(definition, directory, keys=keys)
        self._data_sources = DataSources(
            definition, directory, aws_endpoint_url=aws_endpoint_url, http_endpoint=http_endpoint
        )
        self._node = node
        # Built now, so that a schema or resolver the API cannot serve fails before anything starts.
        self._runtime, self._engine = self._new_engine()
        self._runtime_used = False
        self._port = port
        self.listeners: list[DecisionListener] = []
        """Called with each authorisation decision, in the request's thread."""
        self._server: BackgroundServer | None = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """The GraphQL endpoint, like the API's GraphQLUrl: ``http://127.0.0.1:{port}/graphql``."""
        if self._server is None:
            raise RuntimeError("the server is not running")
        return f"{self._server.url}{GRAPHQL_PATH}"

    def start(self) -> None:
        if self._server is not None:
            raise RuntimeError("the server is already running")
        if self._runtime_used:
            # A ResolverRuntime that has been closed cannot be started again: each start has its own.
            self._runtime, self._engine = self._new_engine()
        self._runtime_used = True
        try:
            self._runtime.start()
            self._server = BackgroundServer(
                GraphQLApplication(
                    self._engine, self._authenticator, self.listeners, self.definition.arn, self._web_acl
                ),
                host=HOST,
                port=self._port,
                request_handler=_QuietRequestHandler,
                name=f"appsync-{self.definition.api_id}",
            ).start()
        except BaseException:
            self._runtime.close()
            raise

    def _new_engine(self) -> tuple[ResolverRuntime, GraphQLEngine]:
        runtime = ResolverRuntime(node=self._node)
        return runtime, GraphQLEngine(self.definition, runtime, self._data_sources, self._authenticator)

    def stop(self) -> None:
        """Stops serving, then the resolvers' Node.js process; calling it again does nothing."""
        server, self._server = self._server, None
        if server is not None:
            server.stop()
        self._runtime.close()
        self._data_sources.close()
