"""The front door of the local AWS endpoint, in process: what it refuses before moto sees a request,
what it answers itself, and that every route of a served service goes through authorisation."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import pytest
from moto.cognitoidp.responses import CognitoIdpJsonWebKeyResponse
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.test import Client

from localcloud.enforcement import RECEIVED_BODY, served_backends
from localcloud.front_door import FrontDoor, goes_through_authorisation
from stacktools.project import REGION

PORT = 4566
HOST = f"127.0.0.1:{PORT}"
POOL = f"{REGION}_localpool"
JWKS = {"keys": [{"kty": "RSA", "kid": "dummy", "n": "abc", "e": "AQAB"}]}


class RecordingDispatcher(DomainDispatcherApplication):
    """moto's dispatcher, remembering what reached it."""

    def __init__(self) -> None:
        super().__init__(create_backend_app)
        self.reached: list[dict[str, Any]] = []

    def get_application(self, environ: dict[str, Any]) -> Any:
        self.reached.append(dict(environ))
        return super().get_application(environ)


@pytest.fixture
def dispatcher() -> RecordingDispatcher:
    return RecordingDispatcher()


@pytest.fixture
def client(dispatcher: RecordingDispatcher) -> Client:
    door = FrontDoor(dispatcher, served_backends(), lambda pool: JWKS if pool == POOL else None)
    return Client(door)


def send(client: Client, method: str, path: str, **options: Any) -> Any:
    return client.open(path, method=method, base_url=f"http://{HOST}", **options)


def unsigned_sts() -> dict[str, Any]:
    return {
        "data": "Action=GetCallerIdentity&Version=2011-06-15",
        "headers": {
            "Content-Type": "application/x-www-form-urlencoded",
            "Authorization": f"AWS4-HMAC-SHA256 Credential=AKIA/20300101/{REGION}/sts/aws4_request, "
            "SignedHeaders=host, Signature=0",
        },
    }


@pytest.mark.parametrize("path", ["/moto-api/reset", "/moto-api/data.json", "/moto-api/", "/favicon.ico"])
def test_motos_own_api_is_refused_before_moto_sees_it(
    client: Client, dispatcher: RecordingDispatcher, path: str
) -> None:
    response = send(client, "POST", path)

    assert response.status_code == 403
    assert b"MotoHookRefused" in response.data
    assert dispatcher.reached == []


def test_moto_test_headers_are_refused(client: Client, dispatcher: RecordingDispatcher) -> None:
    options = unsigned_sts()
    options["headers"]["x-moto-account-id"] = "999999999999"

    response = send(client, "POST", "/", **options)

    assert response.status_code == 403
    assert dispatcher.reached == []


@pytest.mark.parametrize(
    ("method", "headers"),
    [
        ("OPTIONS", {"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}),
        ("OPTIONS", {}),
        ("POST", {"Origin": "https://evil.example"}),
        ("POST", {"Origin": "null"}),
    ],
)
def test_web_pages_get_no_answer_they_may_read(
    client: Client, dispatcher: RecordingDispatcher, method: str, headers: dict[str, str]
) -> None:
    response = send(client, method, "/", headers=headers)

    assert response.status_code == 403
    assert b"CrossOriginRequestRefused" in response.data
    assert not [name for name, _ in response.headers.items() if name.lower().startswith("access-control-")]
    assert dispatcher.reached == []


@pytest.mark.parametrize(
    "host", ["evil.example", f"evil.example:{PORT}", "127.0.0.1:1", "127.0.0.2:4566", ""]
)
def test_a_host_other_than_this_endpoint_is_refused(
    client: Client, dispatcher: RecordingDispatcher, host: str
) -> None:
    response = send(client, "POST", "/", headers={"Host": host})

    assert response.status_code == 403
    assert b"HostRefused" in response.data
    assert dispatcher.reached == []


def test_localhost_names_this_endpoint_too(client: Client) -> None:
    response = send(
        client,
        "POST",
        "/",
        headers={"Host": f"localhost:{PORT}", **unsigned_sts()["headers"]},
        data=unsigned_sts()["data"],
    )

    assert response.status_code == 200


@pytest.mark.parametrize(("method", "path"), [("PUT", "/loot"), ("PUT", "/loot/key.txt"), ("GET", "/")])
def test_a_service_enforcement_does_not_serve_is_refused(
    client: Client, dispatcher: RecordingDispatcher, method: str, path: str
) -> None:
    response = send(client, method, path, data=b"loot")

    assert response.status_code == 400
    assert b"ServiceNotEmulated" in response.data
    assert b"does not emulate s3" in response.data


def test_a_refusal_speaks_json_to_a_json_client(client: Client) -> None:
    response = send(
        client,
        "POST",
        "/",
        data="{}",
        headers={"Content-Type": "application/x-amz-json-1.0", "Origin": "https://evil.example"},
    )

    assert json.loads(response.data)["__type"] == "CrossOriginRequestRefused"
    assert response.headers["x-amzn-ErrorType"] == "CrossOriginRequestRefused"


def test_a_served_service_reaches_moto_with_the_body_as_received(
    client: Client, dispatcher: RecordingDispatcher
) -> None:
    options = unsigned_sts()

    response = send(client, "POST", "/", **options)

    assert response.status_code == 200
    assert b"GetCallerIdentityResponse" in response.data
    assert dispatcher.reached[0][RECEIVED_BODY] == options["data"].encode()


def test_a_user_pools_keys_are_answered_by_the_door(client: Client, dispatcher: RecordingDispatcher) -> None:
    response = send(client, "GET", f"/{POOL}/.well-known/jwks.json")
    unknown = send(client, "GET", f"/{REGION}_other/.well-known/jwks.json")

    assert response.status_code == 200
    assert json.loads(response.data) == JWKS
    assert unknown.status_code == 404
    assert dispatcher.reached == []


def test_cors_headers_moto_adds_are_removed() -> None:
    def application(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        start_response("200 OK", [("Access-Control-Allow-Origin", "*"), ("Content-Type", "text/plain")])
        return [b"ok"]

    class Dispatcher(DomainDispatcherApplication):
        def get_application(self, environ: dict[str, Any]) -> Any:
            application.service = "sts"  # type: ignore[attr-defined]
            application.url_map = create_backend_app("sts").url_map  # type: ignore[attr-defined]
            application.view_functions = create_backend_app("sts").view_functions  # type: ignore[attr-defined]
            return application

    door = FrontDoor(Dispatcher(create_backend_app), served_backends(), lambda pool: None)
    response = send(Client(door), "POST", "/", **unsigned_sts())

    assert response.data == b"ok"
    assert "Access-Control-Allow-Origin" not in response.headers


def test_a_route_that_skips_the_authorisation_hook_is_refused(dispatcher: RecordingDispatcher) -> None:
    """S3's handlers never call the hook: even if S3 were served, its routes would be refused."""
    client = Client(FrontDoor(dispatcher, {*served_backends(), "s3"}, lambda pool: None))

    response = send(client, "PUT", "/loot")

    assert response.status_code == 400
    assert b"OperationNotEmulated" in response.data


@pytest.mark.parametrize("backend", sorted(served_backends()))
def test_every_route_of_a_served_service_goes_through_authorisation(backend: str) -> None:
    """Each of moto's routes for a served service leads to BaseResponse.dispatch (and so to the
    authorisation hook) or serves a document AWS publishes to anyone. A moto upgrade adding another
    kind of handler fails here; the front door refuses such a route meanwhile."""
    application = create_backend_app(backend)  # type: ignore[arg-type]
    handlers = {
        endpoint: view.callback
        for endpoint, view in application.view_functions.items()
        if hasattr(view, "callback")
    }

    unauthorised = [
        endpoint
        for endpoint, handler in handlers.items()
        if not goes_through_authorisation(handler)
        and handler is not CognitoIdpJsonWebKeyResponse.serve_json_web_key
    ]

    assert handlers
    assert unauthorised == []
