"""Powertools logger, tracer and metrics; their settings come from the POWERTOOLS_* environment."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger()
tracer = Tracer()
metrics = Metrics()

type Handler[ResultT] = Callable[[Any, LambdaContext], ResultT]


def instrumented[ResultT](handler: Handler[ResultT]) -> Handler[ResultT]:
    """Structured logs with the request context, an X-Ray subsegment, and metrics flushed as EMF."""
    return logger.inject_lambda_context(tracer.capture_lambda_handler(metrics.log_metrics(handler)))


def count(metric_name: str) -> None:
    metrics.add_metric(name=metric_name, unit=MetricUnit.Count, value=1)


def utc_now() -> datetime:
    return datetime.now(UTC)
