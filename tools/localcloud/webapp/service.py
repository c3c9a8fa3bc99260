"""Starting and stopping both sites for a running local cloud."""

from __future__ import annotations

import threading
from collections.abc import Callable
from types import TracebackType
from typing import Self

from localcloud.cloud import LocalCloud, LocalCloudError
from localcloud.serving import BackgroundServer, PortInUseError
from localcloud.walkthrough import sigv4
from localcloud.webapp.boundary_map import BoundaryMapSite
from localcloud.webapp.cognito import CognitoGateway, ConfirmationMail
from localcloud.webapp.customer import CustomerSite, app_config
from localcloud.webapp.decisions import Decision, DecisionFeed
from localcloud.webapp.replays import Replays
from localcloud.webapp.site import WEB_BUILD, BuiltFiles, Origin, SecuredSite, security_headers
from localcloud.webapp.stack_map import StackMap
from secaudit.audit import RoleAudit, audit, load_allowances
from secaudit.policies import stack_policies
from secaudit.usage import uses_of
from stacktools.project import REGION
from stacktools.template import load_template

BUILD_HINT = "run `make web` (npm ci and vite build in web/)"


class WebApp:
    """The customer web app and the boundary map of ``cloud``, on two origins of 127.0.0.1.

    deliver: called with each sign-up's confirmation code, as Cognito would mail it (``outbox``
    keeps them too).
    """

    def __init__(
        self,
        cloud: LocalCloud,
        *,
        app_port: int = 0,
        map_port: int = 0,
        deliver: Callable[[ConfirmationMail], None] | None = None,
    ) -> None:
        self._cloud = cloud
        self._ports = (app_port, map_port)
        self._deliver = deliver
        self.outbox: list[ConfirmationMail] = []
        self._outbox_lock = threading.Lock()
        self._servers: list[BackgroundServer] = []
        self._feed: DecisionFeed | None = None
        self.app_url = ""
        self.map_url = ""

    def start(self) -> Self:
        cloud, stack = self._cloud, self._cloud.stack
        if stack is None or not cloud.endpoints.graphql:
            raise LocalCloudError("start the local cloud before its web app")
        policies = stack_policies(load_template(cloud.template_path), cloud.parameters, stack_name=stack.name)
        allowances = load_allowances()

        def roles() -> list[RoleAudit]:
            return audit(policies, uses_of(cloud), allowances)

        stack_map = StackMap(stack, audit(policies, set(), allowances))
        feed = self._feed = DecisionFeed(stack_map)
        cloud.enforcement.listeners.append(feed.on_access)
        for rest_api in cloud.rest_apis.values():
            rest_api.listeners.append(feed.on_api_request)
        for graphql_api in cloud.graphql_apis.values():
            graphql_api.listeners.append(feed.on_graphql)
        headers = security_headers()
        try:
            app_origin = Origin()
            customer = CustomerSite(
                files=BuiltFiles(WEB_BUILD / "app", BUILD_HINT),
                config=app_config(stack.outputs, REGION),
                graphql_url=cloud.endpoints.graphql,
                cognito=CognitoGateway(
                    cloud.endpoints.aws,
                    stack.outputs["UserPoolClientId"],
                    sigv4(cloud.admin_credentials, "cognito-idp"),
                    self._mail,
                ),
            )
            self.app_url = self._serve(SecuredSite(customer, app_origin, headers), self._ports[0], app_origin)
            map_origin = Origin()
            boundary_map = BoundaryMapSite(
                files=BuiltFiles(WEB_BUILD / "map", BUILD_HINT),
                origin=map_origin,
                stack_map=stack_map,
                feed=feed,
                replays=Replays(cloud),
                roles=roles,
            )
            self.map_url = self._serve(
                SecuredSite(boundary_map, map_origin, headers), self._ports[1], map_origin
            )
        except BaseException:
            self.stop()
            raise
        return self

    def _serve(self, site: SecuredSite, port: int, origin: Origin) -> str:
        try:
            server = BackgroundServer(site, port=port).start()
        except PortInUseError as error:
            raise LocalCloudError(f"{error}: choose another port for the web app or the map") from None
        self._servers.append(server)
        origin.url = server.url
        return f"{server.url}/"

    def decisions(self) -> list[Decision]:
        """The decisions the map keeps (the latest ``decisions.BACKLOG``), oldest first."""
        return self._feed.recent() if self._feed is not None else []

    def _mail(self, mail: ConfirmationMail) -> None:
        with self._outbox_lock:
            self.outbox.append(mail)
        if self._deliver is not None:
            self._deliver(mail)

    def stop(self) -> None:
        """Ends the event streams, then the servers; stops listening to the cloud. Idempotent."""
        feed, self._feed = self._feed, None
        if feed is not None:
            feed.close()
            _remove(self._cloud.enforcement.listeners, feed.on_access)
            for rest_api in self._cloud.rest_apis.values():
                _remove(rest_api.listeners, feed.on_api_request)
            for graphql_api in self._cloud.graphql_apis.values():
                _remove(graphql_api.listeners, feed.on_graphql)
        for server in reversed(self._servers):
            server.stop()
        self._servers.clear()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()


def _remove[T](listeners: list[T], listener: T) -> None:
    if listener in listeners:
        listeners.remove(listener)
