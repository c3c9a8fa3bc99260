"""SetQueueAttributes changes the attributes it names, and only those, as in AWS.

moto's ``Queue._set_attributes`` ends with ``self.policy = attributes.get("Policy")``: a request
that sets only ``VisibilityTimeout`` also clears the queue's policy. For the loyalty queue that policy
is what lets the booking topic deliver, so an operator tuning a timeout would silently stop every
confirmed booking from earning points - locally, never in AWS. The local cloud gives
``_set_attributes`` the policy the queue already has whenever the request does not name ``Policy``.

The replaced method is the seam ``QUEUE_SET_ATTRIBUTES`` of :mod:`localcloud.moto_seams`, which
refuses to install on a moto whose method no longer has the shape and the line this relies on.
"""

from __future__ import annotations

from typing import Any

from moto.sqs.models import Queue

from localcloud import moto_seams


def _named_or_kept(queue: Queue, attributes: dict[str, Any]) -> dict[str, Any]:
    """The attributes to apply: the request's, plus the queue's current policy if it names none.

    A queue being created has no policy yet (its first ``_set_attributes`` sets it)."""
    if "Policy" in attributes or not moto_seams.queue_policy_set(queue):
        return attributes
    return {**attributes, "Policy": queue.policy}


class QueueAttributesKept:
    def __init__(self) -> None:
        self._replaced: moto_seams.Replaced | None = None

    def install(self) -> None:
        def set_attributes(queue: Queue, attributes: dict[str, Any], now: float | None = None) -> None:
            replaced.original(queue, _named_or_kept(queue, attributes), now)

        replaced = self._replaced = moto_seams.QUEUE_SET_ATTRIBUTES.replace(set_attributes)

    def uninstall(self) -> None:
        if self._replaced is not None:
            self._replaced.restore()
            self._replaced = None
