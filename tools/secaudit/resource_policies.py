"""The resource policies of the project's templates: who may act on a resource, as the resource says.

Identity policies (a role's grants) are what the audit compares with usage; resource policies are the
other half of every decision - the loyalty API's, the queues', a function's invoke permissions, the web
app's buckets. They are listed here statement by statement, as the templates resolve them, with the
template's logical ids in place of physical names (``${SiteBucket}``), for docs/permissions.md.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from secaudit.policies import PolicyDocument, StackPolicies
from secaudit.usage import placeholders, templated

# Resource policy types, and the properties naming what they guard and the document.
_DOCUMENT_TYPES = {
    "AWS::S3::BucketPolicy": "Bucket",
    "AWS::SQS::QueuePolicy": "Queues",
    "AWS::SNS::TopicPolicy": "Topics",
}


@dataclass(frozen=True)
class ResourcePolicy:
    template: str
    """The template it comes from, as the repository names it (``web/template.yaml``)."""
    name: str
    """The logical id of the policy resource (of the API, for a REST API's policy)."""
    kind: str
    guards: tuple[str, ...]
    statements: tuple[dict[str, Any], ...]


def resource_policies(policies: StackPolicies, template: str) -> list[ResourcePolicy]:
    """Every resource policy of one template, in the order of its resources."""
    resources: dict[str, Any] = policies.translated["Resources"]
    pairs = placeholders(policies.resolver, resources)
    resolve = policies.resolver.resolve

    def written(value: Any) -> Any:
        """``value`` with the template's placeholders in place of physical names and ARNs."""
        return json.loads(templated(json.dumps(value), pairs))

    found = []
    for logical_id, resource in resources.items():
        kind = resource["Type"]
        properties = resource.get("Properties", {})
        document: PolicyDocument | None = None
        guards: list[str] = []
        if kind in _DOCUMENT_TYPES:
            document = resolve(properties["PolicyDocument"])
            target = resolve(properties[_DOCUMENT_TYPES[kind]])
            guards = [str(item) for item in (target if isinstance(target, list) else [target])]
        elif kind == "AWS::ApiGateway::RestApi":
            document = policies.rest_api_policy(logical_id)
            guards = [policies.resolver.ref(logical_id)]
        elif kind == "AWS::Lambda::Permission":
            document = _lambda_permission(resolve(properties))
            guards = [str(resolve(properties["FunctionName"]))]
        if document is None:
            continue
        statements = document["Statement"]
        found.append(
            ResourcePolicy(
                template=template,
                name=logical_id,
                kind=kind,
                guards=tuple(written(guards)),
                statements=tuple(
                    # Names and ARNs as the template writes them; a Sid is a name of its own.
                    {
                        key: value if key in ("Sid", "Effect") else written(value)
                        for key, value in statement.items()
                    }
                    for statement in (statements if isinstance(statements, list) else [statements])
                ),
            )
        )
    return found


def _lambda_permission(properties: dict[str, Any]) -> PolicyDocument:
    """An ``AWS::Lambda::Permission`` as the statement Lambda adds to the function's policy."""
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"Service": properties["Principal"]}
        if str(properties["Principal"]).endswith(".amazonaws.com")
        else {"AWS": properties["Principal"]},
        "Action": properties["Action"],
        "Resource": properties["FunctionName"],
    }
    conditions: dict[str, Any] = {}
    if "SourceArn" in properties:
        conditions["ArnLike"] = {"AWS:SourceArn": properties["SourceArn"]}
    if "SourceAccount" in properties:
        conditions["StringEquals"] = {"AWS:SourceAccount": properties["SourceAccount"]}
    if conditions:
        statement["Condition"] = conditions
    return {"Version": "2012-10-17", "Statement": [statement]}


def render(policies: Sequence[ResourcePolicy]) -> list[str]:
    """The markdown section of docs/permissions.md."""
    lines = [
        "## Resource policies",
        "",
        "What each resource's own policy allows or denies, whoever the caller. Together with a caller's",
        "identity policies it decides every request (an explicit Deny in either wins). Listed statement by",
        "statement from `template.yaml` and `web/template.yaml` (the web app's hosting).",
        "",
    ]
    for policy in policies:
        guards = ", ".join(f"`{guard}`" for guard in policy.guards)
        lines += [f"### {policy.name}", "", f"{policy.kind} in `{policy.template}`, on {guards}.", ""]
        lines += ["| sid | effect | principal | action | resource | condition |", "|---|---|---|---|---|---|"]
        for statement in policy.statements:
            cells = [
                str(statement.get("Sid", "")),
                str(statement.get("Effect", "")),
                _element(statement, "Principal"),
                _element(statement, "Action"),
                _element(statement, "Resource"),
                _cell(statement.get("Condition", "")),
            ]
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
    return lines


def _element(statement: dict[str, Any], name: str) -> str:
    """``Principal``, ``Action`` or ``Resource`` - or its ``Not`` form, said so."""
    if f"Not{name}" in statement:
        return "all but " + _cell(statement[f"Not{name}"])
    return _cell(statement.get(name, ""))


def _cell(value: Any) -> str:
    if value in ("", None, {}):
        return ""
    text = value if isinstance(value, str) else json.dumps(value, separators=(", ", ": "))
    return "`" + text.replace("|", "\\|") + "`"
