"""State transitions, as Step Functions Standard bills them, from an execution's history."""

from __future__ import annotations

from typing import Any

from benchmarks.work import state_transitions


def entered(name: str) -> dict[str, Any]:
    return {"type": "TaskStateEntered", "stateEnteredEventDetails": {"name": name}}


def test_each_state_entered_is_a_transition() -> None:
    history = [
        {"type": "ExecutionStarted"},
        entered("Reserve"),
        {"type": "TaskScheduled"},
        {"type": "TaskSucceeded"},
        {"type": "TaskStateExited"},
        {"type": "PassStateEntered", "stateEnteredEventDetails": {"name": "Done"}},
        {"type": "ExecutionSucceeded"},
    ]

    assert state_transitions(history) == (2, ["Reserve", "Done"], 0)


def test_each_retry_is_one_more_transition() -> None:
    history = [
        entered("Reserve"),
        {"type": "TaskScheduled"},
        {"type": "TaskFailed"},
        {"type": "TaskScheduled"},
        {"type": "TaskFailed"},
        {"type": "TaskScheduled"},
        {"type": "TaskSucceeded"},
        entered("Confirm"),
        {"type": "LambdaFunctionScheduled"},
    ]

    assert state_transitions(history) == (4, ["Reserve", "Confirm"], 2)
