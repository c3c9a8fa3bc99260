"""Lambda on the local cloud: each function runs in its own processes under its own role.

moto runs function code only in Docker. The local cloud replaces ``LambdaFunction.invoke`` (the seam
``FUNCTION_INVOKE`` of :mod:`localcloud.moto_seams`) so that every invocation - by the Lambda API,
by Step Functions, by an event source mapping, by the local API Gateway - runs the handler from
``sam build``'s output in a worker process (``lambda_worker.py``) whose environment holds:

* the function's variables from the template,
* temporary credentials of the function's own role, obtained as Lambda obtains them (the role's trust
  policy must admit ``lambda.amazonaws.com``),
* the local AWS endpoint (``AWS_ENDPOINT_URL``), so every call the code makes is authorised there.

A new worker's init (its handler module imported) has its own limit, ``INIT_PHASE_SECONDS``, as on
Lambda, where the on-demand init phase may take up to 10 s and the function's timeout starts with the
invocation. An init that overruns it goes on within the first invocation's timeout, as Lambda then
repeats the init inside the invoke phase.

Workers stay warm between invocations, as execution environments do; one serves one invocation at a
time, so concurrent invocations get their own workers (up to ``MAX_WORKERS_PER_FUNCTION``).

Each completed invocation gets Lambda's REPORT figures (duration, billed duration, memory size, max
memory used, init duration on a cold start): in its :class:`InvocationResult`, as a ``REPORT`` line in
the function's log, and in the log's ``reports``.
"""

from __future__ import annotations

import ast
import atexit
import json
import math
import os
import queue
import select
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Protocol

from moto.awslambda.models import LambdaFunction

from localcloud import moto_seams
from localcloud.faults import INVOCATION_FAULTS, Fault, FaultPlan
from localcloud.identity import Credentials, MotoIdentityDirectory

WORKER = Path(__file__).with_name("lambda_worker.py")
MAX_WORKERS_PER_FUNCTION = 4
LOG_LINES_KEPT = 2000
CREDENTIALS_MARGIN_SECONDS = 300
INIT_PHASE_SECONDS = 10.0
PREWARM_SUPPORTED = sys.platform == "linux" and hasattr(os, "pidfd_open") and hasattr(socket, "send_fds")
"""Forked workers need Linux's pidfds (to follow a process that is not this one's child) and descriptor
passing; elsewhere every worker is started."""
PREWARM_ENVIRONMENT = ("PATH", "LANG", "TZ", "AWS_EXECUTION_ENV")
"""The variables a prewarm process is started with, taken from the worker it first serves; workers whose
values differ get their own prewarm process. Powertools reads ``AWS_EXECUTION_ENV`` when it is imported
(its user agent), so an imported module sees the same value in a forked worker as in a started one."""
PREWARM_READY_SECONDS = 60.0


@dataclass(frozen=True)
class InvocationReport:
    """The figures of the REPORT line Lambda logs after each invocation."""

    request_id: str
    duration_ms: float
    """The handler's run, measured in the worker."""
    memory_size_mb: int
    """The function's configured MemorySize."""
    max_memory_used_mb: int
    """The worker process's peak resident set size so far."""
    init_duration_ms: float | None
    """On the first invocation of a worker (a cold start): its start until the handler was imported."""
    prewarmed: bool = False
    """The worker was forked from a prewarm process: its init duration covers the function's own modules
    only, and its peak memory includes every module the prewarm process imported - not a cold start's."""

    @property
    def billed_duration_ms(self) -> int:
        return math.ceil(self.duration_ms)  # Lambda bills duration in 1 ms increments

    def log_line(self) -> str:
        line = (
            f"REPORT RequestId: {self.request_id}\tDuration: {self.duration_ms:.2f} ms\t"
            f"Billed Duration: {self.billed_duration_ms} ms\tMemory Size: {self.memory_size_mb} MB\t"
            f"Max Memory Used: {self.max_memory_used_mb} MB"
        )
        if self.init_duration_ms is not None:
            line += f"\tInit Duration: {self.init_duration_ms:.2f} ms"
        return line


@dataclass(frozen=True)
class InvocationResult:
    payload: bytes
    function_error: str | None
    """None on success; "Unhandled" when the handler raised, timed out or could not start."""
    report: InvocationReport | None = None
    """None when the worker gave no answer (a timeout, a crashed process)."""

    def json(self) -> Any:
        return json.loads(self.payload)


@dataclass
class FunctionLog:
    """What a function printed, newest last: kept for the walkthrough and for debugging."""

    lines: deque[str] = field(default_factory=lambda: deque(maxlen=LOG_LINES_KEPT))
    reports: deque[InvocationReport] = field(default_factory=lambda: deque(maxlen=LOG_LINES_KEPT))
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, line: str) -> None:
        with self.lock:
            self.lines.append(line)

    def add_report(self, report: InvocationReport) -> None:
        with self.lock:
            self.reports.append(report)
            self.lines.append(report.log_line())


def configuration_of(function: LambdaFunction) -> str:
    """What a worker was started with: a changed configuration needs new workers, as in Lambda."""
    return json.dumps(
        [function.role, function.handler, function.timeout, dict(function.environment_vars)], sort_keys=True
    )


def third_party_imports(source: Path) -> tuple[str, ...]:
    """The modules outside the standard library and outside ``source`` that its Python files import
    (those imported only for type checking left out): what a prewarm process for its functions imports."""
    own = {path.stem if path.is_file() else path.name for path in source.iterdir()}
    found: set[str] = set()
    for path in sorted(source.rglob("*.py")):
        for node in _runtime_nodes(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                found.add(node.module)
    return tuple(
        sorted(
            name
            for name in found
            if (top := name.partition(".")[0]) not in own and top not in sys.stdlib_module_names
        )
    )


def _runtime_nodes(tree: ast.AST) -> Iterator[ast.AST]:
    """Every node of ``tree`` but those under ``if TYPE_CHECKING:``."""
    pending = [tree]
    while pending:
        node = pending.pop()
        yield node
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            pending.extend(node.orelse)
            continue
        pending.extend(ast.iter_child_nodes(node))


class _WorkerProcess(Protocol):
    """What a worker needs of its process: a started one (:class:`subprocess.Popen`) or a forked one."""

    stdin: IO[str] | None
    stdout: IO[str] | None
    stderr: IO[str] | None

    def poll(self) -> int | None: ...

    def kill(self) -> None: ...

    def wait(self, timeout: float | None = None) -> int: ...


def _started_process(python: str, environment: dict[str, str]) -> subprocess.Popen[str]:
    """A new interpreter running the worker script: a cold start."""
    return subprocess.Popen(  # noqa: S603 - our own worker script, no shell
        [python, "-I", str(WORKER)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=environment,
        text=True,
        bufsize=1,
    )


class _ForkedProcess:
    """A worker forked by a prewarm process: not this process's child, so it is followed by its pidfd."""

    def __init__(self, pid: int, stdin: int, stdout: int, stderr: int) -> None:
        """This process's ends of the worker's pipes: closed when the worker stops."""
        self.stdin: IO[str] | None = os.fdopen(stdin, "w", buffering=1, encoding="utf-8")
        self.stdout: IO[str] | None = os.fdopen(stdout, encoding="utf-8")
        self.stderr: IO[str] | None = os.fdopen(stderr, encoding="utf-8")
        try:
            self._pidfd: int | None = os.pidfd_open(pid)
        except ProcessLookupError:  # it has already exited
            self._pidfd = None

    def _exited_within(self, timeout: float) -> bool:
        return self._pidfd is None or bool(select.select([self._pidfd], [], [], timeout)[0])

    def poll(self) -> int | None:
        # Its exit status goes to the prewarm process (which lets the system reap it): only "ended" is known.
        return 0 if self._exited_within(0) else None

    def kill(self) -> None:
        if self._pidfd is not None:
            signal.pidfd_send_signal(self._pidfd, signal.SIGKILL)

    def wait(self, timeout: float | None = None) -> int:
        if not self._exited_within(10.0 if timeout is None else timeout):
            raise subprocess.TimeoutExpired("forked worker", timeout or 10.0)
        if self._pidfd is not None:
            os.close(self._pidfd)
            self._pidfd = None
        return 0


class _PrewarmProcess:
    """A process that has imported the functions' third-party modules and forks workers on request
    (``lambda_worker.py --prewarm``). It ends when this process closes its socket, or exits."""

    def __init__(self, python: str, imports: Sequence[str], environment: dict[str, str]) -> None:
        self._lock = threading.Lock()
        self._channel, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        with tempfile.TemporaryFile() as errors:
            self._process = subprocess.Popen(  # noqa: S603 - our own worker script, no shell
                [python, "-I", str(WORKER), "--prewarm", str(theirs.fileno()), *imports],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=errors,
                env=environment,
                pass_fds=(theirs.fileno(),),
            )
            theirs.close()
            self._channel.settimeout(PREWARM_READY_SECONDS)
            try:
                ready = self._channel.recv(4096)
            except TimeoutError:
                ready = b""
            self._channel.settimeout(None)
            if not ready:
                self.stop()
                errors.seek(0)
                message = errors.read().decode(errors="replace").strip()
                raise RuntimeError(f"the prewarm process for {list(imports)} did not start: {message}")

    def fork(self, environment: dict[str, str]) -> _ForkedProcess:
        """A new worker with this environment, its stdin, stdout and stderr piped to this process."""
        stdin_read, stdin_write = os.pipe()
        stdout_read, stdout_write = os.pipe()
        stderr_read, stderr_write = os.pipe()
        try:
            with self._lock:
                socket.send_fds(self._channel, [b"fork"], [stdin_read, stdout_write, stderr_write])
                answer = self._channel.recv(4096)
        except OSError:
            answer = b""
        finally:
            for theirs in (stdin_read, stdout_write, stderr_write):
                os.close(theirs)
        if not answer:
            for ours in (stdin_write, stdout_read, stderr_read):
                os.close(ours)
            raise RuntimeError("the prewarm process has ended")
        worker = _ForkedProcess(json.loads(answer)["pid"], stdin_write, stdout_read, stderr_read)
        assert worker.stdin is not None
        worker.stdin.write(json.dumps(environment) + "\n")  # to the worker alone: see lambda_worker.py
        return worker

    def alive(self) -> bool:
        return self._process.poll() is None

    def stop(self) -> None:
        self._channel.close()  # its end of the socket reads as closed: it returns
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait(timeout=10)


_prewarm_processes: dict[tuple[str, tuple[str, ...], tuple[str, ...]], _PrewarmProcess] = {}
_prewarm_lock = threading.Lock()


def _prewarm_process(python: str, imports: Sequence[str], environment: Mapping[str, str]) -> _PrewarmProcess:
    """The process's prewarm process for these imports and this worker's base environment (one is shared
    by every local cloud in the process; a dead one is replaced)."""
    base = {name: environment[name] for name in PREWARM_ENVIRONMENT if name in environment}
    key = (python, tuple(imports), tuple(f"{name}={value}" for name, value in sorted(base.items())))
    with _prewarm_lock:
        process = _prewarm_processes.get(key)
        if process is None or not process.alive():
            process = _prewarm_processes[key] = _PrewarmProcess(python, imports, base)
        return process


@atexit.register
def _stop_prewarm_processes() -> None:
    with _prewarm_lock:
        processes = list(_prewarm_processes.values())
        _prewarm_processes.clear()
    for process in processes:
        process.stop()


class _Worker:
    def __init__(self, process: _WorkerProcess, log: FunctionLog, expires: float, configuration: str):
        self.expires = expires
        self.configuration = configuration
        self._initialised = False
        self._process = process
        assert self._process.stderr is not None
        assert self._process.stdout is not None
        self._log_reader = threading.Thread(
            target=self._read_log, args=(self._process.stderr, log), daemon=True
        )
        self._log_reader.start()
        self._lines: queue.Queue[str] = queue.Queue()
        self._protocol_reader = threading.Thread(
            target=self._read_protocol, args=(self._process.stdout, self._lines), daemon=True
        )
        self._protocol_reader.start()

    @staticmethod
    def _read_log(stream: IO[str], log: FunctionLog) -> None:
        for line in stream:
            log.add(line.rstrip("\n"))

    def alive(self) -> bool:
        return self._process.poll() is None and time.time() < self.expires

    def initialise(self, timeout: float) -> bool:
        """Whether the handler's module was imported within ``timeout`` s (at once if it already was)."""
        if not self._initialised:
            self._initialised = self._read_line(timeout) == {"initialised": True}
        return self._initialised

    def invoke(self, request: dict[str, Any], timeout: float) -> dict[str, Any] | None:
        """The worker's reply, or None if it did not answer within ``timeout`` seconds."""
        assert self._process.stdin is not None
        self._process.stdin.write(json.dumps(request) + "\n")
        self._process.stdin.flush()
        return self._read_line(timeout)

    def _read_line(self, timeout: float) -> dict[str, Any] | None:
        """The worker's next protocol line, or None if it wrote none within ``timeout`` seconds."""
        try:
            line = self._lines.get(timeout=max(timeout, 0.0))
        except queue.Empty:
            return None
        if not line:
            self._lines.put(line)  # the process ended: so will every later read, at once
            return None
        answer: dict[str, Any] = json.loads(line)
        return answer

    @staticmethod
    def _read_protocol(stream: IO[str], lines: queue.Queue[str]) -> None:
        # One reader for the worker's whole life: a line that comes after a caller gave up waiting
        # is not lost to another reader.
        for line in stream:
            lines.put(line)
        lines.put("")

    def stop(self) -> None:
        if self._process.poll() is None:
            self._process.kill()
        self._process.wait(timeout=10)
        for stream in (self._process.stdin, self._process.stdout, self._process.stderr):
            if stream is not None:
                stream.close()


class LambdaRuntime:
    """Runs functions for the local cloud. ``install()`` makes moto's Lambda service use it."""

    def __init__(
        self,
        directory: MotoIdentityDirectory,
        *,
        account_id: str,
        region: str,
        endpoint_url: Callable[[], str],
        code_directories: Mapping[str, Path],
        python: str = sys.executable,
        extra_environment: Mapping[str, str] | None = None,
        prewarmed_imports: Sequence[str] = (),
    ) -> None:
        """``prewarmed_imports``: fork each worker from a process that has imported these modules (the
        functions' third-party packages) instead of starting a new interpreter: quicker starts, for test
        suites. Their init durations and peak memory are not a cold start's (``InvocationReport.prewarmed``).
        Empty (the default), or where forking is not supported (``PREWARM_SUPPORTED``): started workers."""
        self._directory = directory
        self._account_id = account_id
        self._region = region
        self._endpoint_url = endpoint_url
        self._code_directories = code_directories
        self._python = python
        self._extra_environment = dict(extra_environment or {})
        self._prewarmed_imports = tuple(prewarmed_imports) if PREWARM_SUPPORTED else ()
        self._idle: dict[str, list[_Worker]] = {}
        self._busy: dict[str, int] = {}
        self._lock = threading.Condition()
        self.logs: dict[str, FunctionLog] = {}
        self._replaced: moto_seams.Replaced | None = None
        self.invocations: Counter[str] = Counter()
        """Invocations per function name, and below those that failed: Lambda's ``Invocations`` and
        ``Errors`` metrics, which the local alarms evaluate."""
        self.errors: Counter[str] = Counter()
        self.faults = FaultPlan()
        """Faults injected into invocations (the local cloud shares its plan here)."""

    # -------------------------------------------------------------- moto integration

    def install(self) -> None:
        runtime = self

        def invoke(function: LambdaFunction, body: str, request_headers: Any, response_headers: Any) -> bytes:
            event = json.loads(body) if body else {}
            result = runtime.invoke(function, event)
            if result.function_error:
                response_headers["x-amz-function-error"] = result.function_error
            return result.payload

        self._replaced = moto_seams.FUNCTION_INVOKE.replace(invoke)

    def uninstall(self) -> None:
        if self._replaced is not None:
            self._replaced.restore()
            self._replaced = None

    # -------------------------------------------------------------- invocations

    def invoke(self, function: LambdaFunction, event: Any) -> InvocationResult:
        result = self._run(function, event)
        with self._lock:
            self.invocations[function.function_name] += 1
            if result.function_error:
                self.errors[function.function_name] += 1
        return result

    def counts(self) -> tuple[dict[str, int], dict[str, int]]:
        """Invocations and errors per function name so far."""
        with self._lock:
            return dict(self.invocations), dict(self.errors)

    def _run(self, function: LambdaFunction, event: Any) -> InvocationResult:
        request_id = str(uuid.uuid4())
        timeout = float(function.timeout)
        fault = self.faults.draw("lambda", "Invoke", [function.function_name], INVOCATION_FAULTS)
        if fault is Fault.TIMEOUT:
            # The handler is held past the function's timeout: Lambda gives up on it before it runs.
            time.sleep(timeout)
            self._log_of(function.function_name).add(
                f"END RequestId: {request_id} Task timed out after {timeout:.2f} seconds (injected)"
            )
            return _timed_out(timeout)
        worker = self._acquire(function)
        if isinstance(worker, InvocationResult):
            return worker
        log = self._log_of(function.function_name)
        log.add(f"START RequestId: {request_id}")
        started = time.monotonic()
        try:
            invocation_timeout = self._initialise(worker, timeout)
            started = time.monotonic()
            deadline_ms = int((time.time() + invocation_timeout) * 1000)
            request = {"event": event, "requestId": request_id, "deadlineMs": deadline_ms}
            reply = worker.invoke(request, invocation_timeout) if invocation_timeout > 0 else None
        except (BrokenPipeError, OSError, json.JSONDecodeError) as error:
            reply = {
                "ok": False,
                "payload": _failure("Runtime.ExitError", f"the function's process failed: {error}"),
            }
        elapsed_ms = (time.monotonic() - started) * 1000
        if reply is None:
            worker.stop()
            self._release(function.function_name, None)
            log.add(f"END RequestId: {request_id} Task timed out after {timeout:.2f} seconds")
            return _timed_out(timeout)
        if fault is Fault.CRASH:
            # The handler did its work; the worker dies before its answer leaves it.
            worker.stop()
            self._release(function.function_name, None)
            log.add(f"END RequestId: {request_id} the function's process exited (injected crash)")
            crashed = _failure("Runtime.ExitError", "the function's process exited")
            return InvocationResult(json.dumps(crashed).encode(), "Unhandled")
        self._release(function.function_name, worker)
        log.add(f"END RequestId: {request_id} Duration: {elapsed_ms:.1f} ms")
        report = _report_of(reply, request_id, int(function.memory_size))
        if report is not None:
            log.add_report(report)
        payload = json.dumps(reply["payload"]).encode()
        return InvocationResult(payload, None if reply["ok"] else "Unhandled", report)

    @staticmethod
    def _initialise(worker: _Worker, timeout: float) -> float:
        """What remains of the invocation's ``timeout`` once the worker's init phase is over.

        Within ``INIT_PHASE_SECONDS`` the init does not count against the timeout; past it, the init
        goes on inside the invocation's timeout, as Lambda then repeats the init in the invoke phase."""
        if worker.initialise(INIT_PHASE_SECONDS):
            return timeout
        overrun_started = time.monotonic()
        if not worker.initialise(timeout):
            return 0.0
        return max(0.0, timeout - (time.monotonic() - overrun_started))

    def _log_of(self, function_name: str) -> FunctionLog:
        with self._lock:
            return self.logs.setdefault(function_name, FunctionLog())

    def _acquire(self, function: LambdaFunction) -> _Worker | InvocationResult:
        name = function.function_name
        with self._lock:
            while True:
                idle = self._idle.setdefault(name, [])
                while idle:
                    worker = idle.pop()
                    if worker.alive() and worker.configuration == configuration_of(function):
                        self._busy[name] = self._busy.get(name, 0) + 1
                        return worker
                    worker.stop()
                if self._busy.get(name, 0) < MAX_WORKERS_PER_FUNCTION:
                    self._busy[name] = self._busy.get(name, 0) + 1
                    break
                self._lock.wait(timeout=1)
        try:
            return self._start_worker(function)
        except Exception as error:
            self._release(name, None)
            return InvocationResult(
                json.dumps(_failure("Runtime.InitError", str(error))).encode(), "Unhandled"
            )

    def _release(self, function_name: str, worker: _Worker | None) -> None:
        with self._lock:
            self._busy[function_name] -= 1
            if worker is not None:
                self._idle.setdefault(function_name, []).append(worker)
            self._lock.notify_all()

    def _start_worker(self, function: LambdaFunction) -> _Worker:
        code = self._code_directories.get(function.function_name)
        if code is None:
            raise RuntimeError(f"no code is known for {function.function_name}")
        # Lambda sets no aws:SourceArn when it assumes an execution role (the function is not its
        # source: Lambda is), so neither does this: a trust policy conditioned on one is refused here.
        credentials = self._directory.service_role_credentials(
            function.role,
            "lambda.amazonaws.com",
            function.function_name,
            {"aws:SourceAccount": self._account_id},
        )
        expires = (
            credentials.expiration.timestamp() - CREDENTIALS_MARGIN_SECONDS
            if credentials.expiration
            else time.time() + 3600
        )
        environment = self._environment(function, code, credentials)
        process = (
            _prewarm_process(self._python, self._prewarmed_imports, environment).fork(environment)
            if self._prewarmed_imports
            else _started_process(self._python, environment)
        )
        return _Worker(process, self._log_of(function.function_name), expires, configuration_of(function))

    def _environment(self, function: LambdaFunction, code: Path, credentials: Credentials) -> dict[str, str]:
        return {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LANG": "C.UTF-8",
            "TZ": ":UTC",
            "LAMBDA_TASK_ROOT": str(code.resolve()),
            "_HANDLER": function.handler,
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{function.run_time}",
            "AWS_LAMBDA_FUNCTION_NAME": function.function_name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function.memory_size),
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{function.function_name}",
            "AWS_LAMBDA_LOG_STREAM_NAME": f"local/[$LATEST]{uuid.uuid4().hex}",
            "LOCALCLOUD_FUNCTION_ARN": function.function_arn,
            "AWS_REGION": self._region,
            "AWS_DEFAULT_REGION": self._region,
            "AWS_ENDPOINT_URL": self._endpoint_url(),
            **self._extra_environment,
            **{key: str(value) for key, value in function.environment_vars.items()},
            # Last, so the template cannot replace them: the function acts as its role and nothing else.
            "AWS_ACCESS_KEY_ID": credentials.access_key_id,
            "AWS_SECRET_ACCESS_KEY": credentials.secret_access_key,
            "AWS_SESSION_TOKEN": credentials.session_token or "",
        }

    def stop(self) -> None:
        with self._lock:
            workers = [worker for idle in self._idle.values() for worker in idle]
            self._idle.clear()
        for worker in workers:
            worker.stop()
        self.uninstall()


def _report_of(reply: dict[str, Any], request_id: str, memory_size_mb: int) -> InvocationReport | None:
    figures = reply.get("report")
    if not isinstance(figures, dict):
        return None  # the worker's process failed before it could measure anything
    init = figures.get("initDurationMs")
    return InvocationReport(
        request_id=request_id,
        duration_ms=float(figures["durationMs"]),
        memory_size_mb=memory_size_mb,
        max_memory_used_mb=int(figures["maxMemoryUsedMb"]),
        init_duration_ms=None if init is None else float(init),
        prewarmed=bool(figures.get("prewarmed", False)),
    )


def _timed_out(timeout: float) -> InvocationResult:
    return InvocationResult(
        json.dumps(_failure("Sandbox.Timedout", f"Task timed out after {timeout:.2f} seconds")).encode(),
        "Unhandled",
    )


def _failure(error_type: str, message: str) -> dict[str, Any]:
    return {"errorType": error_type, "errorMessage": message, "stackTrace": []}
