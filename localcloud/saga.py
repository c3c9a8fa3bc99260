"""The booking state machine from ``statemachine/booking.asl.json``, executed by moto's interpreter."""

from __future__ import annotations

import io
import json
import time
import zipfile
from dataclasses import dataclass
from typing import Any

import boto3

from localcloud.inprocess import InProcessLambdaRunner
from localcloud.stack import ACCOUNT_ID, REGION, MockStack, physical_name
from stacktools.template import REPOSITORY_ROOT, resources_of_type

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


def deploy_functions(stack: MockStack) -> None:
    """Register every function of the template in moto (the runner executes their code)."""
    iam = boto3.client("iam", region_name=REGION)
    awslambda = boto3.client("lambda", region_name=REGION)
    role_arn = iam.create_role(
        RoleName="saga-test-functions",
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "lambda.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
        ),
    )["Role"]["Arn"]
    placeholder = io.BytesIO()
    with zipfile.ZipFile(placeholder, "w") as archive:
        archive.writestr("placeholder.txt", "code runs in-process")
    for logical_id in resources_of_type(stack.template, "AWS::Serverless::Function"):
        spec = stack.function(logical_id)
        arn = awslambda.create_function(
            FunctionName=physical_name(logical_id),
            Runtime=spec.runtime,
            Role=role_arn,
            Handler=spec.handler,
            Code={"ZipFile": placeholder.getvalue()},
            Timeout=spec.timeout,
            MemorySize=spec.memory_size,
            Environment={"Variables": stack.environment_of(logical_id)},
        )["FunctionArn"]
        stack.resolver.refs[logical_id] = physical_name(logical_id)
        stack.resolver.attributes[(logical_id, "Arn")] = arn


def state_machine_definition(stack: MockStack) -> str:
    """The ASL file with the template's DefinitionSubstitutions applied, as CloudFormation does."""
    properties = stack.template["Resources"][STATE_MACHINE_ID]["Properties"]
    definition: str = (REPOSITORY_ROOT / properties["DefinitionUri"]).read_text(encoding="utf-8")
    for name, value in stack.resolver.resolve(properties["DefinitionSubstitutions"]).items():
        definition = definition.replace("${" + name + "}", str(value))
    return definition


def deploy_state_machine(stack: MockStack) -> str:
    sfn = boto3.client("stepfunctions", region_name=REGION)
    arn = sfn.create_state_machine(
        name=physical_name(STATE_MACHINE_ID),
        definition=state_machine_definition(stack),
        roleArn=f"arn:aws:iam::{ACCOUNT_ID}:role/saga-test-state-machine",
        type="STANDARD",
    )["stateMachineArn"]
    stack.resolver.refs[STATE_MACHINE_ID] = arn
    return str(arn)


@dataclass
class Saga:
    stack: MockStack
    runner: InProcessLambdaRunner
    state_machine_arn: str

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
