"""Every authorisation decision the local cloud makes, as one stream the boundary map can watch.

Three places decide, and each tells its listeners:

- the AWS endpoint (``Enforcement.listeners``): every IAM action on every resource;
- the local API Gateway (``LocalRestApi.listeners``): ``execute-api:Invoke`` on each request, with the
  signature and the resource policy;
- the local AppSync (``AppSyncServer.listeners``): who may call the API, field by field.

:class:`DecisionFeed` turns each into a :class:`Decision` placed on the stack map, keeps the latest
ones for pages that open later, and hands every new one to each subscriber (the map's event stream).

A decision never carries a secret: it names principals by ARN (or a customer by their user pool
``sub``), actions and resources, and the deciding statement or reason. Reasons are written by the
local cloud's own checks; :func:`redact` still removes anything shaped like an access key id, a
signature, a session or ID token or a card token before a decision leaves the process.
"""

from __future__ import annotations

import logging
import queue
import re
import threading
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from localcloud.apigateway.access_log import AccessLogRecord
from localcloud.appsync.server import GraphQLDecision
from localcloud.enforcement import AccessRecord
from localcloud.webapp.stack_map import StackMap

logger = logging.getLogger(__name__)

BACKLOG = 2000
"""How many recent decisions a newly opened map receives."""

_SECRETS = [
    (re.compile(r"\b(?:AKIA|ASIA|AIDA|AROA)[A-Z0-9]{12,}\b"), "(access key id)"),
    (re.compile(r"Signature=[0-9a-fA-F]+"), "Signature=(signature)"),
    (re.compile(r"Credential=[^,\s]+"), "Credential=(credential)"),
    (re.compile(r"\beyJ[\w-]*\.[\w-]+\.[\w-]*"), "(token)"),
    (re.compile(r"\btok_\w+"), "(card token)"),
    # A secret access key is 40 such characters; a session token, hundreds. (An ARN's path is never
    # one unbroken run of 100.)
    (
        re.compile(r"(?<![A-Za-z0-9+/])(?:[A-Za-z0-9+/]{40}|[A-Za-z0-9+/]{100,})(?![A-Za-z0-9+/])={0,2}"),
        "(secret)",
    ),
]


def redact(text: str) -> str:
    for pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    return text


@dataclass(frozen=True)
class Decision:
    id: int
    time: str
    source: str
    """``AWS endpoint``, ``API Gateway`` or ``AppSync``."""
    principal: str
    principal_label: str
    action: str
    resource: str
    allowed: bool
    reason: str
    from_node: str
    to_node: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "time": self.time,
            "source": self.source,
            "principal": self.principal,
            "principalLabel": self.principal_label,
            "action": self.action,
            "resource": self.resource,
            "allowed": self.allowed,
            "reason": self.reason,
            "from": self.from_node,
            "to": self.to_node,
        }


class Subscription:
    """New decisions for one watcher, after the backlog it was given."""

    def __init__(self, backlog: list[Decision]) -> None:
        self.backlog = backlog
        self._queue: queue.SimpleQueue[Decision | None] = queue.SimpleQueue()

    def put(self, decision: Decision | None) -> None:
        self._queue.put(decision)

    def next(self, timeout: float) -> Decision | None:
        """The next decision; None at the end of the feed. Raises ``queue.Empty`` after ``timeout``."""
        return self._queue.get(timeout=timeout)


class DecisionFeed:
    def __init__(self, stack_map: StackMap) -> None:
        self._map = stack_map
        self._recent: deque[Decision] = deque(maxlen=BACKLOG)
        self._subscribers: list[Subscription] = []
        self._lock = threading.Lock()
        self._next_id = 1
        self._closed = False

    # -------------------------------------------------------------- the deciders' listeners

    def on_access(self, record: AccessRecord) -> None:
        self._publish(
            source="AWS endpoint",
            principal=record.caller_arn,
            action=record.action,
            resource=record.resource,
            allowed=record.allowed,
            reason="; ".join(record.reasons) or ("allowed" if record.allowed else "denied"),
            time=record.time,
        )

    def on_api_request(self, record: AccessLogRecord) -> None:
        # API Gateway answers every failed authentication or authorisation with 403; other statuses
        # (throttling, the integration failing) come once the boundary was passed.
        allowed = record.status != 403
        self._publish(
            source="API Gateway",
            principal=str(record.identity.get("userArn") or "anonymous"),
            action="execute-api:Invoke",
            resource=record.resource_arn or f"{record.http_method} {record.path}",
            allowed=allowed,
            reason=f"signature verified, execute-api:Invoke allowed (HTTP {record.status})"
            if allowed
            else record.reason or record.error_message or "refused",
            time=record.received_at,
        )

    def on_graphql(self, decision: GraphQLDecision) -> None:
        self._publish(
            source="AppSync",
            principal=decision.caller,
            action="appsync:GraphQL",
            resource=decision.resource,
            allowed=decision.allowed,
            reason=decision.reason,
            time=decision.time,
        )

    def _publish(
        self,
        *,
        source: str,
        principal: str,
        action: str,
        resource: str,
        allowed: bool,
        reason: str,
        time: datetime,
    ) -> None:
        # Called in the deciding request's thread: it must neither fail nor hold the request up.
        try:
            with self._lock:
                if self._closed:
                    return
                decision = Decision(
                    id=self._next_id,
                    time=time.astimezone(UTC).isoformat(timespec="milliseconds"),
                    source=source,
                    principal=redact(principal),
                    principal_label=self._label(principal),
                    action=redact(action),
                    resource=redact(resource),
                    allowed=allowed,
                    reason=redact(reason),
                    from_node=self._map.principal_node(principal),
                    to_node=self._map.resource_node(resource),
                )
                self._next_id += 1
                self._recent.append(decision)
                for subscriber in self._subscribers:
                    subscriber.put(decision)
        except Exception:
            logger.exception("a decision could not be put on the map")

    def _label(self, principal: str) -> str:
        if principal.startswith("user-pool:"):
            return f"customer {principal.removeprefix('user-pool:')[:8]}"
        role = self._map.role_of(principal)
        if role is not None:
            return role
        return redact(principal.rsplit(":", 1)[-1]) or principal

    # -------------------------------------------------------------- watchers

    def subscribe(self, after: int = 0) -> Subscription:
        """A subscription receiving the kept decisions newer than id ``after``, then each new one."""
        with self._lock:
            subscription = Subscription([decision for decision in self._recent if decision.id > after])
            if self._closed:
                subscription.put(None)
            else:
                self._subscribers.append(subscription)
            return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        with self._lock:
            if subscription in self._subscribers:
                self._subscribers.remove(subscription)

    def recent(self) -> list[Decision]:
        with self._lock:
            return list(self._recent)

    def close(self) -> None:
        """Ends every subscription (their streams finish) and takes no more decisions."""
        with self._lock:
            self._closed = True
            for subscriber in self._subscribers:
                subscriber.put(None)
            self._subscribers.clear()

    def stream(self, subscription: Subscription, keepalive_seconds: float) -> Iterator[Decision | None]:
        """The subscription's backlog, then each new decision; None after ``keepalive_seconds`` without."""
        yield from subscription.backlog
        while True:
            try:
                decision = subscription.next(keepalive_seconds)
            except queue.Empty:
                yield None
                continue
            if decision is None:
                return
            yield decision
