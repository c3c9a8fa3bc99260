"""What both local sites share: the deployed site's security headers on every response, no answer to
another host or to a CORS preflight, and nothing served from outside the built files."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from werkzeug.wrappers import Request, Response

from localcloud.serving import BackgroundServer
from localcloud.webapp.site import BuiltFiles, Origin, SecuredSite, security_headers
from stacktools.project import WEB_TEMPLATE_PATH
from stacktools.template import load_template, resources_of_type


@pytest.fixture
def built(tmp_path: Path) -> Path:
    site = tmp_path / "site"
    (site / "assets").mkdir(parents=True)
    (site / "index.html").write_text("<!doctype html><title>app</title>", encoding="utf-8")
    (site / "assets" / "index-abc123.js").write_text("console.log(1)", encoding="utf-8")
    (tmp_path / "secret.txt").write_text("not part of the site", encoding="utf-8")
    return site


@pytest.fixture
def served(built: Path) -> Iterator[str]:
    files = BuiltFiles(built, "run `make web`")
    origin = Origin()

    def app(environ: dict[str, object], start_response: object) -> object:
        return files.respond(Request(environ))(environ, start_response)  # type: ignore[arg-type]

    with BackgroundServer(SecuredSite(app, origin, security_headers())) as server:
        origin.url = server.url
        yield server.url


def test_the_local_headers_are_the_deployed_sites() -> None:
    [policy] = resources_of_type(
        load_template(WEB_TEMPLATE_PATH), "AWS::CloudFront::ResponseHeadersPolicy"
    ).values()
    config = policy["Properties"]["ResponseHeadersPolicyConfig"]
    written = " ".join(
        config["SecurityHeadersConfig"]["ContentSecurityPolicy"]["ContentSecurityPolicy"]["Fn::Sub"].split()
    )

    headers = security_headers()

    assert headers["Content-Security-Policy"] == written.replace(" ${ApiOrigins};", ";")
    assert headers["X-Frame-Options"] == config["SecurityHeadersConfig"]["FrameOptions"]["FrameOption"]
    assert headers["Referrer-Policy"] == config["SecurityHeadersConfig"]["ReferrerPolicy"]["ReferrerPolicy"]
    for item in config["CustomHeadersConfig"]["Items"]:
        assert headers[item["Header"]] == item["Value"]
    assert "connect-src 'self';" in headers["Content-Security-Policy"]  # locally: its own origin only
    assert "Strict-Transport-Security" not in headers  # plain HTTP on 127.0.0.1: browsers ignore it


def test_the_api_origins_go_into_connect_src() -> None:
    policy = security_headers(api_origins="https://a.example https://b.example")["Content-Security-Policy"]

    assert "connect-src 'self' https://a.example https://b.example;" in policy


def test_every_response_carries_the_headers_errors_included(served: str) -> None:
    for path in ("/", "/assets/index-abc123.js", "/missing"):
        response = requests.get(served + path, timeout=10)
        assert response.headers["Content-Security-Policy"] == security_headers()["Content-Security-Policy"]
        assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_the_built_files_are_served_with_their_types_and_caching(served: str) -> None:
    index = requests.get(served + "/", timeout=10)
    asset = requests.get(served + "/assets/index-abc123.js", timeout=10)

    assert (index.status_code, index.headers["Content-Type"]) == (200, "text/html; charset=utf-8")
    assert index.headers["Cache-Control"] == "no-cache"
    assert asset.headers["Content-Type"].startswith(("text/javascript", "application/javascript"))
    assert "immutable" in asset.headers["Cache-Control"]


@pytest.mark.parametrize(
    "path", ["/../secret.txt", "/%2e%2e/secret.txt", "/assets/../../secret.txt", "//etc/passwd"]
)
def test_nothing_outside_the_built_files_is_served(served: str, path: str) -> None:
    response = requests.get(served + path, timeout=10)

    assert response.status_code == 404
    assert "not part of the site" not in response.text


def test_another_host_is_refused(served: str) -> None:
    # A page of evil.example, its name re-pointed at 127.0.0.1, names its own host.
    response = requests.get(served + "/", headers={"Host": "evil.example"}, timeout=10)

    assert response.status_code == 421


def test_localhost_is_the_same_site(served: str) -> None:
    port = served.rsplit(":", 1)[-1]

    assert requests.get(served + "/", headers={"Host": f"localhost:{port}"}, timeout=10).status_code == 200


def test_no_cors_preflight_is_granted(served: str) -> None:
    response = requests.options(
        served + "/",
        headers={"Origin": "http://evil.example", "Access-Control-Request-Method": "POST"},
        timeout=10,
    )

    assert response.status_code == 403
    assert not [name for name in response.headers if name.lower().startswith("access-control-")]


def test_an_unbuilt_site_says_how_to_build_it(tmp_path: Path) -> None:
    response = BuiltFiles(tmp_path / "nothing", "run `make web`").respond(Request.from_values("/"))

    assert response.status_code == 503
    assert "run `make web`" in response.get_data(as_text=True)


def test_only_get_and_head_are_answered(built: Path) -> None:
    response: Response = BuiltFiles(built, "").respond(Request.from_values("/", method="POST"))

    assert response.status_code == 405
