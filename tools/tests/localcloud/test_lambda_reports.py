"""Every invocation on the local cloud reports what Lambda's REPORT line does: duration, billed
duration, memory size, max memory used, and the init duration of a cold start."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from localcloud import lambda_service
from localcloud.identity import Credentials
from localcloud.lambda_service import InvocationReport, LambdaRuntime

HANDLER_MODULE = """
def handler(event, context):
    # Held until the next invocation, so the process's peak really includes it.
    global kept
    kept = b"x" * event.get("allocateBytes", 0)
    return {"memoryLimitInMb": context.memory_limit_in_mb}
"""
MB = 1024 * 1024


class _Directory:
    """Role credentials without STS: the worker only passes them on to the function's code."""

    def service_role_credentials(
        self, role_arn: str, service: str, session_name: str, context: Any = None
    ) -> Credentials:
        return Credentials("ASIAREPORTTEST", "secret", "token")


@pytest.fixture
def function(tmp_path: Path) -> SimpleNamespace:
    (tmp_path / "reporting_handler.py").write_text(HANDLER_MODULE, encoding="utf-8")
    return SimpleNamespace(
        function_name="reporting",
        function_arn="arn:aws:lambda:eu-west-1:123456789012:function:reporting",
        role="arn:aws:iam::123456789012:role/reporting",
        handler="reporting_handler.handler",
        timeout=30,
        memory_size=192,
        run_time="python3.13",
        environment_vars={},
        code=tmp_path,
    )


@pytest.fixture
def runtime(function: SimpleNamespace) -> Iterator[LambdaRuntime]:
    lambdas = LambdaRuntime(
        _Directory(),  # type: ignore[arg-type]
        account_id="123456789012",
        region="eu-west-1",
        endpoint_url=lambda: "http://127.0.0.1:9",
        code_directories={function.function_name: function.code},
    )
    yield lambdas
    lambdas.stop()


def invoke(runtime: LambdaRuntime, function: SimpleNamespace, event: dict[str, Any]) -> InvocationReport:
    result = runtime.invoke(function, event)  # type: ignore[arg-type]
    assert result.function_error is None, result.payload
    assert result.json() == {"memoryLimitInMb": 192}
    assert result.report is not None
    return result.report


def test_a_cold_start_reports_its_init_duration_and_a_warm_invocation_does_not(
    runtime: LambdaRuntime, function: SimpleNamespace
) -> None:
    cold = invoke(runtime, function, {})
    warm = invoke(runtime, function, {})

    assert cold.init_duration_ms is not None
    assert cold.init_duration_ms > 0
    assert warm.init_duration_ms is None
    for report in (cold, warm):
        assert report.memory_size_mb == 192
        assert report.duration_ms > 0
        assert report.billed_duration_ms == math.ceil(report.duration_ms)


def test_max_memory_used_is_the_worker_processes_peak(
    runtime: LambdaRuntime, function: SimpleNamespace
) -> None:
    before = invoke(runtime, function, {})
    after = invoke(runtime, function, {"allocateBytes": 96 * MB})

    assert before.max_memory_used_mb > 0
    # Not before + 96: the earlier peak may include memory the worker has freed since (its imports),
    # which the new allocation reuses. The peak holds the 96 MB and is higher than it was.
    assert after.max_memory_used_mb >= 96
    assert after.max_memory_used_mb > before.max_memory_used_mb


def test_the_log_has_a_report_line_after_each_end_line(
    runtime: LambdaRuntime, function: SimpleNamespace
) -> None:
    report = invoke(runtime, function, {})

    log = runtime.logs[function.function_name]
    assert list(log.reports) == [report]
    ends = [index for index, line in enumerate(log.lines) if line.startswith("END RequestId:")]
    assert len(ends) == 1
    assert log.lines[ends[0] + 1] == (
        f"REPORT RequestId: {report.request_id}\tDuration: {report.duration_ms:.2f} ms\t"
        f"Billed Duration: {report.billed_duration_ms} ms\tMemory Size: 192 MB\t"
        f"Max Memory Used: {report.max_memory_used_mb} MB\tInit Duration: {report.init_duration_ms:.2f} ms"
    )


SLOW_INIT_MODULE = """
import time

time.sleep({init_seconds})


def handler(event, context):
    return {{"remainingMs": context.get_remaining_time_in_millis()}}
"""


def slow_init_function(tmp_path: Path, name: str, init_seconds: float, timeout: int) -> SimpleNamespace:
    (tmp_path / f"{name}.py").write_text(SLOW_INIT_MODULE.format(init_seconds=init_seconds), encoding="utf-8")
    return SimpleNamespace(
        function_name=name,
        function_arn=f"arn:aws:lambda:eu-west-1:123456789012:function:{name}",
        role="arn:aws:iam::123456789012:role/reporting",
        handler=f"{name}.handler",
        timeout=timeout,
        memory_size=128,
        run_time="python3.13",
        environment_vars={},
        code=tmp_path,
    )


def runtime_for(function: SimpleNamespace) -> LambdaRuntime:
    return LambdaRuntime(
        _Directory(),  # type: ignore[arg-type]
        account_id="123456789012",
        region="eu-west-1",
        endpoint_url=lambda: "http://127.0.0.1:9",
        code_directories={function.function_name: function.code},
    )


def test_the_init_phase_does_not_count_against_the_functions_timeout(tmp_path: Path) -> None:
    # As on Lambda: an init within the init phase's limit leaves the invocation its whole timeout.
    function = slow_init_function(tmp_path, "slow_import", init_seconds=1.5, timeout=1)
    lambdas = runtime_for(function)
    try:
        result = lambdas.invoke(function, {})  # type: ignore[arg-type]
    finally:
        lambdas.stop()

    assert result.function_error is None, result.payload
    assert 0 < result.json()["remainingMs"] <= 1000
    assert result.report is not None
    assert result.report.init_duration_ms is not None
    assert result.report.init_duration_ms >= 1500


def test_an_init_past_its_phase_limit_goes_on_within_the_invocations_timeout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(lambda_service, "INIT_PHASE_SECONDS", 0.2)
    function = slow_init_function(tmp_path, "endless_import", init_seconds=30, timeout=1)
    lambdas = runtime_for(function)
    try:
        result = lambdas.invoke(function, {})  # type: ignore[arg-type]
    finally:
        lambdas.stop()

    assert result.function_error == "Unhandled"
    assert result.json()["errorType"] == "Sandbox.Timedout"
