"""DynamoDB requests, each applied whole before the next: as atomic as DynamoDB's own.

In DynamoDB a conditional write, an update expression and a transaction each take effect atomically:
of two requests that decrement the last seat under ``seatsAvailable > 0``, one succeeds and the other
gets ``ConditionalCheckFailedException``. moto (5.2.5) reads the item, evaluates the condition and
writes it back in separate steps, with no lock, and the local AWS endpoint serves requests on many
threads: both decrements can pass, and a two-seat flight ends with three confirmed bookings and -1
seats (found by the randomized fault runs, ``tests/e2e/test_fault_runs.py``). The local cloud runs
DynamoDB's requests one at a time, so every condition is checked against the item as the last request
left it. Reads take the same turn, so none sees an update half applied.

The replaced method is the seam ``DYNAMODB_REQUEST`` of :mod:`localcloud.moto_seams`.
"""

from __future__ import annotations

import threading
from typing import Any

from localcloud import moto_seams


class DynamoDBRequestsSerialised:
    def __init__(self) -> None:
        self._turn = threading.RLock()  # re-entrant: a request that makes another on its own thread
        self._replaced: moto_seams.Replaced | None = None

    def install(self) -> None:
        turn = self._turn

        def call_action(handler: Any) -> Any:
            with turn:
                return replaced.original(handler)

        replaced = self._replaced = moto_seams.DYNAMODB_REQUEST.replace(call_action)

    def uninstall(self) -> None:
        if self._replaced is not None:
            self._replaced.restore()
            self._replaced = None
