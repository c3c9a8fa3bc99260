"""AWS WAF in front of the local AppSync: the web ACL associated with a GraphQL API, applied to every
request before AppSync authenticates or executes it, as WAF is.

A small emulation of what the stack's web ACL uses. A web ACL with anything else is refused when the
local cloud starts (stricter than AWS, never looser):

* ``RateBasedStatement`` with ``AggregateKeyType: IP``, a ``Limit`` and an ``EvaluationWindowSec``
  (default 300), without a scope-down statement or custom keys;
* ``RegexMatchStatement`` on ``JsonBody`` (``MatchPattern`` ``All`` or ``IncludedPaths`` as JSON
  pointers; ``MatchScope`` ``VALUE``, ``KEY`` or ``ALL``; ``InvalidFallbackBehavior`` given;
  ``OversizeHandling``), with the text transformation ``NONE`` only;
* rule actions ``Block`` (with ``CustomResponse`` and the web ACL's ``CustomResponseBodies``), ``Allow``
  and ``Count``; a ``DefaultAction`` of ``Allow`` or ``Block``.

How it differs from WAF:

* Rates are counted exactly and at once. WAF aggregates request counts every few seconds, so it starts
  (and stops) blocking an address a little after the limit is crossed, and may let a few requests over
  the limit through. Here the request that takes an address over ``Limit`` within the trailing
  ``EvaluationWindowSec`` is the first one blocked; every request the rule sees counts, blocked ones too,
  so the address stays blocked until requests older than the window drop out.
* The body is inspected up to 8 KB, AppSync's WAF inspection limit; ``OversizeHandling`` decides
  beyond it (``CONTINUE`` inspects the first 8 KB). JSON is parsed with Python's parser; regular
  expressions are Python's, which agree with WAF's PCRE on the patterns used here.
* A blocked request without a custom response gets 403 and an AppSync-shaped ``WAFForbiddenException``.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

BODY_INSPECTION_LIMIT = 8 * 1024
"""AWS WAF inspects this much of a request body for AppSync."""
DEFAULT_EVALUATION_WINDOW_SECONDS = 300
_CONTENT_TYPES = {
    "APPLICATION_JSON": "application/json",
    "TEXT_PLAIN": "text/plain",
    "TEXT_HTML": "text/html",
}
_FORBIDDEN = json.dumps({"errors": [{"errorType": "WAFForbiddenException", "message": "403 Forbidden"}]})


class WebAclDefinitionError(ValueError):
    """The web ACL uses something the local WAF does not emulate; the message names it."""


@dataclass(frozen=True)
class WebRequest:
    source_ip: str
    body: bytes


@dataclass(frozen=True)
class BlockedResponse:
    """What WAF answers instead of passing the request on."""

    rule: str
    status: int
    body: str
    content_type: str


class _Statement(Protocol):
    def matches(self, request: WebRequest) -> bool: ...


class _RateBased:
    def __init__(self, spec: Mapping[str, Any], clock: Callable[[], float]) -> None:
        unsupported = set(spec) - {"Limit", "AggregateKeyType", "EvaluationWindowSec"}
        if unsupported or spec.get("AggregateKeyType", "IP") != "IP":
            raise WebAclDefinitionError(
                "the local WAF emulates rate-based rules that aggregate by IP only, without "
                f"{', '.join(sorted(unsupported)) or spec.get('AggregateKeyType')}"
            )
        self._limit = int(spec["Limit"])
        self._window = float(spec.get("EvaluationWindowSec", DEFAULT_EVALUATION_WINDOW_SECONDS))
        self._clock = clock
        self._seen: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def matches(self, request: WebRequest) -> bool:
        now = self._clock()
        with self._lock:
            seen = self._seen[request.source_ip]
            while seen and seen[0] <= now - self._window:
                seen.popleft()
            seen.append(now)
            return len(seen) > self._limit


class _RegexOnJsonBody:
    def __init__(self, spec: Mapping[str, Any]) -> None:
        field = spec.get("FieldToMatch", {})
        if set(field) != {"JsonBody"}:
            raise WebAclDefinitionError(
                f"the local WAF matches regular expressions on JsonBody only, not {field}"
            )
        transformations = {t.get("Type") for t in spec.get("TextTransformations", [])}
        if transformations - {"NONE"}:
            raise WebAclDefinitionError(
                f"the local WAF applies no text transformations: {sorted(transformations)}"
            )
        body = field["JsonBody"]
        if "InvalidFallbackBehavior" not in body:
            raise WebAclDefinitionError(
                "set InvalidFallbackBehavior on JsonBody: WAF's partial parsing without it is not emulated"
            )
        self._pattern = re.compile(str(spec["RegexString"]))
        self._paths: list[str] | None = (
            None if "All" in body["MatchPattern"] else list(body["MatchPattern"]["IncludedPaths"])
        )
        self._scope = str(body["MatchScope"])
        self._invalid = str(body["InvalidFallbackBehavior"])
        self._oversize = str(body.get("OversizeHandling", "CONTINUE"))

    def matches(self, request: WebRequest) -> bool:
        body = request.body
        if len(body) > BODY_INSPECTION_LIMIT:
            if self._oversize in ("MATCH", "NO_MATCH"):
                return self._oversize == "MATCH"
            body = body[:BODY_INSPECTION_LIMIT]
        text = body.decode("utf-8", errors="replace")
        try:
            document = json.loads(text)
        except ValueError:
            if self._invalid == "EVALUATE_AS_STRING":
                return self._pattern.search(text) is not None
            return self._invalid == "MATCH"
        return any(self._pattern.search(candidate) for candidate in self._candidates(document))

    def _candidates(self, document: Any) -> Iterator[str]:
        roots = [document] if self._paths is None else [_pointer(document, path) for path in self._paths]
        for root in roots:
            yield from _parts(root, self._scope)


def _pointer(document: Any, path: str) -> Any:
    """The value at a JSON pointer (RFC 6901), or None."""
    node = document
    for escaped in path.split("/")[1:]:
        step = escaped.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and step in node:
            node = node[step]
        elif isinstance(node, list) and step.isdigit() and int(step) < len(node):
            node = node[int(step)]
        else:
            return None
    return node


def _parts(node: Any, scope: str) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if scope in ("KEY", "ALL"):
                yield str(key)
            yield from _parts(value, scope)
    elif isinstance(node, list):
        for value in node:
            yield from _parts(value, scope)
    elif node is not None and scope in ("VALUE", "ALL"):
        yield node if isinstance(node, str) else json.dumps(node)


@dataclass(frozen=True)
class _Rule:
    name: str
    priority: int
    action: str
    statement: _Statement
    blocked: BlockedResponse | None


class WebAcl:
    """A web ACL's rules, in priority order. ``inspect`` answers None for a request that may pass."""

    def __init__(self, properties: Mapping[str, Any], clock: Callable[[], float] = time.monotonic) -> None:
        self.name = str(properties.get("Name", "web ACL"))
        bodies = properties.get("CustomResponseBodies", {})
        self._rules = sorted(
            (self._rule(rule, bodies, clock) for rule in properties.get("Rules", [])),
            key=lambda r: r.priority,
        )
        default = properties.get("DefaultAction", {})
        if set(default) not in ({"Allow"}, {"Block"}):
            raise WebAclDefinitionError(f"{self.name}: DefaultAction must be Allow or Block, not {default}")
        self._default_block = (
            self._blocked("DefaultAction", default.get("Block"), bodies) if "Block" in default else None
        )

    def inspect(self, request: WebRequest) -> BlockedResponse | None:
        for rule in self._rules:
            if not rule.statement.matches(request):
                continue
            if rule.action == "Block":
                return rule.blocked
            if rule.action == "Allow":
                return None
        return self._default_block

    def _rule(self, rule: Mapping[str, Any], bodies: Mapping[str, Any], clock: Callable[[], float]) -> _Rule:
        name = str(rule["Name"])
        action = rule.get("Action", {})
        if len(action) != 1 or next(iter(action)) not in ("Block", "Allow", "Count"):
            raise WebAclDefinitionError(
                f"{self.name}/{name}: the local WAF knows the actions Block, Allow, Count"
            )
        ((kind, spec),) = rule["Statement"].items()
        statement: _Statement
        if kind == "RateBasedStatement":
            statement = _RateBased(spec, clock)
        elif kind == "RegexMatchStatement":
            statement = _RegexOnJsonBody(spec)
        else:
            raise WebAclDefinitionError(f"{self.name}/{name}: the local WAF does not emulate {kind}")
        ((verb, settings),) = action.items()
        blocked = self._blocked(name, settings, bodies) if verb == "Block" else None
        return _Rule(name, int(rule["Priority"]), verb, statement, blocked)

    def _blocked(
        self, rule: str, settings: Mapping[str, Any] | None, bodies: Mapping[str, Any]
    ) -> BlockedResponse:
        custom = (settings or {}).get("CustomResponse")
        if custom is None:
            return BlockedResponse(rule, 403, _FORBIDDEN, "application/json")
        key = custom.get("CustomResponseBodyKey")
        body = bodies.get(key, {}) if key else {}
        return BlockedResponse(
            rule=rule,
            status=int(custom["ResponseCode"]),
            body=str(body.get("Content", "")),
            content_type=_CONTENT_TYPES.get(str(body.get("ContentType", "TEXT_PLAIN")), "text/plain"),
        )
