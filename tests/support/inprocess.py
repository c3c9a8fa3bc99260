"""Runs the repository's handlers in this process where moto would start a Docker container.

moto executes Lambda code only in Docker. This runner plugs into the same place
(``LambdaFunction._invoke_lambda``, the seam ``FUNCTION_CODE_RUN`` of ``localcloud.moto_seams``) and
calls the handler named in the template in-process, with the function's environment from the template,
so the state machine's Lambda tasks exercise the real handlers. Faults can be injected per function to
drive retries and compensation.
"""

from __future__ import annotations

import importlib
import json
import os
import traceback
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from moto.awslambda.models import LambdaFunction
from moto.core.exceptions import JsonRESTError

from localcloud.moto_seams import FUNCTION_CODE_RUN
from tests.support.lambda_context import FakeLambdaContext
from tests.support.stack import ACCOUNT_ID, REGION, MockStack, physical_name

Fault = Callable[[dict[str, Any], int], "FaultAction | None"]
"""(event, 1-based attempt number) -> what to do instead of a plain invocation, or None."""


@dataclass(frozen=True)
class FaultAction:
    run_handler_first: bool
    error_type: str
    message: str = "injected fault"
    as_service_error: bool = False
    """True: the Lambda API call fails (Step Functions sees ``Lambda.<error_type>``).
    False: the function fails (Step Functions sees ``<error_type>``)."""


def service_error_after_success(error_code: str = "TooManyRequestsException") -> Fault:
    """The first attempt does its work but the caller gets a Lambda service error (lost response)."""
    return lambda _event, attempt: (
        FaultAction(run_handler_first=True, error_type=error_code, as_service_error=True)
        if attempt == 1
        else None
    )


def always_fail(error_type: str = "RuntimeError", message: str = "injected failure") -> Fault:
    return lambda _event, _attempt: FaultAction(
        run_handler_first=False, error_type=error_type, message=message
    )


@dataclass
class InProcessLambdaRunner:
    stack: MockStack
    faults: dict[str, Fault] = field(default_factory=dict)
    invocations: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    environment_overrides: dict[str, str] = field(default_factory=dict)
    """Applied over each function's template environment (e.g. a quieter log level)."""

    @contextmanager
    def installed(self) -> Iterator[InProcessLambdaRunner]:
        """While active, moto's Lambda invocations (Step Functions' too) run through this runner."""
        runner = self

        def invoke_in_process(function: LambdaFunction, event: Any = None) -> tuple[str, bool, str]:
            logical_id = function.function_name.removeprefix(physical_name(""))
            return runner.invoke(logical_id, event or {})

        with FUNCTION_CODE_RUN.replaced_by(invoke_in_process):
            yield self

    def invoke(self, logical_id: str, event: dict[str, Any]) -> tuple[str, bool, str]:
        self.invocations[logical_id].append(event)
        attempt = len(self.invocations[logical_id])
        fault = self.faults.get(logical_id)
        action = fault(event, attempt) if fault else None
        if action is not None:
            if action.run_handler_first:
                self.call(logical_id, event)
            if action.as_service_error:
                raise JsonRESTError(action.error_type, action.message)
            return _error_payload(action.error_type, action.message), True, ""
        try:
            result = self.call(logical_id, event)
        except Exception as error:
            return _error_payload(type(error).__name__, str(error), traceback.format_exc()), True, ""
        return json.dumps(result), False, ""

    def call(self, logical_id: str, event: dict[str, Any]) -> Any:
        """Run the function's handler with its template environment; exceptions propagate."""
        spec = self.stack.function(logical_id)
        handler = getattr(importlib.import_module(spec.module), spec.function_name)
        context = FakeLambdaContext(
            function_name=physical_name(logical_id),
            memory_limit_in_mb=spec.memory_size,
            invoked_function_arn=f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{physical_name(logical_id)}",
        )
        with function_environment({**self.stack.environment_of(logical_id), **self.environment_overrides}):
            return handler(event, context)


@contextmanager
def function_environment(variables: dict[str, str]) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _error_payload(error_type: str, message: str, trace: str = "") -> str:
    return json.dumps({"errorType": error_type, "errorMessage": message, "stackTrace": trace.splitlines()})
