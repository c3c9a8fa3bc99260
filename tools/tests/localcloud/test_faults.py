"""The fault plan: which call a rule hits, how often, and replayably."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from localcloud.faults import INVOCATION_FAULTS, REQUEST_FAULTS, Fault, FaultPlan, FaultRule, request_error

FLIGHTS = "arn:aws:dynamodb:eu-west-1:123456789012:table/airline-local-FlightTable"
BOOKINGS = "arn:aws:dynamodb:eu-west-1:123456789012:table/airline-local-BookingTable"


def test_a_rule_hits_only_its_point() -> None:
    plan = FaultPlan([FaultRule("dynamodb", "UpdateItem", "*FlightTable*", Fault.THROTTLE)])

    assert plan.draw("dynamodb", "UpdateItem", [BOOKINGS], REQUEST_FAULTS) is None
    assert plan.draw("dynamodb", "PutItem", [FLIGHTS], REQUEST_FAULTS) is None
    assert plan.draw("sqs", "UpdateItem", [FLIGHTS], REQUEST_FAULTS) is None
    assert plan.draw("dynamodb", "UpdateItem", [FLIGHTS], INVOCATION_FAULTS) is None
    assert plan.draw("dynamodb", "UpdateItem", [BOOKINGS, FLIGHTS], REQUEST_FAULTS) is Fault.THROTTLE
    assert [(i.operation, i.resource, i.fault) for i in plan.injected] == [
        ("UpdateItem", FLIGHTS, Fault.THROTTLE)
    ]


def test_a_count_bounds_the_injections() -> None:
    plan = FaultPlan([FaultRule("lambda", "Invoke", "*Confirm*", Fault.CRASH, count=2)])

    drawn = [plan.draw("lambda", "Invoke", ["ConfirmBooking"], INVOCATION_FAULTS) for _ in range(5)]

    assert drawn == [Fault.CRASH, Fault.CRASH, None, None, None]


def test_the_same_seed_draws_the_same_faults() -> None:
    rules = [FaultRule("dynamodb", "*", "*", Fault.SERVICE_ERROR, probability=0.5)]

    def run(seed: int) -> list[Fault | None]:
        plan = FaultPlan(rules, seed)
        return [plan.draw("dynamodb", "GetItem", [FLIGHTS], REQUEST_FAULTS) for _ in range(40)]

    assert run(7) == run(7)
    assert None in run(7)
    assert Fault.SERVICE_ERROR in run(7)


def test_clearing_the_plan_injects_nothing() -> None:
    plan = FaultPlan([FaultRule("*", "*", "*", Fault.ACCESS_DENIED)])
    plan.clear()

    assert plan.draw("dynamodb", "GetItem", [FLIGHTS], REQUEST_FAULTS) is None
    assert plan.injected == []


@pytest.mark.parametrize(
    ("rule", "problem"),
    [
        (lambda: FaultRule("dynamodb", "GetItem", "*", Fault.CRASH), "cannot be injected"),
        (lambda: FaultRule("lambda", "Invoke", "*", Fault.THROTTLE), "cannot be injected"),
        (lambda: FaultRule("dynamodb", "GetItem", "*", Fault.THROTTLE, probability=1.5), "probability"),
        (lambda: FaultRule("dynamodb", "GetItem", "*", Fault.THROTTLE, count=-1), "count"),
    ],
)
def test_a_rule_that_cannot_apply_is_refused(rule: Callable[[], FaultRule], problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        rule()


@pytest.mark.parametrize(
    ("fault", "service", "expected"),
    [
        (Fault.THROTTLE, "dynamodb", (400, "ProvisionedThroughputExceededException")),
        (Fault.THROTTLE, "states", (400, "ThrottlingException")),
        (Fault.ACCESS_DENIED, "sns", (403, "AccessDeniedException")),
        (Fault.SERVICE_ERROR, "dynamodb", (500, "InternalServerError")),
        (Fault.SERVICE_ERROR, "sqs", (500, "InternalFailure")),
    ],
)
def test_a_request_fault_is_answered_as_the_service_would(
    fault: Fault, service: str, expected: tuple[int, str]
) -> None:
    error = request_error(fault, service)

    assert (error.status, error.error_type) == expected
