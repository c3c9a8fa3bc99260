"""A fault plan: failures the local cloud injects, at run time, where chosen.

A plan is a list of :class:`FaultRule` s, each naming a point - a service, an operation and a resource
(``fnmatch`` patterns: ``dynamodb``, ``UpdateItem``, ``*FlightTable*``) - the fault to inject there, and
how often: with a probability (drawn from the plan's seeded generator, so a run can be replayed) and
at most a count of times. Two hooks consult it:

* every request the local AWS endpoint has authorised (:class:`localcloud.enforcement.Enforcement`):
  ``THROTTLE``, ``ACCESS_DENIED`` and ``SERVICE_ERROR`` refuse it as the service would, before moto runs it;
* every Lambda invocation (:class:`localcloud.lambda_service.LambdaRuntime`, service ``lambda``,
  operation ``Invoke``, the function's name): ``TIMEOUT`` holds the handler past the function's timeout,
  so the invocation times out without running it; ``CRASH`` lets the handler do its work, then kills
  the worker before it answers (the work is done, the answer is lost).

The plan is a Python object of the process that runs the local cloud (``LocalCloud.faults``): no
request to any of its endpoints can set or read it.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field
from enum import StrEnum
from fnmatch import fnmatchcase


class Fault(StrEnum):
    THROTTLE = "throttle"
    ACCESS_DENIED = "access-denied"
    SERVICE_ERROR = "service-error"
    TIMEOUT = "timeout"
    CRASH = "crash"


REQUEST_FAULTS = frozenset({Fault.THROTTLE, Fault.ACCESS_DENIED, Fault.SERVICE_ERROR})
INVOCATION_FAULTS = frozenset({Fault.TIMEOUT, Fault.CRASH})

_THROTTLE_ERRORS = {
    "dynamodb": "ProvisionedThroughputExceededException",
    "lambda": "TooManyRequestsException",
}
_SERVICE_ERRORS = {
    "dynamodb": "InternalServerError",
    "lambda": "ServiceException",
    "states": "InternalFailure",
}
_DEFAULT_THROTTLE = "ThrottlingException"
_DEFAULT_SERVICE_ERROR = "InternalFailure"


@dataclass(frozen=True)
class InjectedError:
    """How a request fault is answered: HTTP status, the service's error type, a message."""

    status: int
    error_type: str
    message: str


def request_error(fault: Fault, service: str) -> InjectedError:
    """A request fault as ``service`` (an IAM prefix: dynamodb, sqs, states...) would answer it."""
    if fault is Fault.THROTTLE:
        error_type = _THROTTLE_ERRORS.get(service, _DEFAULT_THROTTLE)
        return InjectedError(400, error_type, "Rate exceeded (injected)")
    if fault is Fault.ACCESS_DENIED:
        return InjectedError(403, "AccessDeniedException", "Access denied (injected)")
    if fault is Fault.SERVICE_ERROR:
        error_type = _SERVICE_ERRORS.get(service, _DEFAULT_SERVICE_ERROR)
        return InjectedError(500, error_type, "Internal error (injected)")
    raise ValueError(f"{fault} is not a request fault")


@dataclass(frozen=True)
class FaultRule:
    service: str
    operation: str
    resource: str
    fault: Fault
    probability: float = 1.0
    count: int | None = None
    """At most this many injections; None for no limit."""

    def __post_init__(self) -> None:
        if not 0.0 <= self.probability <= 1.0:
            raise ValueError(f"probability must be between 0 and 1, not {self.probability}")
        if self.count is not None and self.count < 0:
            raise ValueError(f"count must not be negative, not {self.count}")
        invocation = (self.service, self.operation) == ("lambda", "Invoke")
        expected = INVOCATION_FAULTS if invocation else REQUEST_FAULTS
        if self.fault not in expected:
            raise ValueError(f"{self.fault} cannot be injected at {self.service}:{self.operation}")

    def matches(self, service: str, operation: str, resource: str) -> bool:
        return (
            fnmatchcase(service, self.service)
            and fnmatchcase(operation, self.operation)
            and fnmatchcase(resource, self.resource)
        )


@dataclass(frozen=True)
class Injection:
    service: str
    operation: str
    resource: str
    fault: Fault


@dataclass
class FaultPlan:
    """The rules in force and what they injected; empty, it injects nothing."""

    rules: list[FaultRule] = field(default_factory=list)
    seed: int = 0
    injected: list[Injection] = field(default_factory=list)

    def __post_init__(self) -> None:
        # Not a secret: a replayable sequence of draws, so a run's faults can be injected again.
        self._random = random.Random(self.seed)  # noqa: S311
        self._lock = threading.Lock()
        self._used: dict[int, int] = {}

    def replace(self, rules: list[FaultRule], seed: int) -> None:
        """Put these rules in force (and forget what the previous ones injected)."""
        with self._lock:
            self.rules = list(rules)
            self.seed = seed
            self._random = random.Random(seed)  # noqa: S311
            self._used = {}
            self.injected = []

    def clear(self) -> None:
        self.replace([], self.seed)

    def draw(
        self, service: str, operation: str, resources: list[str], faults: frozenset[Fault]
    ) -> Fault | None:
        """The fault (one of ``faults``, those the caller's hook injects) to inject in this call, if a
        rule matching one of its resources draws one."""
        with self._lock:
            for index, rule in enumerate(self.rules):
                if rule.fault not in faults:
                    continue
                resource = next((r for r in resources if rule.matches(service, operation, r)), None)
                if resource is None:
                    continue
                if rule.count is not None and self._used.get(index, 0) >= rule.count:
                    continue
                if self._random.random() >= rule.probability:
                    continue
                self._used[index] = self._used.get(index, 0) + 1
                self.injected.append(Injection(service, operation, resource, rule.fault))
                return rule.fault
            return None
