"""Workers forked from a prewarm process behave as started ones: their own process, only their
function's environment and credentials, the function's own code imported in the worker, Lambda's
errors and reports - only the init is shorter, and the report says so. Every test that compares the two
runs each kind of worker."""

from __future__ import annotations

import os
import re
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from localcloud import lambda_service
from localcloud.identity import Credentials
from localcloud.lambda_service import LambdaRuntime, third_party_imports

pytestmark = pytest.mark.skipif(
    not lambda_service.PREWARM_SUPPORTED, reason="workers are forked on Linux only"
)

PREWARMED_MODULE = "xml.dom.minidom"
"""Imported by the prewarm process here; nothing a worker starts with imports it."""

HANDLER_MODULE = f"""
import os
import sys

PREWARMED_AT_IMPORT = {PREWARMED_MODULE!r} in sys.modules


def handler(event, context):
    if event.get("sleepSeconds"):
        import time
        with open(event["pidFile"], "w") as pid_file:
            pid_file.write(str(os.getpid()))
        time.sleep(event["sleepSeconds"])
    print("handled", context.aws_request_id)
    return {{
        "environment": dict(os.environ),
        "pid": os.getpid(),
        "argv": sys.argv,
        "prewarmedModuleLoaded": PREWARMED_AT_IMPORT,
        "handlerModuleFile": __file__,
    }}
"""


class _Directory:
    """Role credentials without STS: each function's own, so that a mix-up would show."""

    def service_role_credentials(
        self, role_arn: str, service: str, session_name: str, context: Any = None
    ) -> Credentials:
        return Credentials(
            f"ASIA{session_name.upper()}", f"secret-of-{session_name}", f"token-of-{session_name}"
        )


def make_function(code: Path, name: str, *, timeout: int = 30) -> SimpleNamespace:
    code.mkdir(exist_ok=True)
    (code / f"{name}_handler.py").write_text(HANDLER_MODULE, encoding="utf-8")
    return SimpleNamespace(
        function_name=name,
        function_arn=f"arn:aws:lambda:eu-west-1:123456789012:function:{name}",
        role=f"arn:aws:iam::123456789012:role/{name}",
        handler=f"{name}_handler.handler",
        timeout=timeout,
        memory_size=192,
        run_time="python3.13",
        environment_vars={"TABLE_NAME": f"table-of-{name}"},
        code=code,
    )


def make_runtime(
    prewarmed: bool, *functions: SimpleNamespace, imports: tuple[str, ...] = (PREWARMED_MODULE,)
) -> LambdaRuntime:
    return LambdaRuntime(
        _Directory(),  # type: ignore[arg-type]
        account_id="123456789012",
        region="eu-west-1",
        endpoint_url=lambda: "http://127.0.0.1:9",
        code_directories={function.function_name: function.code for function in functions},
        prewarmed_imports=imports if prewarmed else (),
    )


def invoke_and_stop(lambdas: LambdaRuntime, function: SimpleNamespace, event: dict[str, Any]) -> Any:
    """One invocation on a runtime made for it, which is then stopped."""
    try:
        return lambdas.invoke(function, event)  # type: ignore[arg-type]
    finally:
        lambdas.stop()


@pytest.fixture(params=[False, True], ids=["started", "prewarmed"])
def prewarmed(request: pytest.FixtureRequest) -> bool:
    value: bool = request.param
    return value


@pytest.fixture
def functions(tmp_path: Path) -> tuple[SimpleNamespace, SimpleNamespace]:
    return make_function(tmp_path / "reserve", "reserve"), make_function(tmp_path / "refund", "refund")


@pytest.fixture
def runtime(prewarmed: bool, functions: tuple[SimpleNamespace, SimpleNamespace]) -> Iterator[LambdaRuntime]:
    lambdas = make_runtime(prewarmed, *functions)
    yield lambdas
    lambdas.stop()


def invoke(runtime: LambdaRuntime, function: SimpleNamespace, event: dict[str, Any] | None = None) -> Any:
    result = runtime.invoke(function, event or {})  # type: ignore[arg-type]
    assert result.function_error is None, result.payload
    return result


def test_a_worker_sees_only_its_functions_environment_and_credentials(
    runtime: LambdaRuntime,
    functions: tuple[SimpleNamespace, SimpleNamespace],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SECRET_OF_THE_TEST_PROCESS", "must not reach a function")
    reserve, refund = functions

    seen = {function.function_name: invoke(runtime, function).json() for function in functions}

    for function in (reserve, refund):
        environment = seen[function.function_name]["environment"]
        name = function.function_name
        assert "SECRET_OF_THE_TEST_PROCESS" not in environment
        assert environment["AWS_ACCESS_KEY_ID"] == f"ASIA{name.upper()}"
        assert environment["AWS_SECRET_ACCESS_KEY"] == f"secret-of-{name}"
        assert environment["AWS_SESSION_TOKEN"] == f"token-of-{name}"
        assert environment["TABLE_NAME"] == f"table-of-{name}"
        assert environment["LAMBDA_TASK_ROOT"] == str(function.code.resolve())
        assert seen[name]["handlerModuleFile"] == str(function.code.resolve() / f"{name}_handler.py")
    assert seen["reserve"]["pid"] != seen["refund"]["pid"]
    assert seen["reserve"]["pid"] != os.getpid()


def test_started_and_prewarmed_workers_get_the_same_environment_and_arguments(
    functions: tuple[SimpleNamespace, SimpleNamespace],
) -> None:
    reserve, _ = functions
    seen = {}
    for prewarmed in (False, True):
        lambdas = make_runtime(prewarmed, reserve)
        try:
            seen[prewarmed] = invoke(lambdas, reserve).json()
        finally:
            lambdas.stop()

    started, forked = seen[False], seen[True]
    variable_per_worker = {"AWS_LAMBDA_LOG_STREAM_NAME"}
    assert set(started["environment"]) == set(forked["environment"])
    for name in set(started["environment"]) - variable_per_worker:
        assert started["environment"][name] == forked["environment"][name], name
    assert started["argv"] == forked["argv"]


def test_the_prewarm_process_never_holds_a_functions_environment(
    functions: tuple[SimpleNamespace, SimpleNamespace],
) -> None:
    # Every worker starts with a copy of the prewarm process's memory: had that process ever held a
    # function's environment, even in memory it has freed, a later worker of another function would
    # start with those credentials in its own memory, for any code running there to find.
    reserve, refund = functions
    lambda_service._stop_prewarm_processes()
    lambdas = make_runtime(True, reserve, refund)
    try:
        invoke(lambdas, reserve)
        worker = invoke(lambdas, refund).json()["pid"]
        [process] = lambda_service._prewarm_processes.values()
        sought = "(secret|token|table)-of-r[e](serve|fund)"
        in_prewarm_process = _found_in_memory(process._process.pid, sought)
        in_worker = _found_in_memory(worker, "secret-of-r[e]fund")
    finally:
        lambdas.stop()

    assert in_worker > 0  # the scan does find a worker's own credentials in its memory
    assert in_prewarm_process == 0


def _found_in_memory(pid: int, pattern: str) -> int:
    """How often ``pattern`` (a regular expression, so that what is sought is not itself in this
    process's memory in one piece) matches in the writable memory of process ``pid``."""
    sought = re.compile(pattern.encode())
    found = 0
    try:
        maps = Path(f"/proc/{pid}/maps").read_text(encoding="ascii").splitlines()
        memory = open(f"/proc/{pid}/mem", "rb", buffering=0)  # noqa: SIM115 - closed below
    except PermissionError:
        pytest.skip("this system does not let a process read its child's memory (ptrace restricted)")
    with memory:
        for line in maps:
            fields = line.split()
            if not fields[1].startswith("rw"):
                continue
            start, end = (int(bound, 16) for bound in fields[0].split("-"))
            try:
                memory.seek(start)
                region = memory.read(end - start)
            except OSError:
                continue
            found += sum(1 for _ in sought.finditer(region))
    return found


def test_only_a_prewarmed_worker_finds_the_prewarmed_modules_imported(
    runtime: LambdaRuntime, functions: tuple[SimpleNamespace, SimpleNamespace], prewarmed: bool
) -> None:
    assert invoke(runtime, functions[0]).json()["prewarmedModuleLoaded"] is prewarmed


def test_the_report_says_whether_the_worker_was_prewarmed(
    runtime: LambdaRuntime, functions: tuple[SimpleNamespace, SimpleNamespace], prewarmed: bool
) -> None:
    cold = invoke(runtime, functions[0]).report
    warm = invoke(runtime, functions[0]).report

    assert cold.init_duration_ms is not None
    assert cold.init_duration_ms > 0
    assert cold.prewarmed is prewarmed
    assert warm.init_duration_ms is None
    assert warm.max_memory_used_mb > 0
    assert any(line.startswith("handled ") for line in runtime.logs["reserve"].lines)


def test_concurrent_invocations_get_their_own_workers(
    runtime: LambdaRuntime, functions: tuple[SimpleNamespace, SimpleNamespace], tmp_path: Path
) -> None:
    reserve, _ = functions
    events = [{"sleepSeconds": 0.5, "pidFile": str(tmp_path / f"pid-{index}")} for index in range(2)]
    with ThreadPoolExecutor(max_workers=2) as pool:
        pids = {
            result.json()["pid"] for result in pool.map(lambda event: invoke(runtime, reserve, event), events)
        }

    assert len(pids) == 2


def test_a_timed_out_worker_is_killed(prewarmed: bool, tmp_path: Path) -> None:
    function = make_function(tmp_path / "slow", "slow", timeout=1)
    lambdas = make_runtime(prewarmed, function)
    pid_file = tmp_path / "pid"
    try:
        result = lambdas.invoke(function, {"sleepSeconds": 30, "pidFile": str(pid_file)})  # type: ignore[arg-type]
        assert result.function_error == "Unhandled"
        assert "Task timed out" in result.json()["errorMessage"]
        assert_ended(int(pid_file.read_text()))
    finally:
        lambdas.stop()


def test_stopping_the_runtime_ends_its_workers(
    runtime: LambdaRuntime, functions: tuple[SimpleNamespace, SimpleNamespace]
) -> None:
    pids = [invoke(runtime, function).json()["pid"] for function in functions]

    runtime.stop()

    for pid in pids:
        assert_ended(pid)


def test_a_handler_module_that_fails_to_import_is_reported_as_lambda_does(
    prewarmed: bool, tmp_path: Path
) -> None:
    function = make_function(tmp_path / "broken", "broken")
    (function.code / "broken_handler.py").write_text("raise RuntimeError('no config')\n", encoding="utf-8")
    result = invoke_and_stop(make_runtime(prewarmed, function), function, {})

    assert result.function_error == "Unhandled"
    assert result.json()["errorType"] == "Runtime.ImportModuleError"
    assert result.json()["errorMessage"] == "no config"


def test_a_prewarm_process_that_cannot_import_its_modules_fails_the_init_with_the_reason(
    tmp_path: Path,
) -> None:
    function = make_function(tmp_path / "reserve", "reserve")
    lambdas = make_runtime(True, function, imports=("no_such_module_anywhere",))

    result = invoke_and_stop(lambdas, function, {})

    assert result.function_error == "Unhandled"
    assert result.json()["errorType"] == "Runtime.InitError"
    assert "no_such_module_anywhere" in result.json()["errorMessage"]


def test_a_prewarm_process_that_died_is_replaced(functions: tuple[SimpleNamespace, SimpleNamespace]) -> None:
    reserve, refund = functions
    lambdas = make_runtime(True, reserve, refund)
    try:
        invoke(lambdas, reserve)
        for process in lambda_service._prewarm_processes.values():
            process._process.kill()
            process._process.wait(timeout=10)

        assert invoke(lambdas, refund).report.prewarmed
    finally:
        lambdas.stop()


def test_the_prewarm_process_holds_only_the_variables_every_worker_shares(
    functions: tuple[SimpleNamespace, SimpleNamespace], monkeypatch: pytest.MonkeyPatch
) -> None:
    # What it imports may read its environment (Powertools reads AWS_EXECUTION_ENV): nothing of this
    # process's, and no function's own variables or credentials, may be there to read.
    monkeypatch.setenv("SECRET_OF_THE_TEST_PROCESS", "must not reach a function")
    lambda_service._stop_prewarm_processes()
    lambdas = make_runtime(True, *functions)
    try:
        invoke(lambdas, functions[0])
        [process] = lambda_service._prewarm_processes.values()
        environ = Path(f"/proc/{process._process.pid}/environ").read_bytes()
    finally:
        lambdas.stop()

    names = {entry.partition(b"=")[0].decode() for entry in environ.split(b"\0") if entry}
    assert names == {"PATH", "LANG", "TZ", "AWS_EXECUTION_ENV"}


def test_a_stopped_prewarm_process_ends() -> None:
    environment = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"}
    process = lambda_service._PrewarmProcess(sys.executable, (PREWARMED_MODULE,), environment)
    assert process.alive()

    process.stop()

    assert not process.alive()


def assert_ended(pid: int) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        if _zombie(pid):
            return
        time.sleep(0.05)
    pytest.fail(f"process {pid} is still running")


def _zombie(pid: int) -> bool:
    # A started worker is this process's child: once killed, it stays a zombie until reaped.
    try:
        status = Path(f"/proc/{pid}/status").read_text(encoding="ascii")
    except OSError:
        return True
    return "\nState:\tZ" in status


def test_the_prewarm_imports_of_a_source_tree_are_its_third_party_modules(tmp_path: Path) -> None:
    source = tmp_path / "src"
    (source / "booking").mkdir(parents=True)
    (source / "booking" / "__init__.py").write_text("", encoding="utf-8")
    (source / "booking" / "handler.py").write_text(
        "from __future__ import annotations\n"
        "import json\n"
        "import os.path\n"
        "from typing import TYPE_CHECKING\n"
        "import boto3\n"
        "from pydantic import BaseModel\n"
        "from aws_lambda_powertools.logging import Logger\n"
        "from booking import models\n"
        "from . import repository\n"
        "from .models import Booking\n"
        "import helpers\n"
        "if TYPE_CHECKING:\n"
        "    from mypy_boto3_dynamodb import DynamoDBClient\n"
        "else:\n"
        "    import botocore.exceptions\n"
        "def lazy():\n"
        "    from aws_lambda_powertools.metrics import Metrics\n",
        encoding="utf-8",
    )
    (source / "helpers.py").write_text("import yaml\n", encoding="utf-8")

    assert third_party_imports(source) == (
        "aws_lambda_powertools.logging",
        "aws_lambda_powertools.metrics",
        "boto3",
        "botocore.exceptions",
        "pydantic",
        "yaml",
    )
