"""Cold start per function, against its floor, in fresh interpreters.

For each function of the template (in the order its sample event can succeed):

1. a discovery run (not timed): ``python -X importtime probe.py function`` imports the handler from
   its ``sam build`` directory with the function's environment and invokes it once with its sample
   event (``events/<name>.json``) against the local cloud, as the function's own role; it reports the
   boto3 clients that invocation created and the AWS calls it made;
2. ``runs`` pairs, interleaved: the floor (``probe.py floor``: import boto3, create the same clients,
   make the same calls) then the function (its init and first invocation), each a new process whose
   CPU time (user + system, from ``os.wait4``) and wall time are measured from outside.

The environment is what Lambda gives the function: the template's variables (intrinsics resolved by
the local cloud's deployment), Lambda's own variables, the role's temporary credentials, the local
endpoint and, when the template turns tracing on, a sampled X-Ray trace header with a local daemon
address (a UDP socket that swallows the segments) - so the tracer does the work it does in AWS.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.importtime import ImportEntry, parse
from benchmarks.support import ACCOUNT_ID, REGION, REPOSITORY_ROOT, FunctionSpec, LocalCloud

PROBE = Path(__file__).with_name("probe.py")
EVENTS = REPOSITORY_ROOT / "events"
TARGET_RATIO = 1.3
"""A function's init and first invocation should cost at most this much more CPU than its floor."""


@dataclass(frozen=True)
class ProcessMeasurement:
    cpu_seconds: float
    """User plus system CPU time of the whole process, from its rusage."""
    wall_seconds: float
    """From starting the process to reaping it."""
    init_seconds: float
    """Inside the process: the handler module's import (the floor: boto3's)."""
    invocation_seconds: float
    """Inside the process: the first invocation (the floor: its clients and calls)."""
    peak_rss_kib: int | None
    outcome: str


@dataclass
class ColdStart:
    function: str
    handler: str
    outcome: str
    """How the discovery run's invocation ended ("ok", or the error)."""
    clients: list[str]
    calls: list[str]
    """``service.Operation`` of each AWS call the first invocation made (the floor makes them too)."""
    imports: list[ImportEntry]
    floors: list[ProcessMeasurement] = field(default_factory=list)
    inits: list[ProcessMeasurement] = field(default_factory=list)


@dataclass(frozen=True)
class ProbeRun:
    answer: dict[str, Any]
    measurement: ProcessMeasurement
    stderr: str


def sample_event_path(logical_id: str) -> Path:
    """ReserveBookingFunction -> events/reserve_booking.json (the file ``sam local invoke -e`` takes)."""
    name = re.sub(r"(?<!^)(?=[A-Z])", "_", logical_id.removesuffix("Function")).lower()
    return EVENTS / f"{name}.json"


def tracing_of(template: Mapping[str, Any], logical_id: str) -> str:
    """The function's ``Tracing`` (its own, else the Globals'), ``PassThrough`` when unset."""
    own = template["Resources"][logical_id].get("Properties", {}).get("Tracing")
    default = template.get("Globals", {}).get("Function", {}).get("Tracing", "PassThrough")
    return str(own or default)


def lambda_environment(
    spec: FunctionSpec,
    *,
    function_name: str,
    template_variables: Mapping[str, str],
    task_root: Path,
    endpoint_url: str,
    credentials: tuple[str, str, str | None],
    tracing: str,
    xray_daemon: tuple[str, int],
) -> dict[str, str]:
    """The environment Lambda runs the function in, for a process on this machine."""
    access_key_id, secret_access_key, session_token = credentials
    environment = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "TZ": ":UTC",
        "LAMBDA_TASK_ROOT": str(task_root),
        "_HANDLER": spec.handler,
        "AWS_EXECUTION_ENV": f"AWS_Lambda_{spec.runtime}",
        "AWS_LAMBDA_FUNCTION_NAME": function_name,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_size),
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{function_name}",
        "AWS_LAMBDA_LOG_STREAM_NAME": f"benchmark/[$LATEST]{uuid.uuid4().hex}",
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ENDPOINT_URL": endpoint_url,
        **template_variables,
        "AWS_ACCESS_KEY_ID": access_key_id,
        "AWS_SECRET_ACCESS_KEY": secret_access_key,
        "AWS_SESSION_TOKEN": session_token or "",
    }
    if tracing == "Active":
        host, port = xray_daemon
        environment.update(
            {
                "_X_AMZN_TRACE_ID": (
                    f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]};"
                    f"Parent={uuid.uuid4().hex[:16]};Sampled=1"
                ),
                "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
                "AWS_XRAY_DAEMON_ADDRESS": f"{host}:{port}",
                "_AWS_XRAY_DAEMON_ADDRESS": host,
                "_AWS_XRAY_DAEMON_PORT": str(port),
            }
        )
    return environment


def run_probe(
    mode: str,
    environment: Mapping[str, str],
    request: Mapping[str, Any],
    *,
    importtime: bool = False,
    python: str = sys.executable,
) -> ProbeRun:
    """Start ``probe.py`` in a new interpreter, hand it ``request``, measure the process."""
    command = [python, "-I", *(["-X", "importtime"] if importtime else []), str(PROBE), mode]
    with tempfile.TemporaryFile(mode="w+", encoding="utf-8", errors="replace") as stderr:
        started = time.perf_counter()
        process = subprocess.Popen(  # noqa: S603 - our own probe, no shell
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=stderr,
            env=dict(environment),
        )
        assert process.stdin is not None
        assert process.stdout is not None
        process.stdin.write(json.dumps(request).encode())
        process.stdin.close()
        output = process.stdout.read()
        process.stdout.close()
        # os.wait4 rather than Popen.wait: it also returns the child's resource usage.
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        stderr.seek(0)
        errors = stderr.read()
    if process.returncode != 0 or not output:
        raise ProbeError(f"probe {mode} exited with {process.returncode}: {errors[-2000:]}")
    answer: dict[str, Any] = json.loads(output)
    return ProbeRun(
        answer=answer,
        measurement=ProcessMeasurement(
            cpu_seconds=usage.ru_utime + usage.ru_stime,
            wall_seconds=wall,
            init_seconds=float(answer["initSeconds"]),
            invocation_seconds=float(answer["invocationSeconds"]),
            peak_rss_kib=answer.get("peakRssKib"),
            outcome=str(answer["outcome"]),
        ),
        stderr=errors,
    )


class ProbeError(RuntimeError):
    """The probe process failed (not the function: a function's error is its outcome)."""


@contextmanager
def xray_sink() -> Iterator[tuple[str, int]]:
    """A UDP socket on 127.0.0.1 standing in for the X-Ray daemon; what is sent to it is dropped."""
    sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sink.bind(("127.0.0.1", 0))
        host, port = sink.getsockname()
        yield str(host), int(port)
    finally:
        sink.close()


@dataclass(frozen=True)
class FunctionUnderTest:
    spec: FunctionSpec
    environment: dict[str, str]
    request: dict[str, Any]


def prepare(
    cloud: LocalCloud,
    spec: FunctionSpec,
    template: Mapping[str, Any],
    build_root: Path,
    xray_daemon: tuple[str, int],
) -> FunctionUnderTest:
    """The function as deployed in the local cloud: its name, role, environment and sample event."""
    assert cloud.stack is not None
    assert cloud.stack.resolver is not None
    function_name = cloud.stack.physical_id(spec.logical_id)
    configuration = cloud.client("lambda").get_function_configuration(FunctionName=function_name)
    credentials = cloud.directory.service_role_credentials(
        configuration["Role"],
        "lambda.amazonaws.com",
        f"{function_name}-coldstart"[:64],
        {"aws:SourceAccount": ACCOUNT_ID, "aws:SourceArn": configuration["FunctionArn"]},
    )
    variables = cloud.stack.resolver.resolve(spec.environment)
    event_path = sample_event_path(spec.logical_id)
    event = json.loads(event_path.read_text(encoding="utf-8")) if event_path.is_file() else None
    environment = lambda_environment(
        spec,
        function_name=function_name,
        template_variables={name: str(value) for name, value in variables.items()},
        task_root=build_root / spec.logical_id,
        endpoint_url=cloud.endpoints.aws,
        credentials=(credentials.access_key_id, credentials.secret_access_key, credentials.session_token),
        tracing=tracing_of(template, spec.logical_id),
        xray_daemon=xray_daemon,
    )
    request = {"event": event, "functionArn": configuration["FunctionArn"], "timeoutSeconds": spec.timeout}
    return FunctionUnderTest(spec, environment, request)


def discover(function: FunctionUnderTest) -> tuple[ColdStart, dict[str, Any]]:
    """The untimed first run: what the function imports, which clients and calls its first
    invocation makes (returned as the floor's request)."""
    run = run_probe("function", function.environment, {**function.request, "record": True}, importtime=True)
    answer = run.answer
    cold_start = ColdStart(
        function=function.spec.logical_id,
        handler=function.spec.handler,
        outcome=run.measurement.outcome,
        clients=list(answer["clients"]),
        calls=[f"{call['service']}.{call['operation']}" for call in answer["calls"]],
        imports=parse(run.stderr),
    )
    return cold_start, {"clients": answer["clients"], "calls": answer["calls"]}


def measure_pairs(
    cold_start: ColdStart, function: FunctionUnderTest, floor_request: dict[str, Any], runs: int
) -> None:
    """``runs`` interleaved pairs: floor, function, floor, function..."""
    for _ in range(runs):
        cold_start.floors.append(run_probe("floor", function.environment, floor_request).measurement)
        cold_start.inits.append(run_probe("function", function.environment, function.request).measurement)


SAMPLE_PAYMENT_TOKEN = "tok_visa"  # noqa: S105 - the payment provider's public test card, not a secret
SAMPLE_REGISTRATION_SECONDS = 3600


def register_sample_payment(cloud: LocalCloud) -> None:
    """The payment method CollectPayment's sample event charges, registered as processBooking registers
    one before it starts the saga (a REGISTERED row at the booking's amount): without it the sample
    invocation fails with PaymentMethodNotRegisteredError. Left as it is if already there."""
    assert cloud.stack is not None
    event = json.loads(sample_event_path("CollectPaymentFunction").read_text(encoding="utf-8"))
    now = time.time()
    registration = {
        "bookingId": {"S": event["bookingId"]},
        "status": {"S": "REGISTERED"},
        "paymentMethod": {"S": SAMPLE_PAYMENT_TOKEN},
        "amount": {"N": str(event["amount"])},
        "currency": {"S": event["currency"]},
        "registeredAt": {"S": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(now))},
        "expiresAt": {"N": str(int(now) + SAMPLE_REGISTRATION_SECONDS)},
    }
    dynamodb = cloud.client("dynamodb")
    with contextlib.suppress(dynamodb.exceptions.ConditionalCheckFailedException):
        dynamodb.put_item(
            TableName=cloud.stack.outputs["PaymentTableName"],
            Item=registration,
            ConditionExpression="attribute_not_exists(bookingId)",
        )


def measure_cold_starts(
    cloud: LocalCloud,
    *,
    specs: Mapping[str, FunctionSpec],
    template: Mapping[str, Any],
    build_root: Path,
    runs: int,
    progress: Callable[[str], None] = print,
) -> list[ColdStart]:
    """Every function of ``specs``, in template order - except that a function whose sample event
    fails (a booking not reserved yet...) waits until the others have run and is then tried again;
    if it still fails, it is measured as it is and the report shows its outcome."""
    results: list[ColdStart] = []
    if "CollectPaymentFunction" in specs:
        register_sample_payment(cloud)
    with xray_sink() as daemon:
        pending = list(specs.values())
        while pending:
            deferred: list[FunctionSpec] = []
            for spec in pending:
                function = prepare(cloud, spec, template, build_root, daemon)
                cold_start, floor_request = discover(function)
                if cold_start.outcome != "ok" and len(deferred) < len(pending) - 1:
                    deferred.append(spec)
                    continue
                progress(f"  cold start {spec.logical_id}: {runs} pairs ({cold_start.outcome})")
                measure_pairs(cold_start, function, floor_request, runs)
                results.append(cold_start)
            pending = deferred  # each pass measures at least its last function: this ends
    return results
