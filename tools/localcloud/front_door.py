"""What reaches moto at all: the local AWS endpoint's WSGI application, in front of moto's dispatcher.

moto's server (5.2.5) answers more than the local cloud authorises: its ``/moto-api/`` resets or dumps
the account for anyone who asks, it allows cross-origin requests from any web page, and it serves
every service it mocks, some of which (S3...) never reach the authorisation hook that
:mod:`localcloud.enforcement` replaces. The front door admits only:

- what SDKs and the CLI send: no ``Origin`` header (a web page's request) and no CORS preflight, a
  ``Host`` naming this endpoint (a DNS-rebinding page names its own host), no moto test hooks
  (``/moto-api/``, ``x-moto-*`` headers);
- the services enforcement authorises (``SERVED_SERVICES``), and within them only routes whose
  handler is moto's ``BaseResponse.dispatch`` (the path through the authorisation hook) or a public
  document (a user pool's OpenID configuration, SNS's signing certificate);
- a user pool's JWKS, which the door answers itself from the pool's own generated key.

It keeps each request's body exactly as received, for SigV4, and removes CORS headers from answers.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from xml.sax.saxutils import escape

from moto.cognitoidp.responses import CognitoIdpOpenIdConfigurationResponse
from moto.moto_server.werkzeug_app import DomainDispatcherApplication
from moto.sns.responses import SNSResponse
from werkzeug.exceptions import HTTPException
from werkzeug.wsgi import get_input_stream

from localcloud import moto_seams
from localcloud.enforcement import RECEIVED_BODY

StartResponse = Callable[..., Any]
UserPoolKeys = Callable[[str], Mapping[str, Any] | None]

_JWKS_PATH = re.compile(r"/(?P<pool>[^/]+)/\.well-known/jwks\.json")
_MOTO_HOOK_PATHS = ("/moto-api", "/favicon.ico", "/latest/")
_LOCAL_HOSTS = ("127.0.0.1", "localhost")
_CORS_HEADERS = "access-control-"
# Handlers moto calls without its authorisation hook that serve what AWS publishes to anyone.
# (A user pool's JWKS is one too, but the door answers it itself, from the pool's own key.)
_PUBLIC_DOCUMENTS = (
    CognitoIdpOpenIdConfigurationResponse.serve_openid_configuration,
    SNSResponse.serve_pem,
)
_DISPATCH = moto_seams.dispatch_function()


class FrontDoor:
    """The WSGI application of the local AWS endpoint.

    dispatcher: moto's server application, which routes each request to a service's backend.
    served_backends: moto's names of the backends requests may reach.
    user_pool_keys: user pool id -> its public JWKS (None for an unknown pool).
    """

    def __init__(
        self,
        dispatcher: DomainDispatcherApplication,
        served_backends: Iterable[str],
        user_pool_keys: UserPoolKeys,
    ) -> None:
        self._dispatcher = dispatcher
        self._served = frozenset(served_backends)
        self._user_pool_keys = user_pool_keys

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        body = get_input_stream(environ).read()
        environ[RECEIVED_BODY] = body
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        environ.pop("HTTP_TRANSFER_ENCODING", None)  # the body is whole now
        environ["wsgi.input_terminated"] = True
        refusal = self._refusal(environ)
        if refusal is not None:
            status, error_type, message = refusal
            return _error(environ, start_response, status, error_type, message)
        jwks = _JWKS_PATH.fullmatch(environ.get("PATH_INFO", ""))
        if jwks is not None and environ["REQUEST_METHOD"] == "GET":
            return self._jwks(jwks["pool"], environ, start_response)
        try:
            application = self._dispatcher.get_application(environ)
        except Exception:  # moto's routing fails on malformed requests (a DynamoDB call with no target...)
            return _error(
                environ, start_response, 400, "UnknownOperationException", "The request names no operation."
            )
        backend = getattr(application, "service", None)
        if backend not in self._served:
            message = (
                f"The local cloud does not emulate {backend}: its AWS endpoint serves "
                f"{', '.join(sorted(self._served))} (see docs/localcloud.md)."
            )
            return _error(environ, start_response, 400, "ServiceNotEmulated", message)
        if not _reaches_authorisation(application, environ):
            route = f"{environ['REQUEST_METHOD']} {environ.get('PATH_INFO', '')}"
            message = f"{route} is not served by the local cloud (see docs/localcloud.md)."
            return _error(environ, start_response, 400, "OperationNotEmulated", message)

        def without_cors(status: str, headers: list[tuple[str, str]], *rest: Any) -> Any:
            kept = [(name, value) for name, value in headers if not name.lower().startswith(_CORS_HEADERS)]
            return start_response(status, kept, *rest)

        result: Iterable[bytes] = application(environ, without_cors)
        return result

    def _refusal(self, environ: Mapping[str, Any]) -> tuple[int, str, str] | None:
        path = str(environ.get("PATH_INFO", ""))
        if environ["REQUEST_METHOD"] == "OPTIONS" or "HTTP_ORIGIN" in environ:
            return (
                403,
                "CrossOriginRequestRefused",
                "The local AWS endpoint serves SDKs and the AWS CLI, not web pages: requests with an "
                "Origin (and CORS preflights) are refused.",
            )
        port = str(environ.get("SERVER_PORT", ""))
        host = str(environ.get("HTTP_HOST", ""))
        if host not in {f"{name}:{port}" for name in _LOCAL_HOSTS}:
            return (
                403,
                "HostRefused",
                f"The local AWS endpoint answers to 127.0.0.1:{port} (or localhost:{port}), not to {host!r}.",
            )
        if path.startswith(_MOTO_HOOK_PATHS) or any(name.startswith("HTTP_X_MOTO_") for name in environ):
            return (
                403,
                "MotoHookRefused",
                "moto's own endpoints and x-moto-* headers are not served: they would let anyone reset, "
                "read or re-route the local account.",
            )
        return None

    def _jwks(self, pool_id: str, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        keys = self._user_pool_keys(pool_id)
        if keys is None:
            message = f"User pool {pool_id} does not exist."
            return _error(environ, start_response, 404, "ResourceNotFoundException", message)
        body = json.dumps(keys).encode()
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]


def _reaches_authorisation(application: Any, environ: dict[str, Any]) -> bool:
    """Whether the route moto will take passes through its authorisation hook, or serves a public
    document. A request no route matches is answered by moto with an error, running no handler."""
    try:
        endpoint, _ = application.url_map.bind_to_environ(environ).match()
    except HTTPException:
        return True
    return goes_through_authorisation(getattr(application.view_functions.get(endpoint), "callback", None))


def goes_through_authorisation(handler: Any) -> bool:
    """Whether a moto route's handler runs the authorisation hook before the operation (every
    ``BaseResponse.dispatch`` does), or serves a document AWS publishes to anyone."""
    if getattr(handler, "__func__", None) is _DISPATCH:
        return True
    return any(handler is document for document in _PUBLIC_DOCUMENTS)


def _error(
    environ: Mapping[str, Any], start_response: StartResponse, status: int, error_type: str, message: str
) -> Iterable[bytes]:
    """An error in the request's protocol: JSON for JSON requests, the query protocol's XML otherwise."""
    if "json" in str(environ.get("CONTENT_TYPE", "")):
        body = json.dumps({"__type": error_type, "message": message}).encode()
        content_type = "application/json"
    else:
        body = (
            "<ErrorResponse><Error><Type>Sender</Type>"
            f"<Code>{escape(error_type)}</Code><Message>{escape(message)}</Message>"
            "</Error></ErrorResponse>"
        ).encode()
        content_type = "text/xml"
    reason = {400: "Bad Request", 403: "Forbidden", 404: "Not Found"}[status]
    start_response(
        f"{status} {reason}",
        [
            ("Content-Type", content_type),
            ("Content-Length", str(len(body))),
            ("x-amzn-ErrorType", error_type),
        ],
    )
    return [body]
