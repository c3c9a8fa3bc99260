"""The boundary map's local site: the stack, every authorisation decision as it happens, each role's
grants against its uses so far, and attack replays.

    GET  /                     the map (web/dist/map, built by `make web`)
    GET  /api/stack            the stack's nodes and edges (``stack_map``)
    GET  /api/events           Server-Sent Events: one ``decision`` event per decision, the recent
                               ones first (after ``Last-Event-ID`` when the browser reconnects)
    GET  /api/roles            per role: each grant used or not yet, refusals so far (``secaudit.audit``)
    GET  /api/replays          the attacks it can replay
    GET  /api/session          the token a replay request must carry
    POST /api/replays/NAME     replay one attack, server-side, with real requests

The site is bound to 127.0.0.1 and answers only to its own host (``site.Origin``). A replay changes
the local account (it may create the outsider it plays), so it is accepted only from the map's own
page: a JSON POST, from this origin (``Origin``, and ``Sec-Fetch-Site`` when the browser sends it),
carrying the per-process token that only a same-origin script can read from ``/api/session``. Another
site's page can neither send such a request (it would need a CORS preflight, which is never granted)
nor read the token.
"""

from __future__ import annotations

import hmac
import json
import secrets
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Protocol

from werkzeug.wrappers import Request, Response

from localcloud.webapp.decisions import DecisionFeed
from localcloud.webapp.replays import Replay, ReplayOutcome
from localcloud.webapp.site import BuiltFiles, Origin, json_response
from localcloud.webapp.stack_map import StackMap
from secaudit.audit import RoleAudit

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

KEEPALIVE_SECONDS = 15.0
TOKEN_HEADER = "X-Map-Token"  # noqa: S105 - the name of a header, not a secret


class ReplayRunner(Protocol):
    """What the map needs of ``replays.Replays``."""

    @property
    def all(self) -> Mapping[str, Replay]: ...

    def run(self, name: str) -> ReplayOutcome: ...


class BoundaryMapSite:
    """The WSGI application of the map (wrap it in ``site.SecuredSite``).

    roles: the current per-role audit (grants against uses so far), computed on request.
    """

    def __init__(
        self,
        *,
        files: BuiltFiles,
        origin: Origin,
        stack_map: StackMap,
        feed: DecisionFeed,
        replays: ReplayRunner,
        roles: Callable[[], list[RoleAudit]],
    ) -> None:
        self._files = files
        self._origin = origin
        self._map = stack_map
        self._feed = feed
        self._replays = replays
        self._roles = roles
        self.token = secrets.token_urlsafe(32)
        """What a replay request must carry in :data:`TOKEN_HEADER`: only a same-origin page can read it."""
        self._api: dict[str, Callable[[Request], Response]] = {
            "/api/stack": self._stack,
            "/api/events": self._events,
            "/api/roles": self._role_views,
            "/api/replays": self._replay_list,
            "/api/session": self._session,
        }

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        response = self._route(request)
        return response(environ, start_response)

    def _route(self, request: Request) -> Response:
        path = request.path
        if path.startswith("/api/replays/"):
            return self._replay(request, path.removeprefix("/api/replays/"))
        if not path.startswith("/api/"):
            return self._files.respond(request)
        if request.method != "GET":
            return Response("Method Not Allowed", status=405, headers={"Allow": "GET"})
        handler = self._api.get(path)
        if handler is None:
            return json_response({"message": f"{path} is not served"}, 404)
        return handler(request)

    def _stack(self, request: Request) -> Response:
        return json_response(self._map.to_json())

    def _role_views(self, request: Request) -> Response:
        return json_response({"roles": [self._role_json(role) for role in self._roles()]})

    def _replay_list(self, request: Request) -> Response:
        return json_response({"replays": [replay.to_json() for replay in self._replays.all.values()]})

    def _session(self, request: Request) -> Response:
        return json_response({"token": self.token}, headers={"Cache-Control": "no-store"})

    # -------------------------------------------------------------- the event stream

    def _events(self, request: Request) -> Response:
        last = request.headers.get("Last-Event-ID") or request.args.get("after") or "0"
        subscription = self._feed.subscribe(int(last) if last.isdigit() else 0)

        def body() -> Iterator[bytes]:
            try:
                yield b"retry: 2000\n\n"
                for decision in self._feed.stream(subscription, KEEPALIVE_SECONDS):
                    if decision is None:
                        yield b": keep-alive\n\n"
                    else:
                        data = json.dumps(decision.to_json())
                        yield f"id: {decision.id}\nevent: decision\ndata: {data}\n\n".encode()
            finally:
                self._feed.unsubscribe(subscription)

        return Response(
            body(),
            mimetype="text/event-stream",
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
            direct_passthrough=True,
        )

    # -------------------------------------------------------------- roles

    def _role_json(self, role: RoleAudit) -> dict[str, Any]:
        grants = [
            {"action": g.action, "resource": g.resource, "policy": g.source, "status": "used"}
            for g in role.granted_used
        ]
        grants += [
            {"action": g.action, "resource": g.resource, "policy": g.source, "status": "unused"}
            for g in role.granted_unused
        ]
        grants += [
            {
                "action": g.action,
                "resource": g.resource,
                "policy": g.source,
                "status": "allowed",
                "reason": allowance.reason,
            }
            for g, allowance in role.allowed
        ]
        return {
            "role": role.role,
            "usedBy": list(role.used_by),
            "grants": sorted(grants, key=lambda grant: (grant["status"] != "used", grant["action"])),
            "calledButNotGranted": [
                {"action": use.action, "resource": use.resource, "why": why} for use, why in role.ungranted
            ],
            "refused": self._refusals_of(role.role),
        }

    def _refusals_of(self, role: str) -> list[dict[str, str]]:
        """What was refused to anyone holding this role's credentials (its own code, or a thief)."""
        seen: dict[tuple[str, str], dict[str, str]] = {}
        for decision in self._feed.recent():
            if not decision.allowed and decision.principal_label == role:
                seen[(decision.action, decision.resource)] = {
                    "action": decision.action,
                    "resource": decision.resource,
                    "reason": decision.reason,
                }
        return list(seen.values())

    # -------------------------------------------------------------- replays

    def _replay(self, request: Request, name: str) -> Response:
        if request.method == "GET":
            return Response("Method Not Allowed", status=405, headers={"Allow": "POST"})
        refusal = self._cross_site(request)
        if refusal is not None:
            return json_response({"message": f"replay refused: {refusal}"}, 403)
        if name not in self._replays.all:
            return json_response({"message": f"no replay named {name!r}"}, 404)
        return json_response(self._replays.run(name).to_json())

    def _cross_site(self, request: Request) -> str | None:
        """Why ``request`` may not come from the map's own page; None if it does."""
        if request.method != "POST":
            return "replays are POST requests"
        if request.headers.get("Origin") not in self._origin.origins():
            return "the Origin header does not name this site"
        if request.headers.get("Sec-Fetch-Site", "same-origin") != "same-origin":
            return "the browser says the request comes from another site"
        if request.mimetype != "application/json":
            return "the body must be JSON (Content-Type: application/json)"
        if not hmac.compare_digest(request.headers.get(TOKEN_HEADER, "").encode(), self.token.encode()):
            return f"the {TOKEN_HEADER} header does not carry this site's token"
        return None
