"""Run the booking state machine (as deployed from ``template.yaml``) and collect what happened."""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from common.dynamodb import to_item
from tests.support.inprocess import InProcessLambdaRunner
from tests.support.stack import MockStack, embedded_client

STATE_MACHINE_ID = "BookingStateMachine"
EXECUTION_TIMEOUT_SECONDS = 60
REGISTRATION_LASTS = timedelta(hours=1)
"""As graphql/functions/registerPaymentMethod.js registers a payment method."""


def register_payment_method(
    stack: MockStack,
    booking_id: str,
    token: str,
    amount: int,
    currency: str,
    *,
    lasts: timedelta = REGISTRATION_LASTS,
) -> None:
    """What processBooking's registerPaymentMethod step writes before it starts the saga."""
    now = datetime.now(UTC)
    embedded_client("dynamodb").put_item(
        TableName=stack.physical_id("PaymentTable"),
        Item=to_item(
            {
                "bookingId": booking_id,
                "status": "REGISTERED",
                "paymentMethod": token,
                "amount": amount,
                "currency": currency,
                "registeredAt": now.isoformat(),
                "expiresAt": int((now + lasts).timestamp()),
                # Not the payment's: how processBooking tells a repeated request from another purchase.
                "requestFingerprint": str(uuid.uuid5(uuid.UUID(booking_id), token)),
            }
        ),
        ConditionExpression="attribute_not_exists(bookingId)",
    )


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
    retry_waits: list[float] = field(default_factory=list)
    """Each wait a retrier asked for, in seconds and in order (recorded, not slept)."""

    @property
    def state_machine_arn(self) -> str:
        return self.stack.physical_id(STATE_MACHINE_ID)

    def register_payment_method(self, booking_id: str, token: str, amount: int, currency: str) -> None:
        register_payment_method(self.stack, booking_id, token, amount, currency)

    def run(self, booking_input: dict[str, Any], name: str | None = None) -> ExecutionResult:
        """Runs an execution named ``name`` (by default the input's bookingId) with ``booking_input``."""
        sfn = embedded_client("stepfunctions")
        execution_arn = sfn.start_execution(
            stateMachineArn=self.state_machine_arn,
            name=name or booking_input["bookingId"],
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
