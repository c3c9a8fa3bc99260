"""The customer site's own routes: its configuration, and the GraphQL route that forwards a request to
the local AppSync with the caller's Authorization header and nothing else of the browser's."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
from requests.auth import AuthBase
from werkzeug.wrappers import Request, Response

from localcloud.serving import BackgroundServer
from localcloud.webapp.cognito import CognitoGateway
from localcloud.webapp.customer import MAX_GRAPHQL_BODY_BYTES, CustomerSite, app_config
from localcloud.webapp.site import BuiltFiles

OUTPUTS = {
    "UserPoolId": "eu-west-1_pool",
    "UserPoolClientId": "client123",
    "GraphQLApiUrl": "https://x/graphql",
}


@dataclass
class FakeAppSync:
    received: list[dict[str, str]] = field(default_factory=list)

    def __call__(self, environ: Any, start_response: Any) -> Any:
        request = Request(environ)
        self.received.append(dict(request.headers))
        answer = Response(json.dumps({"data": {"echo": request.get_json()}}), content_type="application/json")
        return answer(environ, start_response)


@dataclass
class Site:
    url: str
    appsync: FakeAppSync


def _site(graphql_url: str, tmp_path: Path) -> CustomerSite:
    return CustomerSite(
        files=BuiltFiles(tmp_path, "run `make web`"),
        config=app_config(OUTPUTS, "eu-west-1"),
        graphql_url=graphql_url,
        cognito=CognitoGateway("http://127.0.0.1:9", "client123", AuthBase(), lambda mail: None),
    )


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    appsync = FakeAppSync()
    with (
        BackgroundServer(appsync) as upstream,
        BackgroundServer(_site(f"{upstream.url}/graphql", tmp_path)) as served,
    ):
        yield Site(served.url, appsync)


def test_the_config_names_this_origins_own_routes(site: Site) -> None:
    response = requests.get(f"{site.url}/config.json", timeout=10)

    assert response.json() == {
        "region": "eu-west-1",
        "userPoolId": "eu-west-1_pool",
        "userPoolClientId": "client123",
        "graphqlUrl": "/graphql",
        "cognitoUrl": "/cognito",
    }
    assert response.headers["Cache-Control"] == "no-store"


def test_graphql_is_forwarded_with_the_authorization_header_only(site: Site) -> None:
    response = requests.post(
        f"{site.url}/graphql",
        json={"query": "{ x }"},
        headers={"Authorization": "id-token", "Cookie": "session=1", "X-Forwarded-For": "10.0.0.1"},
        timeout=10,
    )

    assert response.json() == {"data": {"echo": {"query": "{ x }"}}}
    [headers] = site.appsync.received
    assert headers["Authorization"] == "id-token"
    assert "Cookie" not in headers
    assert "X-Forwarded-For" not in headers


def test_only_posts_are_forwarded(site: Site) -> None:
    assert requests.get(f"{site.url}/graphql", timeout=10).status_code == 405
    assert site.appsync.received == []


def test_an_oversized_request_is_refused_before_it_is_forwarded(site: Site) -> None:
    response = requests.post(f"{site.url}/graphql", data=b"x" * (MAX_GRAPHQL_BODY_BYTES + 1), timeout=10)

    assert response.status_code == 413
    assert site.appsync.received == []


def test_an_api_that_does_not_answer_is_a_bad_gateway(tmp_path: Path) -> None:
    with BackgroundServer(_site("http://127.0.0.1:9/graphql", tmp_path)) as served:
        response = requests.post(f"{served.url}/graphql", json={"query": "{ x }"}, timeout=10)

    assert response.status_code == 502
    assert response.json()["errors"][0]["errorType"] == "BadGateway"


def test_a_user_pool_that_does_not_answer_is_an_internal_error(tmp_path: Path) -> None:
    with BackgroundServer(_site("http://127.0.0.1:9/graphql", tmp_path)) as served:
        response = requests.post(
            f"{served.url}/cognito",
            data=json.dumps({"ClientId": "client123", "AuthFlow": "USER_PASSWORD_AUTH"}),
            headers={"X-Amz-Target": "AWSCognitoIdentityProviderService.InitiateAuth"},
            timeout=10,
        )

    assert (response.status_code, response.json()["__type"]) == (502, "InternalErrorException")
