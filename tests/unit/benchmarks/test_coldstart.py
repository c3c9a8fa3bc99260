"""The cold-start probe and the environment it runs in: a fresh interpreter does a function's init
and first invocation, notes the clients and calls it made, and the floor repeats just those."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from benchmarks.coldstart import (
    EVENTS,
    ProbeError,
    lambda_environment,
    run_probe,
    sample_event_path,
    tracing_of,
)
from benchmarks.importtime import Phase, parse
from benchmarks.support import FunctionSpec, function_specs, project_template

HANDLER = """
import json

import boto3

def handler(event, context):
    client = boto3.client("dynamodb", endpoint_url="http://127.0.0.1:9")  # nothing listens there
    try:
        client.get_item(TableName=event["table"], Key={"id": {"S": "1"}})
    except Exception:
        pass
    return {"statusCode": event.get("status", 200), "body": json.dumps(context.memory_limit_in_mb)}
"""


def spec(handler: str = "probe_target.handler") -> FunctionSpec:
    return FunctionSpec(
        logical_id="ProbeTargetFunction",
        handler=handler,
        runtime="python3.13",
        architecture="arm64",
        timeout=5,
        memory_size=192,
        code_uri="src/",
        environment={},
        policies=[],
    )


def environment(
    task_root: Path, tracing: str = "PassThrough", handler: str = "probe_target.handler"
) -> dict[str, str]:
    variables = lambda_environment(
        spec(handler),
        function_name="airline-ProbeTargetFunction",
        template_variables={"TABLE": "t", "AWS_ACCESS_KEY_ID": "from-the-template"},
        task_root=task_root,
        endpoint_url="http://127.0.0.1:9",
        credentials=("AKIDROLE", "secret", "token"),
        tracing=tracing,
        xray_daemon=("127.0.0.1", 2000),
    )
    return {**variables, "AWS_MAX_ATTEMPTS": "1"}


@pytest.fixture
def task_root(tmp_path: Path) -> Path:
    (tmp_path / "probe_target.py").write_text(HANDLER, encoding="utf-8")
    return tmp_path


def test_the_environment_is_lambdas_with_the_roles_credentials_last() -> None:
    variables = environment(Path("/build/ProbeTargetFunction"))

    assert variables["LAMBDA_TASK_ROOT"] == "/build/ProbeTargetFunction"
    assert variables["_HANDLER"] == "probe_target.handler"
    assert variables["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "192"
    assert variables["TABLE"] == "t"
    assert variables["AWS_ACCESS_KEY_ID"] == "AKIDROLE"  # the template cannot replace the role
    assert "_X_AMZN_TRACE_ID" not in variables


def test_active_tracing_gets_a_sampled_trace_header_and_a_local_daemon() -> None:
    variables = environment(Path("/build"), tracing="Active")

    assert variables["_X_AMZN_TRACE_ID"].endswith(";Sampled=1")
    assert variables["AWS_XRAY_DAEMON_ADDRESS"] == "127.0.0.1:2000"


def test_every_function_of_the_template_has_a_sample_event_where_the_probe_looks() -> None:
    template = project_template()

    for logical_id in function_specs(template):
        assert sample_event_path(logical_id).is_file(), logical_id
        assert tracing_of(template, logical_id) in {"Active", "PassThrough"}
    assert sample_event_path("GetLoyaltyFunction") == EVENTS / "get_loyalty.json"


def test_the_function_probe_reports_the_clients_and_calls_of_its_first_invocation(task_root: Path) -> None:
    request: dict[str, Any] = {"event": {"table": "bookings"}, "functionArn": "arn", "record": True}

    run = run_probe("function", environment(task_root), request, importtime=True)

    assert run.answer["outcome"] == "ok"
    assert run.answer["clients"] == ["dynamodb"]
    assert run.answer["calls"] == [
        {
            "service": "dynamodb",
            "operation": "GetItem",
            "params": {"TableName": "bookings", "Key": {"id": {"S": "1"}}},
        }
    ]
    assert run.measurement.cpu_seconds > 0
    assert run.measurement.wall_seconds > 0
    assert run.measurement.peak_rss_kib
    phases = {entry.module: entry.phase for entry in parse(run.stderr)}
    assert phases["probe_target"] is Phase.INIT


def test_a_failing_response_is_the_functions_outcome_not_the_probes(task_root: Path) -> None:
    request = {"event": {"table": "bookings", "status": 502}, "functionArn": "arn"}

    assert run_probe("function", environment(task_root), request).measurement.outcome == "HTTP 502"


def test_the_floor_creates_the_same_clients_and_makes_the_same_calls(task_root: Path) -> None:
    calls = [
        {
            "service": "dynamodb",
            "operation": "GetItem",
            "params": {"TableName": "t", "Key": {"id": {"S": "1"}}},
        }
    ]

    with pytest.raises(ProbeError, match="EndpointConnectionError"):
        # Nothing listens on the endpoint: the floor really makes the call (and a refused connection is
        # not an answer it may ignore, unlike an error response).
        run_probe("floor", environment(task_root), {"clients": ["dynamodb"], "calls": calls})


def test_a_handler_that_cannot_be_imported_fails_the_probe(task_root: Path) -> None:
    with pytest.raises(ProbeError, match="ModuleNotFoundError"):
        run_probe(
            "function", environment(task_root, handler="missing.handler"), {"event": {}, "functionArn": "a"}
        )


def test_the_probe_refuses_an_unknown_mode(task_root: Path) -> None:
    with pytest.raises(ProbeError, match="usage"):
        run_probe("both", environment(task_root), {})


def test_sample_events_are_json(task_root: Path) -> None:
    for path in EVENTS.glob("*.json"):
        json.loads(path.read_text(encoding="utf-8"))
