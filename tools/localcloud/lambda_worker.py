"""A function's execution environment: one process, one handler, invocations one at a time.

Started by the local cloud with the function's environment (its role's temporary credentials, its
template variables, the local endpoint). Protocol, one JSON line at a time on the process's original
stdout/stdin: first ``{"initialised": true}`` once the handler's module is imported (the end of Lambda's
init phase, which has its own time limit), then for each request
``{"event": ..., "requestId": ..., "deadlineMs": ...}`` ->
``{"ok": true, "payload": ..., "report": ...}`` or
``{"ok": false, "payload": {"errorType", "errorMessage", "stackTrace"}, "report": ...}``.
``report`` holds the figures of Lambda's REPORT line: ``durationMs`` (the handler's run),
``maxMemoryUsedMb`` (the process's peak resident set so far) and, on the first invocation only,
``initDurationMs`` (from this script's start to the handler's module imported).
Whatever the handler prints (its logs) goes to stderr, which the local cloud keeps as the function's log.

Started with ``--prewarm SOCKET_FD MODULE...`` instead, this script is a *prewarm process*: it imports the
given modules (third-party packages the functions use, never a function's own code), then forks one worker
per request that arrives on the Unix socket (the worker's stdin, stdout and stderr, as file descriptors)
and answers with the worker's pid. The forked worker reads its function's environment as the first line
on its stdin - the prewarm process never holds a function's variables or credentials, which every later
worker would find in the memory it starts with -, replaces the environment it inherited with it, and runs
exactly as a started one. Only its init is shorter, since those modules are already imported (its report
says ``prewarmed``). The local cloud forks workers this way only when asked to
(``LocalCloud(prewarmed_imports=...)``, what the test suite uses): a cold start's init duration and peak
memory are measured with started workers.

This file must stay importable with the standard library alone: it runs before the function's code.
"""

from __future__ import annotations

import importlib
import json
import math
import os
import resource
import signal
import socket
import sys
import time
import traceback
from typing import IO, Any

_STARTED = time.monotonic()


class _Context:
    """The Lambda context object the handler receives."""

    def __init__(self, request_id: str, deadline_ms: int) -> None:
        self.aws_request_id = request_id
        self.function_name = os.environ["AWS_LAMBDA_FUNCTION_NAME"]
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.invoked_function_arn = os.environ["LOCALCLOUD_FUNCTION_ARN"]
        self.memory_limit_in_mb = int(os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128"))
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME", "")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME", "")
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self) -> int:
        return max(0, self._deadline_ms - int(time.time() * 1000))


def _error(error: BaseException) -> dict[str, Any]:
    return {
        "errorType": type(error).__name__,
        "errorMessage": str(error),
        "stackTrace": traceback.format_exception(error),
    }


def _max_memory_used_mb() -> int:
    """The process's peak resident set size, in MB as Lambda reports it (rounded up).

    On Linux, from ``VmHWM``: ``ru_maxrss`` survives ``exec`` and would still count the pages of the
    process this one was forked from (the local cloud, hundreds of MB)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return math.ceil(int(line.split()[1]) / 1024)
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    peak_bytes = peak if sys.platform == "darwin" else peak * 1024  # macOS counts bytes, others KiB
    return math.ceil(peak_bytes / (1024 * 1024))


def main(arguments: list[str]) -> None:
    if arguments[:1] == ["--prewarm"]:
        _serve_prewarmed(int(arguments[1]), arguments[2:])
    else:
        _run(_STARTED, prewarmed=False)


def _serve_prewarmed(socket_fd: int, modules: list[str]) -> None:
    """Import ``modules``, then fork a worker for each request on the socket, until the socket closes."""
    channel = socket.socket(fileno=socket_fd)
    for module in modules:
        importlib.import_module(module)
    channel.send(json.dumps({"ready": True}).encode())
    # The workers are reaped by the system: the local cloud follows each through its pidfd.
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    while True:
        request, descriptors, _flags, _address = socket.recv_fds(channel, 64, 3)
        if not request:
            return
        pid = os.fork()
        if pid == 0:
            _forked_worker(channel, descriptors)
        for descriptor in descriptors:
            os.close(descriptor)
        channel.send(json.dumps({"pid": pid}).encode())


def _forked_worker(channel: Any, descriptors: list[int]) -> None:
    """In the forked child: take the function's streams, then its environment (the first line on its
    stdin: it never passes through the prewarm process, whose memory every later worker starts with),
    run, and never return."""
    started = time.monotonic()
    status = 1
    try:
        channel.close()
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        for target, descriptor in enumerate(descriptors):
            os.dup2(descriptor, target)
            os.close(descriptor)
        environment = json.loads(sys.stdin.readline())
        os.environ.clear()
        os.environ.update(environment)
        del sys.argv[1:]  # as a started worker's: the script alone
        _run(started, prewarmed=True)
        status = 0
    except BaseException:  # the worker's own failure, for its log; it must not go back to serving forks
        traceback.print_exc()
    finally:
        sys.stderr.flush()
        os._exit(status)


def _run(started: float, *, prewarmed: bool) -> None:
    protocol: IO[str] = os.fdopen(os.dup(sys.stdout.fileno()), "w", buffering=1)
    sys.stdout = sys.stderr  # the handler's prints and logs are the function's log, not protocol
    # The function's own packages come from its build directory. Its third-party dependencies come from
    # this interpreter's environment (the same pinned versions): the build holds them compiled for the
    # Lambda architecture, which may not be this machine's.
    sys.path.append(os.environ["LAMBDA_TASK_ROOT"])
    module_name, _, function_name = os.environ["_HANDLER"].rpartition(".")
    try:
        handler = getattr(importlib.import_module(module_name), function_name)
        init_error: dict[str, Any] | None = None
    except Exception as error:  # an import failure is reported on every invocation, as Lambda does
        handler = None
        init_error = {**_error(error), "errorType": "Runtime.ImportModuleError"}
    init_duration_ms: float | None = (time.monotonic() - started) * 1000
    protocol.write(json.dumps({"initialised": True}) + "\n")
    for line in sys.stdin:
        request = json.loads(line)
        invoked = time.monotonic()
        if handler is None:
            reply: dict[str, Any] = {"ok": False, "payload": init_error}
        else:
            context = _Context(request["requestId"], request["deadlineMs"])
            try:
                reply = {"ok": True, "payload": handler(request["event"], context)}
            except Exception as error:  # reported to the caller as a function error
                reply = {"ok": False, "payload": _error(error)}
        reply["report"] = {
            "durationMs": (time.monotonic() - invoked) * 1000,
            "maxMemoryUsedMb": _max_memory_used_mb(),
            "initDurationMs": init_duration_ms,
            "prewarmed": prewarmed,
        }
        init_duration_ms = None
        try:
            protocol.write(json.dumps(reply) + "\n")
        except (TypeError, ValueError) as error:
            failure = {"ok": False, "payload": _error(error), "report": reply["report"]}
            protocol.write(json.dumps(failure) + "\n")
        sys.stderr.flush()


if __name__ == "__main__":
    main(sys.argv[1:])
