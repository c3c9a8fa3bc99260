"""Run the booking state machine (as deployed from ``template.yaml``) and collect what happened."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

import boto3

from tests.support.inprocess import InProcessLambdaRunner
from tests.support.stack import REGION, MockStack

STATE_MACHINE_ID = "BookingStateMachine"
EXECUTION_TIMEOUT_SECONDS = 60


@dataclass(frozen=True)
class ExecutionResult:
    status: str
    output: dict[str, Any] | None
    error: str | None
    cause: str | None
    history: list[dict[str, Any]]

    def entered_states(self) -> list[str]:
        return [
            event["stateEnteredEventDetails"]["name"]
            for event in self.history
            if "stateEnteredEventDetails" in event
        ]


@dataclass
class Saga:
    stack: MockStack
    runner: InProcessLambdaRunner

    @property
    def state_machine_arn(self) -> str:
        return self.stack.physical_id(STATE_MACHINE_ID)

    def run(self, booking_input: dict[str, Any]) -> ExecutionResult:
        sfn = boto3.client("stepfunctions", region_name=REGION)
        execution_arn = sfn.start_execution(
            stateMachineArn=self.state_machine_arn,
            name=booking_input["bookingId"],
            input=json.dumps(booking_input),
        )["executionArn"]
        deadline = time.monotonic() + EXECUTION_TIMEOUT_SECONDS
        while True:
            description = sfn.describe_execution(executionArn=execution_arn)
            if description["status"] != "RUNNING":
                break
            if time.monotonic() > deadline:
                raise TimeoutError(f"execution {execution_arn} still running")
            time.sleep(0.05)
        history: list[Any] = sfn.get_execution_history(executionArn=execution_arn, maxResults=1000)["events"]
        output = description.get("output")
        return ExecutionResult(
            status=description["status"],
            output=json.loads(output) if output else None,
            error=description.get("error"),
            cause=description.get("cause"),
            history=history,
        )
