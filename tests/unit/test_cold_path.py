"""What a function's init imports: the X-Ray SDK and unused parser models stay off every cold start.

Lambda's active tracing records each invocation without code in the function; the SDK (Powertools'
Tracer) cost every cold start its import and the patching of botocore (docs/performance.md). Each
handler module is imported as Lambda's init does, in a fresh interpreter with a sampled trace header
in its environment, so a Tracer created anywhere on the import path would load the SDK.

Powertools' batch utility imports (and pydantic builds) the DynamoDB stream, Kinesis and Kafka record
models when pydantic is already loaded as the utility is imported: IngestLoyalty imports the utility
before anything loads pydantic, so it builds only the SQS record model it validates with
(docs/services.md, "Cold starts, tracing and memory").
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.support.template import REPOSITORY_ROOT, function_specs, project_template

HANDLER_MODULES = sorted(
    {spec.handler.rpartition(".")[0] for spec in function_specs(project_template()).values()}
)
OFF_THE_COLD_PATH = {"aws_xray_sdk"}
PARSER_MODELS = "aws_lambda_powertools.utilities.parser.models."
PARSER_MODELS_USED = {"loyalty.handlers.ingest_loyalty": {"sqs"}}
"""The Powertools parser model modules a handler's own code validates with (any other is unused)."""


def modules_loaded_by(module: str) -> set[str]:
    """The modules a fresh interpreter holds after importing ``module`` as Lambda's init does."""
    probe = f"import sys, {module}\nprint('\\n'.join(sys.modules))"
    environment = {
        **os.environ,
        "PYTHONPATH": str(REPOSITORY_ROOT / "src"),
        "AWS_DEFAULT_REGION": "eu-west-1",
        "AWS_LAMBDA_FUNCTION_NAME": "cold-path",
        "POWERTOOLS_SERVICE_NAME": "cold-path",
        "POWERTOOLS_METRICS_NAMESPACE": "ColdPath",
        "_X_AMZN_TRACE_ID": "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
    }
    completed = subprocess.run(  # noqa: S603 - this interpreter, our own code
        [sys.executable, "-c", probe], env=environment, capture_output=True, text=True, check=True
    )
    return set(completed.stdout.split())


@pytest.mark.parametrize("module", HANDLER_MODULES)
def test_a_handler_module_imports_no_tracing_sdk_and_no_unused_parser_model(module: str) -> None:
    loaded = modules_loaded_by(module)

    assert {name.partition(".")[0] for name in loaded} & OFF_THE_COLD_PATH == set()
    parser_models = {name.removeprefix(PARSER_MODELS) for name in loaded if name.startswith(PARSER_MODELS)}
    assert parser_models == PARSER_MODELS_USED.get(module, set())
