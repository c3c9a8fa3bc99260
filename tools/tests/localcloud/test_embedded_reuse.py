"""What an embedded moto makes once per process and then reuses: Step Functions' task clients (the user
pools' key: test_moto_seams.py). Each mock still starts empty; only what holds no AWS state is reused."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import state_task_service_dynamodb

from localcloud import moto_seams
from localcloud.service_integrations import ReusedTaskClients
from stacktools.project import REGION


def _task_client(module: ModuleType, service: str, state_credentials: Any) -> Any:
    """The client moto's interpreter module would give a task (through ``boto_client_for``)."""
    return module.boto_client_for(REGION, service, state_credentials)


@pytest.fixture
def task_clients() -> Iterator[ReusedTaskClients]:
    clients = ReusedTaskClients()
    clients.install()
    try:
        yield clients
    finally:
        clients.uninstall()


def test_every_task_of_a_service_gets_the_same_client(task_clients: ReusedTaskClients) -> None:
    lambda_client = _task_client(lambda_eval_utils, "lambda", None)

    assert _task_client(lambda_eval_utils, "lambda", object()) is lambda_client
    assert _task_client(state_task_service_dynamodb, "lambda", None) is lambda_client
    dynamodb_client = _task_client(state_task_service_dynamodb, "dynamodb", None)
    assert dynamodb_client is not lambda_client
    assert dynamodb_client.meta.service_model.service_name == "dynamodb"
    # moto's own settings: the interpreter decides retries, the client never retries on its own.
    assert lambda_client.meta.config.retries["total_max_attempts"] == 1


def test_a_client_made_for_a_moto_server_is_not_given_to_a_task_in_a_mock(
    task_clients: ReusedTaskClients,
) -> None:
    for_a_server = _task_client(lambda_eval_utils, "lambda", None)
    with mock_aws():
        for_the_mock = _task_client(lambda_eval_utils, "lambda", None)

    assert for_the_mock is not for_a_server
    assert for_a_server.meta.endpoint_url.startswith("http://localhost:")
    assert for_the_mock.meta.endpoint_url == f"https://lambda.{REGION}.amazonaws.com"


def test_uninstalling_gives_moto_its_function_back() -> None:
    clients = ReusedTaskClients()
    clients.install()
    clients.uninstall()

    first = _task_client(lambda_eval_utils, "lambda", None)
    assert _task_client(lambda_eval_utils, "lambda", None) is not first


def _execution_of_a_lambda_task() -> dict[str, Any]:
    """In a new mock: a function, a state machine whose one task invokes it, and one execution's end."""
    seen: list[Any] = []

    def run(function: Any, event: Any = None) -> tuple[str, bool, str]:
        seen.append(event)
        return json.dumps({"ran": function.function_name}), False, ""

    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        trust = {
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "lambda.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
            ]
        }
        iam = boto3.client("iam", region_name=REGION)
        role = iam.create_role(RoleName="fn", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
        function_arn = boto3.client("lambda", region_name=REGION).create_function(
            FunctionName="fn",
            Runtime="python3.13",
            Role=role,
            Handler="index.handler",
            Code={"ZipFile": b"PK\x05\x06" + b"\x00" * 18},
        )["FunctionArn"]
        definition = {
            "StartAt": "Work",
            "States": {"Work": {"Type": "Task", "Resource": function_arn, "End": True}},
        }
        sfn = boto3.client("stepfunctions", region_name=REGION)
        machine = sfn.create_state_machine(name="m", definition=json.dumps(definition), roleArn=role)
        with moto_seams.FUNCTION_CODE_RUN.replaced_by(run):
            execution = sfn.start_execution(stateMachineArn=machine["stateMachineArn"], input="{}")
            while (ended := sfn.describe_execution(executionArn=execution["executionArn"]))[
                "status"
            ] == "RUNNING":
                time.sleep(0.01)
    assert seen == [{}]
    return dict(ended)


def test_a_reused_client_reaches_each_new_mock(task_clients: ReusedTaskClients) -> None:
    outcomes = [_execution_of_a_lambda_task() for _ in range(2)]

    assert [(outcome["status"], json.loads(outcome["output"])) for outcome in outcomes] == [
        ("SUCCEEDED", {"ran": "fn"}),
        ("SUCCEEDED", {"ran": "fn"}),
    ]


def test_the_task_clients_refuse_a_moto_that_no_longer_tells_a_mock_from_a_server(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    moto_client_for = lambda_eval_utils.boto_client_for  # type: ignore[attr-defined]
    monkeypatch.setattr(moto_seams, "_CLIENT_FOR_INTERCEPTION", "no such line")

    with pytest.raises(moto_seams.SeamChangedError, match="Step Functions service clients"):
        ReusedTaskClients().install()
    assert lambda_eval_utils.boto_client_for is moto_client_for  # type: ignore[attr-defined]
