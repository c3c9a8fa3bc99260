"""Powertools logger and metrics; their settings come from the POWERTOOLS_* environment.

Every handler is wrapped by :func:`instrumented` and writes one log line per outcome. Keys a handler
appends (``logger.append_keys(booking_id=...)``) are cleared before the next invocation, so a warm
execution environment never logs one booking's ids with another's outcome. Metric names are literals in
the handlers, so the metrics a dashboard can chart are the ones a reader finds in the code.

Traces come from Lambda itself (``Tracing: Active``): it records each invocation's segment (init,
invocation, overhead) without any code in the function. The X-Ray SDK (Powertools' Tracer) would add a
subsegment per AWS call, but importing it and patching botocore was the largest cost on every cold
path (docs/services.md, "Cold starts, tracing and memory"), so the functions do without it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.logging import Logger
from aws_lambda_powertools.metrics import Metrics, MetricUnit

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger()
metrics = Metrics()

type Handler[ResultT] = Callable[[Any, LambdaContext], ResultT]


def instrumented[ResultT](
    correlation_id_path: str | None = None,
) -> Callable[[Handler[ResultT]], Handler[ResultT]]:
    """Structured logs with the request context (and a correlation id, where the event carries one),
    metrics flushed as EMF with a ColdStart metric, and one error line with the
    appended keys for an invocation that fails."""

    def decorate(handler: Handler[ResultT]) -> Handler[ResultT]:
        @functools.wraps(handler)
        def log_failure(event: Any, context: LambdaContext) -> ResultT:
            try:
                return handler(event, context)
            except Exception:
                logger.exception("invocation failed")
                raise

        measured = metrics.log_metrics(log_failure, capture_cold_start_metric=True)
        return logger.inject_lambda_context(
            measured, correlation_id_path=correlation_id_path, clear_state=True
        )

    return decorate


def count(metric_name: str) -> None:
    metrics.add_metric(name=metric_name, unit=MetricUnit.Count, value=1)
