"""SetQueueAttributes changes the attributes it names, and only those, as in AWS.

moto 5.2.5's ``Queue._set_attributes`` ends with ``self.policy = attributes.get("Policy")``: a request
that sets only ``VisibilityTimeout`` also clears the queue's policy. For the loyalty queue that policy
is what lets the booking topic deliver, so an operator tuning a timeout would silently stop every
confirmed booking from earning points - locally, never in AWS. The local cloud gives
``_set_attributes`` the policy the queue already has whenever the request does not name ``Policy``.

Written against moto 5.2.5 (pinned in requirements/dev.txt). :meth:`QueueAttributesKept.install` checks
that the patched method still has the shape and the line this relies on, and refuses to start the
local cloud otherwise: a moto upgrade must be looked at, not patched over blindly.
"""

from __future__ import annotations

import inspect
from typing import Any

from moto.sqs.models import Queue

PATCHED_FOR_MOTO = "5.2.5"
_EXPECTED_PARAMETERS = ["self", "attributes", "now"]
_POLICY_CLEARING_LINE = 'self.policy = attributes.get("Policy")'


class PatchedFunctionChangedError(RuntimeError):
    """moto's patched function is no longer the one the local cloud's patch was written for."""


def check_shape() -> None:
    """Raise :class:`PatchedFunctionChangedError` unless ``Queue._set_attributes`` is moto 5.2.5's."""
    parameters = list(inspect.signature(Queue._set_attributes).parameters)
    if parameters != _EXPECTED_PARAMETERS:
        raise PatchedFunctionChangedError(
            f"moto's Queue._set_attributes takes {parameters}, not {_EXPECTED_PARAMETERS} as in moto "
            f"{PATCHED_FOR_MOTO}: review localcloud/queue_attributes.py"
        )
    if _POLICY_CLEARING_LINE not in inspect.getsource(Queue._set_attributes):
        raise PatchedFunctionChangedError(
            f"moto's Queue._set_attributes no longer runs `{_POLICY_CLEARING_LINE}` as moto "
            f"{PATCHED_FOR_MOTO} did: review localcloud/queue_attributes.py (the patch may be unneeded)"
        )


def _named_or_kept(queue: Queue, attributes: dict[str, Any]) -> dict[str, Any]:
    """The attributes to apply: the request's, plus the queue's current policy if it names none.

    A queue being created has no policy yet (``_policy_json`` is set by that first call)."""
    if "Policy" in attributes or not hasattr(queue, "_policy_json"):
        return attributes
    return {**attributes, "Policy": queue.policy}


class QueueAttributesKept:
    def __init__(self) -> None:
        self._original: Any = None

    def install(self) -> None:
        check_shape()
        original = self._original = Queue._set_attributes

        def set_attributes(queue: Queue, attributes: dict[str, Any], now: float | None = None) -> None:
            original(queue, _named_or_kept(queue, attributes), now)

        Queue._set_attributes = set_attributes  # type: ignore[method-assign,assignment]

    def uninstall(self) -> None:
        if self._original is not None:
            Queue._set_attributes = self._original  # type: ignore[method-assign]
            self._original = None
