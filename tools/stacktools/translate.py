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


def translate(
    template: dict[str, Any] | None = None,
    parameters: dict[str, str] | None = None,
    region: str = REGION,
    root: Path = REPOSITORY_ROOT,
) -> dict[str, Any]:
    """The plain CloudFormation template SAM would deploy (functions' code left as S3 placeholders)."""
    source = project_template() if template is None else template
    previous_region = os.environ.get("AWS_DEFAULT_REGION")
    os.environ["AWS_DEFAULT_REGION"] = region  # the translator reads the region from the environment
    try:
        translated: dict[str, Any] = transform(
            _inline_local_artifacts(source, root), dict(parameters or {}), _ManagedPolicyLoader()
        )
    finally:
        if previous_region is None:
            os.environ.pop("AWS_DEFAULT_REGION", None)
        else:
            os.environ["AWS_DEFAULT_REGION"] = previous_region
    return translated
