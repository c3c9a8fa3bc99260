"""Evaluate AppSync APPSYNC_JS resolver code on this machine, as AppSync's EvaluateCode API would.

One Node.js process (``runtime/evaluate.mjs``) serves every evaluation, so thousands of them cost
little. It speaks JSON lines on stdin/stdout; the protocol is described at the top of that file::

    with ResolverRuntime() as runtime:
        result = runtime.evaluate(path, "request", {"arguments": {"id": "SA101-2030-01-08"}})
        result.value    # what the handler returned, or None if it ended with util.error
        result.error    # the AppSync-style error of util.error / util.unauthorized, if any

A handler that fails in itself (a syntax error, an exception, a feature the runtime does not have)
raises ResolverCodeError instead: that is a bug in the code, not an answer to the caller. A context
AppSync could not have built (say, a misspelt key) raises ValueError.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import queue
import shutil
import subprocess
import threading
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Literal, Self

RUNTIME_DIRECTORY = Path(__file__).resolve().parent / "runtime"
EVALUATOR = RUNTIME_DIRECTORY / "evaluate.mjs"

Handler = Literal["request", "response"]

# How long to wait for Node.js beyond the evaluation's own limit (which Node enforces) before the
# process is deemed stuck.
_GRACE_SECONDS = 10.0

logger = logging.getLogger(__name__)
_STDERR_LINES_KEPT = 50


class ResolverRuntimeError(RuntimeError):
    """The runtime itself failed: Node.js is missing, would not start, or stopped answering."""


class NodeNotFoundError(ResolverRuntimeError):
    """There is no Node.js to run the resolvers with."""


class ResolverCodeError(Exception):
    """The resolver code failed in itself: a syntax error, an exception, a timeout, an unsupported feature."""

    def __init__(self, code_path: Path, name: str, message: str, stack: str) -> None:
        super().__init__(f"{code_path}: {name}: {message}")
        self.code_path = code_path
        self.name = name
        self.message = message
        self.stack = stack


@dataclass(frozen=True)
class AppSyncError:
    """An error as AppSync adds it to the GraphQL response (util.error's four arguments)."""

    message: str
    type: str | None
    data: Any = None
    error_info: Any = None

    @classmethod
    def from_json(cls, document: dict[str, Any]) -> AppSyncError:
        return cls(
            message=str(document["message"]),
            type=document.get("type"),
            data=document.get("data"),
            error_info=document.get("errorInfo"),
        )


@dataclass(frozen=True)
class EarlyReturn:
    """The handler ended with runtime.earlyReturn; skip_to is its returnOptions.skipTo, if given."""

    skip_to: Literal["END", "NEXT"] | None


@dataclass(frozen=True)
class EvaluationResult:
    """What one handler evaluation produced: a value, or the AppSync error that ended it."""

    value: Any
    error: AppSyncError | None
    appended_errors: tuple[AppSyncError, ...] = ()
    """util.appendError's errors: the GraphQL response carries them, the evaluation goes on."""
    stash: dict[str, Any] = field(default_factory=dict)
    """ctx.stash after the handler: the next handler of the same resolver sees it."""
    logs: tuple[str, ...] = ()
    """What the handler wrote with console.log and friends."""
    early_return: EarlyReturn | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


class ResolverRuntime:
    """A Node.js process that evaluates resolver handlers; use it as a context manager.

    node: the Node.js executable (default: ``node`` on PATH).
    evaluation_timeout_ms: how long one handler may run before it is stopped (AppSync limits
    handlers too; a runaway loop must not hang the caller).
    """

    def __init__(self, *, node: str | None = None, evaluation_timeout_ms: int = 5000) -> None:
        if evaluation_timeout_ms <= 0:
            raise ValueError("evaluation_timeout_ms must be positive")
        self._node = node
        self._timeout_ms = evaluation_timeout_ms
        self._process: subprocess.Popen[str] | None = None
        self._answers: queue.Queue[str | None] = queue.Queue()
        self._stderr: deque[str] = deque(maxlen=_STDERR_LINES_KEPT)
        self._readers: list[threading.Thread] = []
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._started = False
        self.node_version: str | None = None
        self.restarts = 0
        """How many times a Node.js process that had died (or was stopped for not answering) was
        replaced: the next evaluation gets a new one, as AppSync's own runtime is never down for good."""

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> None:
        if self._process is not None:
            raise ResolverRuntimeError("the runtime is already started")
        self._spawn()
        self._started = True

    def _spawn(self) -> None:
        # Each process gets its own answer queue: a dead process's end-of-output must not be read as
        # the next process's answer.
        self._answers = queue.Queue()
        executable = self._node or shutil.which("node")
        if executable is None or shutil.which(executable) is None:
            raise NodeNotFoundError(
                f"Node.js was not found (looked for {executable or 'node'!r} on PATH): the AppSync resolvers "
                "run on Node.js 20 or later; install it, or pass node= the path of its executable"
            )
        self._process = subprocess.Popen(  # noqa: S603 - a fixed program and arguments, no shell
            [
                executable,
                # vm.SourceTextModule evaluates each resolver as a module in a context of its own.
                "--experimental-vm-modules",
                str(EVALUATOR),
                "--timeout-ms",
                str(self._timeout_ms),
            ],
            cwd=RUNTIME_DIRECTORY,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            bufsize=1,
        )
        assert self._process.stdout is not None
        assert self._process.stderr is not None
        # Both pipes are drained by threads: a full stderr pipe would block Node, and a queue lets a
        # read give up after a while instead of waiting forever on a stuck process.
        self._readers = [
            threading.Thread(target=self._read_answers, args=(self._process.stdout,), daemon=True),
            threading.Thread(target=self._read_stderr, args=(self._process.stderr,), daemon=True),
        ]
        for reader in self._readers:
            reader.start()
        try:
            ready = json.loads(self._next_answer(timeout=_GRACE_SECONDS, waiting_for="start"))
            if ready.get("ready") is not True:
                raise ResolverRuntimeError(f"the runtime did not start properly: {ready}")
        except BaseException:
            self._stop()
            raise
        self.node_version = ready.get("node")

    def _respawn_if_dead(self) -> None:
        """A process that died or was stopped for not answering is replaced (its last words logged)."""
        if self.running or not self._started:
            return
        logger.warning("the APPSYNC_JS runtime had stopped; starting a new one%s", self._stderr_tail())
        self._stop()
        self._stderr.clear()
        self._spawn()
        self.restarts += 1

    def close(self) -> None:
        """Stops the Node.js process (closing its input ends it; it is killed if it does not stop)."""
        self._started = False
        self._stop()

    def _stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        if process.stdin is not None:
            # An OSError means it is gone already: there is nothing left to tell it.
            with contextlib.suppress(OSError):
                process.stdin.close()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        for reader in self._readers:
            reader.join(timeout=5)
        self._readers = []
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()

    def evaluate(
        self,
        code_path: Path | str,
        function: Handler,
        context: dict[str, Any],
        *,
        now: datetime | None = None,
    ) -> EvaluationResult:
        """Runs the file's ``request`` or ``response`` handler with ``context`` (AppSync's ctx, as JSON).

        now: fixes the clock of util.time (an aware datetime); by default the real time is used.
        """
        if function not in ("request", "response"):
            raise ValueError(f"function must be 'request' or 'response', not {function!r}")
        path = Path(code_path).resolve()
        if not path.is_file():
            raise FileNotFoundError(f"no resolver code at {path}")
        request: dict[str, Any] = {"codePath": str(path), "function": function, "context": context}
        if now is not None:
            if now.tzinfo is None:
                raise ValueError("now must be timezone-aware")
            request["now"] = now.isoformat()
        with self._lock:
            self._respawn_if_dead()
            if not self.running:
                raise ResolverRuntimeError(f"the runtime is not running{self._stderr_tail()}")
            request_id = next(self._ids)
            request["id"] = request_id
            line = json.dumps(request)
            process = self._process
            assert process is not None
            assert process.stdin is not None
            try:
                process.stdin.write(line + "\n")
                process.stdin.flush()
            except OSError as error:
                raise ResolverRuntimeError(f"the runtime stopped: {error}{self._stderr_tail()}") from error
            answer = json.loads(
                self._next_answer(timeout=self._timeout_ms / 1000 + _GRACE_SECONDS, waiting_for=str(path))
            )
        if answer.get("id") != request_id:
            raise ResolverRuntimeError(f"answer {answer.get('id')} came for request {request_id}")
        return _result_of(path, answer)

    def _next_answer(self, *, timeout: float, waiting_for: str) -> str:
        try:
            line = self._answers.get(timeout=timeout)
        except queue.Empty:
            process = self._process
            if process is not None:
                process.kill()
            raise ResolverRuntimeError(
                f"the runtime gave no answer in {timeout:.0f}s ({waiting_for}); it was stopped"
                f"{self._stderr_tail()}"
            ) from None
        if line is None:
            raise ResolverRuntimeError(f"the runtime exited ({waiting_for}){self._stderr_tail()}")
        return line

    def _read_answers(self, stream: IO[str]) -> None:
        for line in stream:
            self._answers.put(line)
        self._answers.put(None)

    def _read_stderr(self, stream: IO[str]) -> None:
        for line in stream:
            self._stderr.append(line.rstrip("\n"))

    def _stderr_tail(self) -> str:
        lines = [line for line in self._stderr if "ExperimentalWarning" not in line]
        return (": " + "\n".join(lines)) if lines else ""


def _result_of(path: Path, answer: dict[str, Any]) -> EvaluationResult:
    outcome = answer.get("outcome")
    logs = tuple(str(line) for line in answer.get("logs", []))
    if outcome == "invalidRequest":
        raise ValueError(f"the runtime could not evaluate {path}: {answer.get('message')}")
    if outcome == "codeError":
        failure = answer["codeError"]
        raise ResolverCodeError(path, failure["name"], failure["message"], failure.get("stack", ""))
    if outcome not in ("result", "error"):
        raise ResolverRuntimeError(f"unexpected answer from the runtime: {answer}")
    early_return = answer.get("earlyReturn")
    return EvaluationResult(
        value=answer.get("result"),
        error=AppSyncError.from_json(answer["error"]) if answer.get("error") else None,
        appended_errors=tuple(AppSyncError.from_json(error) for error in answer.get("outErrors", [])),
        stash=dict(answer.get("stash") or {}),
        logs=logs,
        early_return=EarlyReturn(skip_to=early_return.get("skipTo")) if early_return else None,
    )
