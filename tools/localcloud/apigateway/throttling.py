"""API Gateway's throttling: a token bucket per method, filled at the rate limit up to the burst limit."""

from __future__ import annotations

import threading

from localcloud.apigateway.definition import Throttling


class TokenBucket:
    """Holds up to ``burst_limit`` tokens, refilled at ``rate_limit`` per second; a request takes one.

    The bucket starts full, so a burst of ``burst_limit`` requests passes at once. Time is given
    by the caller in seconds, which keeps the bucket deterministic under an injected clock.
    """

    def __init__(self, limits: Throttling, now: float) -> None:
        self.limits = limits
        self._rate = limits.rate_limit
        self._capacity = float(limits.burst_limit)
        self._tokens = self._capacity
        self._updated = now
        self._lock = threading.Lock()

    def take(self, now: float) -> bool:
        """Take a token at time ``now``; False when the bucket is empty (the request is throttled)."""
        with self._lock:
            # A clock that steps back refills nothing rather than draining the bucket.
            elapsed = max(0.0, now - self._updated)
            self._tokens = min(self._capacity, self._tokens + elapsed * self._rate)
            self._updated = max(now, self._updated)
            if self._tokens < 1:
                return False
            self._tokens -= 1
            return True
