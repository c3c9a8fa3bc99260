"""The customer web app's local site: the built app, its configuration, and same-origin routes to the
GraphQL API and the user pool.

    GET  /             the app (web/dist/app, built by `make web`)
    GET  /config.json  where the app finds its user pool and API: here, this origin's own routes
    POST /graphql      forwarded to the local AppSync, with the caller's Authorization header only
    POST /cognito      the Cognito operations a browser needs (see ``cognito``)

Deployed, the same app reads a config.json naming the real AppSync and Cognito endpoints, which send
CORS headers of their own (``stacktools.webdeploy``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import requests
from werkzeug.wrappers import Request, Response

from localcloud.webapp.cognito import CognitoGateway
from localcloud.webapp.site import BuiltFiles, json_response

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

MAX_GRAPHQL_BODY_BYTES = 1024 * 1024
_FORWARD_TIMEOUT_SECONDS = 60


def app_config(outputs: dict[str, str], region: str) -> dict[str, str]:
    """The app's configuration on the local cloud: the stack's user pool, reached through this origin."""
    return {
        "region": region,
        "userPoolId": outputs["UserPoolId"],
        "userPoolClientId": outputs["UserPoolClientId"],
        "graphqlUrl": "/graphql",
        "cognitoUrl": "/cognito",
    }


class CustomerSite:
    """The WSGI application of the customer site (wrap it in ``site.SecuredSite``)."""

    def __init__(
        self, *, files: BuiltFiles, config: dict[str, str], graphql_url: str, cognito: CognitoGateway
    ) -> None:
        self._files = files
        self._config = config
        self._graphql_url = graphql_url
        self._cognito = cognito

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        match request.path:
            case "/config.json":
                response = json_response(self._config, headers={"Cache-Control": "no-store"})
            case "/graphql":
                response = self._graphql(request)
            case "/cognito":
                response = self._cognito.respond(request)
            case _:
                response = self._files.respond(request)
        return response(environ, start_response)

    def _graphql(self, request: Request) -> Response:
        if request.method != "POST":
            return Response("Method Not Allowed", status=405, headers={"Allow": "POST"})
        if (request.content_length or 0) > MAX_GRAPHQL_BODY_BYTES:
            return json_response(
                {"errors": [{"errorType": "RequestEntityTooLarge", "message": "the request is too large"}]},
                413,
            )
        headers: dict[str, Any] = {"Content-Type": "application/json"}
        if "Authorization" in request.headers:
            headers["Authorization"] = request.headers["Authorization"]
        try:
            answer = requests.post(
                self._graphql_url,
                data=request.get_data(cache=True),
                headers=headers,
                timeout=_FORWARD_TIMEOUT_SECONDS,
            )
        except requests.RequestException as error:
            failure = {"errorType": "BadGateway", "message": f"the local GraphQL API did not answer: {error}"}
            return json_response({"errors": [failure]}, 502)
        response = Response(answer.content, status=answer.status_code, content_type="application/json")
        if "x-amzn-ErrorType" in answer.headers:
            response.headers["x-amzn-ErrorType"] = answer.headers["x-amzn-ErrorType"]
        response.headers["Cache-Control"] = "no-store"
        return response
