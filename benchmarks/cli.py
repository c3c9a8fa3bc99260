"""``python -m benchmarks``: run the suite and write the report.

python -m benchmarks                 every section, 15 pairs per cold start -> docs/performance.md
python -m benchmarks --quick         a short run that proves the suite works -> reports/performance-quick.md
python -m benchmarks --long          as the default, plus `make demo` in a fresh clone and `make test` again
python -m benchmarks --only cold-start,packages --runs 30
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from benchmarks import coldstart, flow, packages, work
from benchmarks.invocations import summarize
from benchmarks.machine import describe
from benchmarks.pricing import load_prices
from benchmarks.report import render
from benchmarks.results import Options, Results, save_json
from benchmarks.support import (
    REGION,
    REPOSITORY_ROOT,
    FunctionSpec,
    InvocationReport,
    LocalCloud,
    function_specs,
    project_template,
)

SECTIONS = ("packages", "cold-start", "work", "flow", "startup", "demo", "make-test")
CLOUD_SECTIONS = frozenset({"cold-start", "work", "flow"})
BUILD = REPOSITORY_ROOT / ".aws-sam" / "build"
REPORTS = REPOSITORY_ROOT / "reports"
QUICK_FUNCTIONS = 1


def parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Measure cold starts, packages, memory, work per request, cost and the local flow.",
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--quick", action="store_true", help="few runs, small levels; only proves the suite works"
    )
    mode.add_argument(
        "--long",
        action="store_true",
        help="also time `make demo` in a fresh clone, and `make test` again with its static answers kept",
    )
    parser.add_argument("--runs", type=int, help="floor/function pairs per cold start (default 15; quick 2)")
    parser.add_argument(
        "--only", help=f"comma-separated sections to run: {', '.join(SECTIONS)} (default: all of them)"
    )
    parser.add_argument(
        "--functions",
        help="comma-separated logical ids to measure cold starts and packages of (default: every function; "
        f"quick: the first {QUICK_FUNCTIONS} of the template)",
    )
    parser.add_argument("--output", type=Path, help="where to write the report (default by mode)")
    parser.add_argument(
        "--make",
        default=os.environ.get("BENCH_MAKE", "make"),
        help="the make command for the demo and make test timings (default: $BENCH_MAKE or make)",
    )
    return parser.parse_args(argv)


def options_from(arguments: argparse.Namespace) -> Options:
    sections = SECTIONS if not arguments.only else tuple(part.strip() for part in arguments.only.split(","))
    unknown = [section for section in sections if section not in SECTIONS]
    if unknown:
        raise SystemExit(f"error: unknown section(s) {', '.join(unknown)}; choose from {', '.join(SECTIONS)}")
    if arguments.runs is not None and arguments.runs < 1:
        raise SystemExit("error: --runs must be at least 1")
    functions = [name.strip() for name in arguments.functions.split(",")] if arguments.functions else None
    if arguments.quick:
        return Options(
            mode="quick",
            command="make bench-quick",
            runs=arguments.runs or 1,
            sections=[s for s in sections if s not in {"demo", "make-test"}],
            functions=functions or list(function_specs(project_template()))[:QUICK_FUNCTIONS],
            booking_levels=[1],
            bookings_per_client=1,
            loyalty_levels=[2],
            reads_per_reader=3,
            history_sizes=[1, 10],
            warm_up=False,
            startups=1,
        )
    return Options(
        mode="long" if arguments.long else "full",
        command="make bench BENCH_OPTIONS=--long" if arguments.long else "make bench",
        runs=arguments.runs or 15,
        sections=list(sections),
        functions=functions,
        booking_levels=[1, 5, 10],
        bookings_per_client=4,
        loyalty_levels=[1, 5, 10],
        reads_per_reader=40,
        history_sizes=[1, 100, 10_000],
        warm_up=True,
        startups=3,
    )


def isolate_from_real_aws() -> None:
    """Nothing the suite starts may reach a real AWS account, whatever the shell's settings."""
    for variable in [name for name in os.environ if name.startswith("AWS_")]:
        del os.environ[variable]
    os.environ.update(
        {"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local", "AWS_DEFAULT_REGION": REGION}
    )


def run(options: Options, make: list[str], progress: Callable[[str], None]) -> Results:
    started = time.perf_counter()
    template = project_template()
    every_function = function_specs(template)
    unknown = [name for name in options.functions or [] if name not in every_function]
    if unknown:
        raise SystemExit(
            f"error: no function {', '.join(unknown)} in template.yaml ({', '.join(every_function)})"
        )
    specs = {
        name: spec for name, spec in every_function.items() if name in (options.functions or every_function)
    }
    results = Results(options=options, machine=describe(), prices=load_prices())
    selected = set(options.sections)
    if "packages" in selected:
        progress("packages")
        sizer = packages.ZipSizer()
        application = packages.source_packages(REPOSITORY_ROOT / "src")
        results.packages = [
            packages.measure(logical_id, BUILD / logical_id, sizer, application) for logical_id in specs
        ]
    startups: list[float] = []
    if selected & CLOUD_SECTIONS:
        startups.append(on_local_cloud(results, specs, every_function, template, progress))
    if "startup" in selected:
        startups.extend(flow.startup(max(0, options.startups - len(startups)), progress))
        results.startups = startups
    if "demo" in selected:
        progress("make demo (warm)")
        results.commands.append(flow.demo(make))
        if options.mode == "long":
            progress("make demo (fresh clone)")
            results.commands.append(flow.fresh_demo(make))
    if "make-test" in selected:
        with tempfile.TemporaryDirectory(prefix="bench-static-answers-") as static_answers:
            progress("make test (no static answers kept: a fresh clone, or every template changed)")
            results.make_tests.append(flow.make_test(make, Path(static_answers)))
            if options.mode == "long":
                progress("make test (again, nothing changed)")
                results.make_tests.append(flow.make_test(make, Path(static_answers)))
    results.load_average_after = os.getloadavg() if hasattr(os, "getloadavg") else None
    results.seconds = time.perf_counter() - started
    return results


def on_local_cloud(
    results: Results,
    specs: Mapping[str, FunctionSpec],
    every_function: Mapping[str, FunctionSpec],
    template: Mapping[str, Any],
    progress: Callable[[str], None],
) -> float:
    """The sections that need the local cloud, on one local cloud; returns its start-up time."""
    _require_build()
    options, selected = results.options, set(results.options.sections)
    progress("starting the local cloud")
    cloud_started = time.perf_counter()
    with LocalCloud().start() as cloud:
        startup = time.perf_counter() - cloud_started
        if "cold-start" in selected:
            progress("cold starts")
            results.cold_starts = coldstart.measure_cold_starts(
                cloud, specs=specs, template=template, build_root=BUILD, runs=options.runs, progress=progress
            )
        if "work" in selected:
            progress("work per request")
            results.work = work.measure_work(
                cloud, options.history_sizes, warm_up=options.warm_up, progress=progress
            )
        alone = _reports_by_function(cloud)  # so far, the local cloud served one request at a time
        if "flow" in selected:
            progress("the local flow")
            flight = work.benchmark_flights(cloud)["open"]
            results.booking_levels = flow.booking_levels(
                cloud, flight, options.booking_levels, options.bookings_per_client, progress
            )
            results.loyalty_levels = flow.loyalty_levels(
                cloud, options.loyalty_levels, options.reads_per_reader, progress
            )
        seen = {report.request_id for reports in alone.values() for report in reports}
        under_load = {
            function: [report for report in reports if report.request_id not in seen]
            for function, reports in _reports_by_function(cloud).items()
        }
        memory_sizes = {spec.logical_id: spec.memory_size for spec in every_function.values()}
        results.runtimes = summarize(alone, under_load, memory_sizes)
    return startup


def _reports_by_function(cloud: LocalCloud) -> dict[str, list[InvocationReport]]:
    assert cloud.stack is not None
    logical = {r.physical_id: r.logical_id for r in cloud.stack.of_type("AWS::Lambda::Function")}
    return {logical.get(name, name): list(log.reports) for name, log in list(cloud.lambdas.logs.items())}


def _require_build() -> None:
    if not (BUILD / "template.yaml").is_file():
        raise SystemExit("error: no sam build output: run `make build` first (make bench does)")


def main(argv: Sequence[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    options = options_from(arguments)
    isolate_from_real_aws()

    started = time.monotonic()

    def progress(message: str) -> None:
        print(f"[bench {time.monotonic() - started:5.0f}s] {message}", flush=True)

    results = run(options, shlex.split(arguments.make), progress)
    output = arguments.output or (
        REPORTS / "performance-quick.md"
        if options.mode == "quick"
        else REPOSITORY_ROOT / "docs" / "performance.md"
    )
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(render(results), encoding="utf-8")
    raw = REPORTS / f"{output.stem}.json"
    save_json(results, raw)
    print(f"[bench] wrote {output} and {raw} in {results.seconds / 60:.1f} min", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
