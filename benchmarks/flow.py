"""The local flow, in absolute numbers (they belong to this machine, not to AWS): bookings and loyalty
reads per second through the whole path at a few concurrency levels, the local cloud's start-up, the
walkthrough (``make demo``) and ``make test`` with each part's share."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.stats import Summary, percentile
from benchmarks.support import (
    BOOK_MUTATION,
    BOOKING_QUERY,
    LOYALTY_QUERY,
    REPOSITORY_ROOT,
    STATIC_GATE_CACHE_VARIABLE,
    Customer,
    Flight,
    GraphQLError,
    LocalCloud,
    book_variables,
    graphql,
    static_answer_files,
)
from benchmarks.work import GOOD_CARD, execution_arn, wait_until_drained

STATUS_POLL_SECONDS = 0.1
"""How often a client asks for its booking's status: latencies are known to this resolution."""
BOOKING_DEADLINE_SECONDS = 180
SETTLED = {"CONFIRMED", "CANCELLED"}
THROTTLED = ("Throttled: ", "RateLimitExceeded: ")
"""How the GraphQL API reports a read refused for its rate: the loyalty REST API's stage throttling (the
retryable ``Throttled`` error type) or the web ACL's per-IP rate rule, which every local reader, all on
127.0.0.1, counts against (walkthrough.GraphQLError renders each error as ``<errorType>: <message>``)."""


@dataclass(frozen=True)
class Level:
    """One concurrency level: ``clients`` clients each doing ``per_client`` requests back to back."""

    clients: int
    per_client: int
    completed: int
    refused: int
    """Throttled by the API's stage limits."""
    failed: int
    seconds: float
    latency_seconds: Summary | None
    latency_p95_seconds: float | None
    execution_seconds: Summary | None = None
    """Bookings only: the saga executions' own durations (start to stop, as Step Functions reports)."""

    @property
    def per_second(self) -> float:
        return self.completed / self.seconds if self.seconds else 0.0


@dataclass
class _Tally:
    latencies: list[float] = field(default_factory=list)
    booking_ids: list[str] = field(default_factory=list)
    refused: int = 0
    failed: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def _run_level(
    clients: Sequence[Customer], per_client: int, request: Callable[[Customer, _Tally], None]
) -> tuple[_Tally, float]:
    tally = _Tally()

    def client(customer: Customer) -> None:
        for _ in range(per_client):
            request(customer, tally)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=len(clients)) as pool:
        for future in [pool.submit(client, customer) for customer in clients]:
            future.result()
    return tally, time.perf_counter() - started


def booking_levels(
    cloud: LocalCloud,
    flight: Flight,
    levels: Sequence[int],
    per_client: int,
    progress: Callable[[str], None] = print,
) -> list[Level]:
    """Each client books, then asks for the booking's status until it is settled; latency is from
    the booking request to the first answer that says CONFIRMED."""
    url = _graphql_url(cloud)

    def book(customer: Customer, tally: _Tally) -> None:
        started = time.perf_counter()
        try:
            booking_id = graphql(url, customer.id_token, BOOK_MUTATION, book_variables(flight.id, GOOD_CARD))[
                "processBooking"
            ]["id"]
            status = _poll_status(url, customer, booking_id)
        except GraphQLError:
            status = "error"
        with tally.lock:
            if status == "CONFIRMED":
                tally.latencies.append(time.perf_counter() - started)
                tally.booking_ids.append(booking_id)
            else:
                tally.failed += 1

    results = []
    for clients in levels:
        progress(f"  flow: {clients} concurrent booking client(s), {per_client} booking(s) each")
        customers = [_customer(cloud) for _ in range(clients)]
        tally, seconds = _run_level(customers, per_client, book)
        wait_until_drained(cloud)  # the loyalty credits of these bookings, before the next level
        results.append(
            Level(
                clients=clients,
                per_client=per_client,
                completed=len(tally.latencies),
                refused=0,
                failed=tally.failed,
                seconds=seconds,
                latency_seconds=Summary.of(tally.latencies) if tally.latencies else None,
                latency_p95_seconds=percentile(tally.latencies, 0.95) if tally.latencies else None,
                execution_seconds=_execution_durations(cloud, tally.booking_ids),
            )
        )
    return results


def _poll_status(url: str, customer: Customer, booking_id: str) -> str:
    deadline = time.monotonic() + BOOKING_DEADLINE_SECONDS
    while time.monotonic() < deadline:
        booking = graphql(url, customer.id_token, BOOKING_QUERY, {"id": booking_id})["getBooking"]
        if booking and booking["status"] in SETTLED:
            return str(booking["status"])
        time.sleep(STATUS_POLL_SECONDS)
    return "timed out"


def _execution_durations(cloud: LocalCloud, booking_ids: Sequence[str]) -> Summary | None:
    assert cloud.stack is not None
    sfn = cloud.client("stepfunctions")
    durations = []
    for booking_id in booking_ids:
        description = sfn.describe_execution(executionArn=execution_arn(cloud.stack, booking_id))
        if description.get("stopDate"):
            durations.append((description["stopDate"] - description["startDate"]).total_seconds())
    return Summary.of(durations) if durations else None


def loyalty_levels(
    cloud: LocalCloud, levels: Sequence[int], per_client: int, progress: Callable[[str], None] = print
) -> list[Level]:
    """Each reader reads its loyalty summary through GraphQL (AppSync -> the loyalty REST API ->
    GetLoyalty); a read the API's throttling refuses is counted apart from a failure."""
    url = _graphql_url(cloud)

    def read(customer: Customer, tally: _Tally) -> None:
        started = time.perf_counter()
        try:
            graphql(url, customer.id_token, LOYALTY_QUERY)
        except GraphQLError as error:
            with tally.lock:
                if any(refusal in str(error) for refusal in THROTTLED):
                    tally.refused += 1
                else:
                    tally.failed += 1
            return
        with tally.lock:
            tally.latencies.append(time.perf_counter() - started)

    results = []
    for clients in levels:
        progress(f"  flow: {clients} concurrent loyalty reader(s), {per_client} read(s) each")
        customers = [_customer(cloud) for _ in range(clients)]
        tally, seconds = _run_level(customers, per_client, read)
        results.append(
            Level(
                clients=clients,
                per_client=per_client,
                completed=len(tally.latencies),
                refused=tally.refused,
                failed=tally.failed,
                seconds=seconds,
                latency_seconds=Summary.of(tally.latencies) if tally.latencies else None,
                latency_p95_seconds=percentile(tally.latencies, 0.95) if tally.latencies else None,
            )
        )
    return results


def _graphql_url(cloud: LocalCloud) -> str:
    if not cloud.endpoints.graphql:
        raise RuntimeError("the local cloud has no GraphQL API")
    return cloud.endpoints.graphql


def _customer(cloud: LocalCloud) -> Customer:
    return cloud.create_customer(f"flow-{os.urandom(6).hex()}@example.com")


# ---------------------------------------------------------------------------------------- commands


@dataclass(frozen=True)
class CommandTiming:
    command: str
    seconds: float
    succeeded: bool


FAILED_OUTPUT_LINES = 40


def time_command(
    command: Sequence[str], *, cwd: Path = REPOSITORY_ROOT, env: dict[str, str] | None = None
) -> CommandTiming:
    """The command's wall time; its output is kept aside and, should it fail, its last lines are
    printed (to stderr) so that the failure the report mentions can be read."""
    with tempfile.TemporaryFile() as output:
        started = time.perf_counter()
        completed = subprocess.run(  # noqa: S603 - the make command the user chose, no shell
            list(command), cwd=cwd, env=env, stdout=output, stderr=subprocess.STDOUT, check=False
        )
        seconds = time.perf_counter() - started
        if completed.returncode != 0:
            output.seek(0)
            tail = output.read().decode(errors="replace").splitlines()[-FAILED_OUTPUT_LINES:]
            print(
                f"`{' '.join(command)}` in {cwd} exited {completed.returncode}; its last lines:",
                *tail,
                sep="\n",
                file=sys.stderr,
                flush=True,
            )
    return CommandTiming(" ".join(command), seconds, completed.returncode == 0)


def demo(make: Sequence[str]) -> CommandTiming:
    """``make demo`` in this checkout, its environments and build already made."""
    timing = time_command([*make, "demo"])
    return CommandTiming("make demo (warm)", timing.seconds, timing.succeeded)


def fresh_demo(make: Sequence[str]) -> CommandTiming:
    """``make demo`` in a new clone of this checkout's last commit, as a new user runs it: creating the
    environments it needs, ``sam build`` and the walkthrough, all timed. Packages come through the
    download caches of uv and pip (the report says whether uv's held anything): with empty caches the
    time also measures the network."""
    with tempfile.TemporaryDirectory(prefix="airline-fresh-clone-") as scratch:
        clone = Path(scratch) / "serverless-airline"
        subprocess.run(  # noqa: S603 - git with fixed arguments, no shell
            ["git", "clone", "--quiet", "--no-hardlinks", str(REPOSITORY_ROOT), str(clone)],  # noqa: S607
            check=True,
        )
        # Nothing of this checkout's make or Python settings may reach the clone's run.
        inherited = ("MAKEFLAGS", "MAKELEVEL", "MFLAGS", "MAKEOVERRIDES", "PYTHONPATH", "VIRTUAL_ENV")
        env = {name: value for name, value in os.environ.items() if name not in inherited}
        timing = time_command([*make, "demo"], cwd=clone, env=env)
    caches = "warm" if uv_cache_filled() else "empty"
    return CommandTiming(
        f"make demo (fresh clone: environments, build, walkthrough; download caches {caches})",
        timing.seconds,
        timing.succeeded,
    )


def uv_cache_filled() -> bool:
    """Whether uv's download cache holds anything (``UV_CACHE_DIR``, else its default place)."""
    configured = os.environ.get("UV_CACHE_DIR")
    cache = (
        Path(configured)
        if configured
        else Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "uv"
    )
    return cache.is_dir() and any(cache.iterdir())


@dataclass(frozen=True)
class Share:
    part: str
    seconds: float


@dataclass
class TestTiming:
    seconds: float
    succeeded: bool
    targets: list[Share]
    """Each make target that ran a recipe, in order, from ``make --trace``."""
    tiers: list[Share]
    """Each test tier (a directory of tests/, and the tools' tests), from pytest's --durations."""
    static_answers_kept_before: int = 0
    """cfn-lint's and checkov's answers (one per file) kept from earlier runs when it started."""
    static_answers_asked: int = 0
    """The answers it had to ask the tools for (the others it read)."""


_TRACE = re.compile(r"^\S+:\d+: (?:update )?target '(?P<target>[^']+)'")
_DURATION = re.compile(r"^(?P<seconds>\d+(?:\.\d+)?)s (?:setup|call|teardown)\s+(?P<test>\S+)")
_DURATIONS_HEADER = re.compile(r"^=+ slowest durations =+$")


def make_test(make: Sequence[str], static_answers: Path) -> TestTiming:
    """``make test``, its output timestamped line by line: ``--trace`` names each target as it starts,
    pytest's ``--durations=0`` gives every test's setup, call and teardown. The static gate keeps its
    tools' answers in ``static_answers`` (the benchmark's own directory, so that what was kept before
    is known: nothing, or exactly what an earlier timed run asked)."""
    env = {
        **os.environ,
        "PYTEST_ADDOPTS": f"{os.environ.get('PYTEST_ADDOPTS', '')} --durations=0".strip(),
        STATIC_GATE_CACHE_VARIABLE: str(static_answers),
    }
    kept_before = _kept_answers(static_answers)
    lines: list[tuple[float, str]] = []
    started = time.perf_counter()
    with subprocess.Popen(  # noqa: S603 - the make command the user chose, no shell
        [*make, "--trace", "test"],
        cwd=REPOSITORY_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
    ) as process:
        assert process.stdout is not None
        for text in process.stdout:
            lines.append((time.perf_counter() - started, text.rstrip("\n")))
        returncode = process.wait()
    seconds = time.perf_counter() - started
    return TestTiming(
        seconds=seconds,
        succeeded=returncode == 0,
        targets=target_shares(lines, seconds),
        tiers=tier_shares([text for _, text in lines]),
        static_answers_kept_before=len(kept_before),
        static_answers_asked=len(_kept_answers(static_answers) - kept_before),
    )


def _kept_answers(directory: Path) -> set[str]:
    return {entry.name for entry in static_answer_files(directory)}


def target_shares(lines: Sequence[tuple[float, str]], total_seconds: float) -> list[Share]:
    """From ``make --trace`` output: each target runs until the next one starts (make runs one recipe
    at a time without ``-j``)."""
    starts = [(moment, match["target"]) for moment, text in lines if (match := _TRACE.match(text))]
    shares = []
    for index, (moment, target) in enumerate(starts):
        end = starts[index + 1][0] if index + 1 < len(starts) else total_seconds
        shares.append(Share(target, end - moment))
    return shares


def tier_shares(lines: Sequence[str]) -> list[Share]:
    """Seconds per test directory from pytest's ``--durations=0`` blocks: the first block is the
    application's tests (``tests/<tier>/``), any later one the tools' own (``tools/tests``)."""
    seconds: dict[str, float] = defaultdict(float)
    block = 0
    for text in lines:
        if _DURATIONS_HEADER.match(text.strip()):
            block += 1
            continue
        match = _DURATION.match(text.strip())
        if match is None or block == 0:
            continue
        path = match["test"].split("::", 1)[0]
        parts = path.split("/")
        root = "" if block == 1 else "tools/"
        tier = f"{root}{'/'.join(parts[:2])}" if len(parts) > 2 else f"{root}{parts[0]}"
        seconds[tier] += float(match["seconds"])
    return [Share(tier, value) for tier, value in sorted(seconds.items(), key=lambda item: -item[1])]


def startup(times: int, progress: Callable[[str], None] = print) -> list[float]:
    """Seconds from ``LocalCloud().start()`` to a running, deployed cloud, ``times`` times."""
    seconds = []
    for attempt in range(times):
        progress(f"  flow: local cloud start-up {attempt + 1}/{times}")
        started = time.perf_counter()
        with LocalCloud().start():
            seconds.append(time.perf_counter() - started)
    return seconds
