"""Offline SAM -> CloudFormation translation with aws-sam-translator (what `sam deploy` sends).

The translated template is where SAM's implicit resources become visible: each function's generated
role and its expanded policy templates, the managed policies SAM attaches, the API's Lambda
permissions and integration credentials.
"""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any

from samtranslator.translator.transform import transform

from stacktools.project import REGION
from stacktools.template import REPOSITORY_ROOT, project_template

# The AWS managed policies SAM may attach, by name (the translator needs name -> ARN; no network).
MANAGED_POLICIES = {
    name: f"arn:aws:iam::aws:policy/{path}{name}"
    for name, path in {
        "AWSLambdaBasicExecutionRole": "service-role/",
        "AWSXrayWriteOnlyAccess": "",
        "AWSLambdaSQSQueueExecutionRole": "service-role/",
        "AWSLambdaRole": "service-role/",
        "AWSLambdaVPCAccessExecutionRole": "service-role/",
        "AmazonAPIGatewayPushToCloudWatchLogs": "service-role/",
    }.items()
}


class _ManagedPolicyLoader:
    def load(self) -> dict[str, str]:
        return dict(MANAGED_POLICIES)


def _inline_local_artifacts(template: dict[str, Any], root: Path) -> dict[str, Any]:
    """Give the translator what `sam package` would: S3 code locations, inline state machine JSON."""
    prepared = copy.deepcopy(template)
    globals_ = prepared.get("Globals", {}).get("Function", {})
    if isinstance(globals_.get("CodeUri"), str):
        globals_["CodeUri"] = f"s3://local-artifacts/{globals_['CodeUri'].strip('/')}.zip"
    for resource in prepared["Resources"].values():
        properties = resource.get("Properties", {})
        if resource["Type"] == "AWS::Serverless::Function" and isinstance(properties.get("CodeUri"), str):
            properties["CodeUri"] = f"s3://local-artifacts/{properties['CodeUri'].strip('/')}.zip"
        if resource["Type"] == "AWS::Serverless::StateMachine" and isinstance(
            properties.get("DefinitionUri"), str
        ):
            path = root / properties.pop("DefinitionUri")
            properties["Definition"] = json.loads(path.read_text(encoding="utf-8"))
    return prepared


_TRANSLATIONS: dict[str, dict[str, Any]] = {}
"""Translations made in this process, by everything they were made from (see :func:`translate`)."""


def translate(
    template: dict[str, Any] | None = None,
    parameters: dict[str, str] | None = None,
    region: str = REGION,
    root: Path = REPOSITORY_ROOT,
) -> dict[str, Any]:
    """The plain CloudFormation template SAM would deploy (functions' code left as S3 placeholders).

    The translator is deterministic, and slow next to everything else a test deployment does: each
    translation is kept for the process, keyed by its whole input (the template with its state machine
    definitions read in, the parameters, the region), and every caller gets its own copy."""
    source = project_template() if template is None else template
    prepared = _inline_local_artifacts(source, root)
    parameter_values = dict(parameters or {})
    key = json.dumps([prepared, parameter_values, region], sort_keys=True, default=str)
    if key not in _TRANSLATIONS:
        _TRANSLATIONS[key] = _transform(prepared, parameter_values, region)
    return copy.deepcopy(_TRANSLATIONS[key])


def _transform(prepared: dict[str, Any], parameters: dict[str, str], region: str) -> dict[str, Any]:
    previous_region = os.environ.get("AWS_DEFAULT_REGION")
    os.environ["AWS_DEFAULT_REGION"] = region  # the translator reads the region from the environment
    try:
        translated: dict[str, Any] = transform(prepared, parameters, _ManagedPolicyLoader())
    finally:
        if previous_region is None:
            os.environ.pop("AWS_DEFAULT_REGION", None)
        else:
            os.environ["AWS_DEFAULT_REGION"] = previous_region
    return translated
