"""What a function's init imports and builds: only what its own path needs.

Lambda's active tracing records each invocation without code in the function; the SDK (Powertools'
Tracer) cost every cold start its import and the patching of botocore (docs/performance.md). Each
handler module is imported as Lambda's init does, in a fresh interpreter with a sampled trace header
in its environment, so a Tracer created anywhere on the import path would load the SDK.

Powertools' batch utility imports (and pydantic builds) the DynamoDB stream, Kinesis and Kafka record
models when pydantic is already loaded as the utility is imported: IngestLoyalty imports the utility
before anything loads pydantic, so it builds only the SQS record model it validates with
(docs/services.md, "Cold starts, tracing and memory").

Powertools' event handler and batch packages each cost a cold start about 100 ms of CPU beyond boto3's
(their ``__init__`` imports every resolver or every event source's data classes, and asyncio): only the
function that needs one imports it. And no model is built at import: pydantic builds a model's
validator when it first validates, so a function builds only the models its path uses.
"""

from __future__ import annotations

import json
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

GET_LOYALTY = "loyalty.handlers.get_loyalty"
INGEST_LOYALTY = "loyalty.handlers.ingest_loyalty"
HEAVY_PACKAGES = {
    "aws_lambda_powertools.event_handler": {GET_LOYALTY},
    "aws_lambda_powertools.utilities.batch": {INGEST_LOYALTY},
    "aws_lambda_powertools.utilities.parser": {INGEST_LOYALTY},
    "aws_lambda_powertools.utilities.data_classes": {GET_LOYALTY, INGEST_LOYALTY},
    "asyncio": {GET_LOYALTY, INGEST_LOYALTY},
}
"""Packages a cold start pays for dearly, and the handlers whose Powertools utility imports them
(APIGatewayRestResolver, BatchProcessor with a parser model): any other handler must do without."""

OWN_PACKAGES = ("common", "booking", "payment", "loyalty")

PROBE = """
import json, sys, {module}
from pydantic import BaseModel

def subclasses(model):
    for subclass in model.__subclasses__():
        yield subclass
        yield from subclasses(subclass)

built = sorted(
    f"{{model.__module__}}.{{model.__qualname__}}"
    for model in subclasses(BaseModel)
    if model.__module__.partition(".")[0] in {own!r} and model.__pydantic_complete__
)
print(json.dumps({{"modules": sorted(sys.modules), "built": built}}))
"""


def import_as_lambda_init(module: str) -> dict[str, list[str]]:
    """The modules a fresh interpreter holds after importing ``module`` as Lambda's init does, and the
    models of our own packages whose validators that import built."""
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
        [sys.executable, "-c", PROBE.format(module=module, own=OWN_PACKAGES)],
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, list[str]] = json.loads(completed.stdout)
    return result


@pytest.fixture(scope="module", params=HANDLER_MODULES)
def handler_import(request: pytest.FixtureRequest) -> tuple[str, dict[str, list[str]]]:
    module: str = request.param
    return module, import_as_lambda_init(module)


def test_a_handler_module_imports_no_tracing_sdk_and_no_unused_parser_model(
    handler_import: tuple[str, dict[str, list[str]]],
) -> None:
    module, imported = handler_import
    loaded = set(imported["modules"])

    assert {name.partition(".")[0] for name in loaded} & OFF_THE_COLD_PATH == set()
    parser_models = {name.removeprefix(PARSER_MODELS) for name in loaded if name.startswith(PARSER_MODELS)}
    assert parser_models == PARSER_MODELS_USED.get(module, set())


def test_a_handler_module_imports_a_heavy_package_only_if_its_powertools_utility_needs_it(
    handler_import: tuple[str, dict[str, list[str]]],
) -> None:
    module, imported = handler_import

    heavy = {
        package
        for package in HEAVY_PACKAGES
        for name in imported["modules"]
        if name == package or name.startswith(f"{package}.")
    }
    assert heavy == {package for package, users in HEAVY_PACKAGES.items() if module in users}


def test_a_handler_module_builds_no_model_at_import(handler_import: tuple[str, dict[str, list[str]]]) -> None:
    _, imported = handler_import

    assert imported["built"] == []
