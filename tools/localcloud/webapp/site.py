"""What both local sites (the customer web app and the boundary map) share: their origin, their
security headers and their built files.

The security headers are those the deployed site's CloudFront response headers policy sets
(``web/template.yaml``, ``SecurityHeadersPolicy``), read from the template so that the two cannot
drift apart. Only ``Strict-Transport-Security`` is left out: the local sites are plain HTTP on
127.0.0.1, where browsers ignore it.
"""

from __future__ import annotations

import json
import mimetypes
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from werkzeug.security import safe_join
from werkzeug.wrappers import Request, Response

from stacktools.intrinsics import Resolver
from stacktools.project import ACCOUNT_ID, REGION, WEB_TEMPLATE_PATH
from stacktools.template import REPOSITORY_ROOT, load_template, resources_of_type

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

WEB_BUILD = REPOSITORY_ROOT / "web" / "dist"
"""``make web`` builds the customer app into ``app/`` and the boundary map into ``map/`` here."""

_SECURITY_HEADER_NAMES = {
    "ContentSecurityPolicy": "Content-Security-Policy",
    "ContentTypeOptions": "X-Content-Type-Options",
    "FrameOptions": "X-Frame-Options",
    "ReferrerPolicy": "Referrer-Policy",
}


def security_headers(template_path: Path = WEB_TEMPLATE_PATH, *, api_origins: str = "") -> dict[str, str]:
    """The headers of ``SecurityHeadersPolicy`` with ``ApiOrigins`` set to ``api_origins``.

    Locally the browser talks to its own origin only, so the default leaves ``connect-src 'self'``."""
    template = load_template(template_path)
    [policy] = resources_of_type(template, "AWS::CloudFront::ResponseHeadersPolicy").values()
    resolver = Resolver(
        account_id=ACCOUNT_ID, region=REGION, stack_name="local", refs={"ApiOrigins": api_origins}
    )
    config: dict[str, Any] = resolver.resolve(policy["Properties"]["ResponseHeadersPolicyConfig"])
    security = config.get("SecurityHeadersConfig", {})
    headers = {
        name: _security_header_value(key, security[key])
        for key, name in _SECURITY_HEADER_NAMES.items()
        if key in security
    }
    for item in config.get("CustomHeadersConfig", {}).get("Items", []):
        headers[str(item["Header"])] = str(item["Value"])
    return headers


def _security_header_value(key: str, setting: Mapping[str, Any]) -> str:
    match key:
        case "ContentSecurityPolicy":
            # One line, and no space left before a ";" where a substituted value was empty.
            return re.sub(r"\s+;", ";", " ".join(str(setting["ContentSecurityPolicy"]).split()))
        case "FrameOptions":
            return str(setting["FrameOption"])
        case "ReferrerPolicy":
            return str(setting["ReferrerPolicy"])
        case _:
            return "nosniff"  # ContentTypeOptions has no value of its own


class Origin:
    """The ``http://127.0.0.1:PORT`` a site is served on, known once its server has started.

    Requests must name it in ``Host`` (``localhost:PORT`` too): a page of another site whose domain is
    re-pointed at 127.0.0.1 (DNS rebinding) names its own host and is refused.
    """

    def __init__(self) -> None:
        self.url: str | None = None

    def hosts(self) -> frozenset[str]:
        if self.url is None:
            return frozenset()
        port = self.url.rsplit(":", 1)[-1]
        return frozenset({f"127.0.0.1:{port}", f"localhost:{port}"})

    def serves(self, request: Request) -> bool:
        return request.host in self.hosts()

    def origins(self) -> frozenset[str]:
        return frozenset(f"http://{host}" for host in self.hosts())


def json_response(document: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    return Response(
        json.dumps(document),
        status=status,
        headers=dict(headers or {}),
        content_type="application/json",
    )


class BuiltFiles:
    """A site's built files (index.html, assets/...), served read-only.

    Hashed assets are cached for good; everything else is revalidated, so a rebuilt site shows at once.
    """

    def __init__(self, directory: Path, build_hint: str) -> None:
        self._directory = directory
        self._build_hint = build_hint

    def respond(self, request: Request) -> Response:
        if request.method not in ("GET", "HEAD"):
            return Response("Method Not Allowed", status=405, headers={"Allow": "GET, HEAD"})
        index = self._directory / "index.html"
        if not index.is_file():
            return Response(
                f"This site is not built: {self._build_hint}\n", status=503, content_type="text/plain"
            )
        relative = request.path.lstrip("/") or "index.html"
        located = safe_join(str(self._directory), relative)
        path = Path(located) if located else None
        if path is None or not path.is_file():
            return Response("Not Found\n", status=404, content_type="text/plain")
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        if content_type.startswith("text/") or content_type in ("application/javascript", "image/svg+xml"):
            content_type += "; charset=utf-8"
        immutable = relative.startswith("assets/")
        return Response(
            path.read_bytes(),
            content_type=content_type,
            headers={"Cache-Control": "public, max-age=31536000, immutable" if immutable else "no-cache"},
        )


class SecuredSite:
    """WSGI middleware: refuses requests for another host, answers no CORS preflight, and adds the
    security headers to every response."""

    def __init__(self, app: Any, origin: Origin, headers: Mapping[str, str]) -> None:
        self._app = app
        self._origin = origin
        self._headers = dict(headers)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        if not self._origin.serves(request):
            response = Response(
                "Misdirected Request: this local site answers only to its own host\n",
                status=421,
                content_type="text/plain",
            )
        elif request.method == "OPTIONS":
            # No CORS: another origin's script may not call this site, so no preflight is ever granted.
            response = Response(
                "Forbidden: no cross-origin requests\n", status=403, content_type="text/plain"
            )
        else:
            return self._app(environ, self._with_headers(start_response))  # type: ignore[no-any-return]
        return response(environ, self._with_headers(start_response))

    def _with_headers(self, start_response: StartResponse) -> StartResponse:
        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            present = {name.lower() for name, _ in headers}
            extra = [(name, value) for name, value in self._headers.items() if name.lower() not in present]
            return start_response(status, [*headers, *extra], exc_info)

        return start
