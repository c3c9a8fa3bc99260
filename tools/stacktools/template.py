"""Load ``template.yaml`` (with CloudFormation's short-form tags) and describe its resources."""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import yaml

from stacktools.project import REPOSITORY_ROOT, TEMPLATE_PATH

__all__ = ["REPOSITORY_ROOT", "TEMPLATE_PATH"]

_SHORT_FORMS = {
    "!Ref": "Ref",
    "!Condition": "Condition",
    "!Base64": "Fn::Base64",
    "!Cidr": "Fn::Cidr",
    "!FindInMap": "Fn::FindInMap",
    "!GetAZs": "Fn::GetAZs",
    "!ImportValue": "Fn::ImportValue",
    "!Join": "Fn::Join",
    "!Select": "Fn::Select",
    "!Split": "Fn::Split",
    "!Sub": "Fn::Sub",
    "!Transform": "Fn::Transform",
    "!And": "Fn::And",
    "!Equals": "Fn::Equals",
    "!If": "Fn::If",
    "!Not": "Fn::Not",
    "!Or": "Fn::Or",
}


class _TemplateLoader(yaml.SafeLoader):
    """A safe loader that turns ``!Ref x`` into ``{"Ref": "x"}`` and so on."""


def _construct_short_form(loader: yaml.SafeLoader, tag_suffix: str, node: yaml.Node) -> dict[str, Any]:
    tag = "!" + tag_suffix
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        if tag == "!GetAtt":
            resource, _, attribute = str(value).partition(".")
            value = [resource, attribute]
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    name = "Fn::GetAtt" if tag == "!GetAtt" else _SHORT_FORMS[tag]
    return {name: value}


_TemplateLoader.add_multi_constructor("!", _construct_short_form)


def load_template(path: Path = TEMPLATE_PATH) -> dict[str, Any]:
    """The template at ``path``, a new copy for each caller (who may change it).

    Each text is parsed once per process: PyYAML's pure-Python parser takes half a second for
    template.yaml, a copy of the parsed document under a hundredth, and the local cloud and the
    test fixtures load the same template again and again."""
    try:
        document = _parsed(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        error.add_note(f"in {path}")
        raise
    return copy.deepcopy(document)


@lru_cache(maxsize=32)
def _parsed(text: str) -> dict[str, Any]:
    document: dict[str, Any] = yaml.load(text, Loader=_TemplateLoader)  # noqa: S506 - a SafeLoader subclass
    return document


@cache
def project_template() -> dict[str, Any]:
    return load_template()


def resources_of_type(template: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    return {
        logical_id: resource
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == resource_type
    }


@dataclass(frozen=True)
class FunctionSpec:
    """A function as the template declares it, with its Globals applied."""

    logical_id: str
    handler: str
    runtime: str
    architecture: str
    timeout: int
    memory_size: int
    code_uri: str
    environment: dict[str, Any]
    policies: list[Any]

    @property
    def module(self) -> str:
        return self.handler.rpartition(".")[0]

    @property
    def function_name(self) -> str:
        return self.handler.rpartition(".")[2]


def function_specs(template: dict[str, Any]) -> dict[str, FunctionSpec]:
    globals_ = template.get("Globals", {}).get("Function", {})
    global_env = globals_.get("Environment", {}).get("Variables", {})
    specs = {}
    for logical_id, resource in resources_of_type(template, "AWS::Serverless::Function").items():
        properties = {**globals_, **resource["Properties"]}
        env = {**global_env, **resource["Properties"].get("Environment", {}).get("Variables", {})}
        specs[logical_id] = FunctionSpec(
            logical_id=logical_id,
            handler=properties["Handler"],
            runtime=properties["Runtime"],
            architecture=properties.get("Architectures", ["x86_64"])[0],
            timeout=int(properties.get("Timeout", 3)),
            memory_size=int(properties.get("MemorySize", 128)),
            code_uri=properties["CodeUri"],
            environment=env,
            policies=list(resource["Properties"].get("Policies", [])),
        )
    return specs


def references(value: Any) -> set[str]:
    """Logical ids a value refers to through Ref, Fn::GetAtt or Fn::Sub."""
    found: set[str] = set()
    if isinstance(value, list):
        for item in value:
            found |= references(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            if key == "Ref" and isinstance(item, str):
                found.add(item)
            elif key == "Fn::GetAtt":
                found.add(item[0] if isinstance(item, list) else str(item).split(".", 1)[0])
            elif key == "Fn::Sub":
                text = item[0] if isinstance(item, list) else item
                for name in re.findall(r"\$\{([^}!][^}]*)\}", text):
                    found.add(name.split(".", 1)[0])
                if isinstance(item, list):
                    found |= references(item[1])
            else:
                found |= references(item)
    return found


def creation_order(resources: dict[str, Any]) -> list[str]:
    """Logical ids, each after every resource it refers to or depends on (ValueError on a cycle)."""
    dependencies: dict[str, set[str]] = {}
    for logical_id, resource in resources.items():
        depends_on = resource.get("DependsOn", [])
        explicit = {depends_on} if isinstance(depends_on, str) else set(depends_on)
        dependencies[logical_id] = (references(resource.get("Properties", {})) | explicit) & set(resources)
    order: list[str] = []
    visiting: set[str] = set()

    def visit(logical_id: str) -> None:
        if logical_id in order:
            return
        if logical_id in visiting:
            raise ValueError(f"circular dependency through {logical_id}")
        visiting.add(logical_id)
        for dependency in sorted(dependencies[logical_id]):
            visit(dependency)
        visiting.discard(logical_id)
        order.append(logical_id)

    for logical_id in sorted(resources):
        visit(logical_id)
    return order
