"""Powertools logger, tracer and metrics; their settings come from the POWERTOOLS_* environment.

Every handler is wrapped by :func:`instrumented` and writes one log line per outcome. Keys a handler
appends (``logger.append_keys(booking_id=...)``) are cleared before the next invocation, so a warm
execution environment never logs one booking's ids with another's outcome. Metric names are literals in
the handlers, so the metrics a dashboard can chart are the ones a reader finds in the code.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.logging import Logger
from aws_lambda_powertools.metrics import Metrics, MetricUnit
from aws_lambda_powertools.tracing import Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger()
tracer = Tracer()
metrics = Metrics()

type Handler[ResultT] = Callable[[Any, LambdaContext], ResultT]


def instrumented[ResultT](
    correlation_id_path: str | None = None,
) -> Callable[[Handler[ResultT]], Handler[ResultT]]:
    """Structured logs with the request context (and a correlation id, where the event carries one),
    an X-Ray subsegment, metrics flushed as EMF with a ColdStart metric, and one error line with the
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
        traced = tracer.capture_lambda_handler(measured)
        return logger.inject_lambda_context(traced, correlation_id_path=correlation_id_path, clear_state=True)

    return decorate


def count(metric_name: str) -> None:
    metrics.add_metric(name=metric_name, unit=MetricUnit.Count, value=1)
