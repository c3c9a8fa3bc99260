"""One cold start, in a fresh interpreter: a function's init and first invocation, or its floor.

    python -I probe.py function|floor < request.json     (one JSON object on stdout)

``function``: imports the handler named by ``_HANDLER`` from ``LAMBDA_TASK_ROOT`` (as Lambda's init
does) and invokes it once with ``request["event"]``. With ``request["record"]`` it also reports the
boto3 clients the invocation created and the AWS calls it made, so that the floor can do the same.

``floor``: the least any function making those calls must do - import boto3, create the same clients
and make the same calls (``request["clients"]``, ``request["calls"]``).

Both run with the same environment (the function's, from the template) and report the time inside
each phase and the process's peak resident memory; the benchmark measures the whole process from
outside (CPU and wall time). This file imports only the standard library before the code it measures.
Marker lines on stderr (see ``benchmarks.importtime``) separate the phases for ``-X importtime``.
"""

from __future__ import annotations

import json
import os
import sys
import time
import uuid
from collections.abc import Callable
from typing import IO, Any

INIT_MARKER = "benchmarks.probe: init"
INVOCATION_MARKER = "benchmarks.probe: first invocation"


class _Context:
    """The Lambda context object a handler receives (what Powertools reads of it)."""

    def __init__(self, function_arn: str, timeout_seconds: float) -> None:
        self.function_name = os.environ["AWS_LAMBDA_FUNCTION_NAME"]
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.invoked_function_arn = function_arn
        self.memory_limit_in_mb = int(os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128"))
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME", "")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME", "")
        self._deadline = time.monotonic() + timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def _mark(marker: str) -> None:
    print(marker, file=sys.stderr, flush=True)


def _peak_rss_kib() -> int | None:
    """``VmHWM``: unlike ``ru_maxrss`` it starts afresh at ``exec``, so it does not count the benchmark
    process this one was forked from."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def _record_aws_use(clients: list[str], calls: list[dict[str, Any]]) -> None:
    """From now on, note each boto3 client created and each AWS call made (service, operation, params)."""
    import botocore.client  # noqa: PLC0415 - the handler has imported botocore already, or will
    import botocore.session  # noqa: PLC0415

    create_client = botocore.session.Session.create_client
    make_api_call = botocore.client.BaseClient._make_api_call  # type: ignore[attr-defined]

    def creating(session: Any, service_name: str, *args: Any, **kwargs: Any) -> Any:
        clients.append(service_name)
        return create_client(session, service_name, *args, **kwargs)

    def calling(client: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
        calls.append(
            {
                "service": client.meta.service_model.service_name,
                "operation": operation_name,
                # A copy as it was asked for: botocore's handlers may change the dictionary later.
                "params": json.loads(json.dumps(api_params)),
            }
        )
        return make_api_call(client, operation_name, api_params)

    botocore.session.Session.create_client = creating  # type: ignore[method-assign,assignment]
    botocore.client.BaseClient._make_api_call = calling  # type: ignore[attr-defined]


def _outcome(response: Any) -> str:
    """ "ok", or what went wrong, as far as the response shows it."""
    if isinstance(response, dict):
        status = response.get("statusCode")
        if isinstance(status, int) and status >= 400:
            return f"HTTP {status}"
        failures = response.get("batchItemFailures")
        if failures:
            return f"{len(failures)} batch item failure(s)"
    return "ok"


def run_function(request: dict[str, Any]) -> dict[str, Any]:
    _mark(INIT_MARKER)
    started = time.perf_counter()
    module_name, _, attribute = os.environ["_HANDLER"].rpartition(".")
    # __import__ rather than importlib.import_module: only the former is timed by -X importtime, so the
    # handler's module heads the list of what its init imported.
    __import__(module_name)
    handler: Callable[[Any, _Context], Any] = getattr(sys.modules[module_name], attribute)
    imported = time.perf_counter()
    clients: list[str] = []
    calls: list[dict[str, Any]] = []
    if request.get("record"):
        _record_aws_use(clients, calls)
    outcome = "not invoked: no sample event"
    invocation_seconds = 0.0
    if request.get("event") is not None:
        _mark(INVOCATION_MARKER)
        context = _Context(request["functionArn"], float(request.get("timeoutSeconds", 30)))
        invocation_started = time.perf_counter()
        try:
            outcome = _outcome(handler(request["event"], context))
        except Exception as error:  # the benchmark reports it next to the function's numbers
            outcome = f"{type(error).__name__}: {error}"
        invocation_seconds = time.perf_counter() - invocation_started
    return {
        "initSeconds": imported - started,
        "invocationSeconds": invocation_seconds,
        "outcome": outcome,
        "clients": clients,
        "calls": calls,
    }


def run_floor(request: dict[str, Any]) -> dict[str, Any]:
    started = time.perf_counter()
    import boto3  # noqa: PLC0415 - importing it is what the floor measures
    from botocore import xform_name  # noqa: PLC0415
    from botocore.exceptions import ClientError  # noqa: PLC0415

    imported = time.perf_counter()
    clients: dict[str, Any] = {}
    for service in request["clients"]:
        clients.setdefault(service, boto3.client(service))
    failed = 0
    for call in request["calls"]:
        client = clients.setdefault(call["service"], boto3.client(call["service"]))
        try:
            getattr(client, xform_name(call["operation"]))(**call["params"])
        except ClientError:
            failed += 1  # the function's call may have failed the same way: it still made the round trip
    done = time.perf_counter()
    return {
        "initSeconds": imported - started,
        "invocationSeconds": done - imported,
        "outcome": "ok" if not failed else f"{failed} call(s) answered with an error",
        "clients": [],
        "calls": [],
    }


def main() -> None:
    modes = {"function": run_function, "floor": run_floor}
    if len(sys.argv) != 2 or sys.argv[1] not in modes:
        sys.exit(f"usage: python -I probe.py {'|'.join(modes)} < request.json")
    request = json.loads(sys.stdin.read())
    protocol: IO[str] = os.fdopen(os.dup(sys.stdout.fileno()), "w")
    sys.stdout = sys.stderr  # what the function prints is its log, not the probe's answer
    # As the local cloud's worker: the function's own packages from its build directory, third-party
    # ones from this interpreter (the build holds them compiled for the Lambda architecture).
    sys.path.append(os.environ["LAMBDA_TASK_ROOT"])
    result = modes[sys.argv[1]](request)
    result["peakRssKib"] = _peak_rss_kib()
    protocol.write(json.dumps(result))
    protocol.close()


if __name__ == "__main__":
    main()
