"""A deployed REST API stage: its methods, their authorization and integrations, its resource policy.

Built from the Swagger 2.0 ``Body`` of an ``AWS::ApiGateway::RestApi`` (intrinsics resolved) and the
stage's settings. What API Gateway supports beyond this - other integration types, other authorizers,
request validation, mapping templates - is refused when the definition is built rather than
ignored, so that a route never runs with less protection than it declares.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Any
from urllib.parse import unquote

HTTP_METHODS = ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT")
ANY_METHOD = "ANY"

# API Gateway's extension for ANY in an OpenAPI/Swagger document.
_SWAGGER_METHODS = {method.lower(): method for method in HTTP_METHODS} | {
    "x-amazon-apigateway-any-method": ANY_METHOD
}
_LAMBDA_INVOCATION_URI = re.compile(
    r"^arn:[a-z0-9-]+:apigateway:[a-z0-9-]+:lambda:path/2015-03-31/functions/(?P<function>.+)/invocations$"
)
_TEMPLATE_SEGMENT = re.compile(r"^\{(?P<name>[A-Za-z0-9._-]+)(?P<greedy>\+?)\}$")

# API Gateway's account-level defaults, which apply where a stage sets only one of the two limits.
DEFAULT_RATE_LIMIT = 10000.0
DEFAULT_BURST_LIMIT = 5000


class DefinitionError(ValueError):
    """The API definition uses something the local API Gateway does not implement, or is malformed."""


class Authorization(Enum):
    NONE = "NONE"
    AWS_IAM = "AWS_IAM"


@dataclass(frozen=True)
class Method:
    """One method of one resource, e.g. ``GET /loyalty/{customerId}/get``.

    Attributes:
        resource_path: the resource's path template.
        http_method: an HTTP method in upper case, or ``ANY``.
        authorization: how callers are authenticated.
        function_arn: the Lambda function of the method's ``aws_proxy`` integration.
    """

    resource_path: str
    http_method: str
    authorization: Authorization
    function_arn: str

    def answers(self, http_method: str) -> bool:
        return self.http_method in (http_method, ANY_METHOD)


@dataclass(frozen=True)
class RouteMatch:
    """The method a request resolved to, with its path parameters (URL-decoded)."""

    method: Method
    path_parameters: dict[str, str]


@dataclass(frozen=True)
class MethodSetting:
    """One entry of a stage's ``MethodSettings``; ``/*`` and ``*`` apply to every method."""

    resource_path: str = "/*"
    http_method: str = "*"
    throttling_rate_limit: float | None = None
    throttling_burst_limit: int | None = None

    def specificity(self, method: Method) -> int | None:
        """How precisely this setting names ``method`` (higher wins); None if it does not apply."""
        resource_ok = self.resource_path in ("/*", method.resource_path)
        method_ok = self.http_method in ("*", method.http_method)
        if not (resource_ok and method_ok):
            return None
        return (self.resource_path != "/*") * 2 + (self.http_method != "*")


@dataclass(frozen=True)
class Throttling:
    rate_limit: float
    burst_limit: int


@dataclass(frozen=True)
class Stage:
    """A deployed stage.

    Attributes:
        name: the stage name, the first segment of every request path.
        method_settings: throttling per method; see :meth:`throttling_for`.
        access_log_format: ``AccessLogSetting.Format`` (``$context`` variables), if access logging is on.
        variables: stage variables, passed to integrations as ``stageVariables``.
    """

    name: str
    method_settings: tuple[MethodSetting, ...] = ()
    access_log_format: str | None = None
    variables: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_cloudformation(cls, properties: Mapping[str, Any]) -> Stage:
        """From the resolved ``Properties`` of an ``AWS::ApiGateway::Stage``."""
        settings = tuple(
            MethodSetting(
                resource_path=_decode_setting_path(str(entry.get("ResourcePath", "/*"))),
                http_method=str(entry.get("HttpMethod", "*")).upper(),
                throttling_rate_limit=_optional_float(entry.get("ThrottlingRateLimit")),
                throttling_burst_limit=_optional_int(entry.get("ThrottlingBurstLimit")),
            )
            for entry in properties.get("MethodSettings", ())
        )
        access_log = properties.get("AccessLogSetting") or {}
        return cls(
            name=str(properties["StageName"]),
            method_settings=settings,
            access_log_format=access_log.get("Format"),
            variables={str(key): str(value) for key, value in (properties.get("Variables") or {}).items()},
        )

    def throttling_for(self, method: Method) -> Throttling | None:
        """The limits for ``method``: stage-wide settings overlaid by more specific ones, per limit.

        API Gateway applies a stage's limits to each method separately, not to the stage as a
        whole. None when no setting limits this method.
        """
        applicable = sorted(
            (rank, setting)
            for setting in self.method_settings
            if (rank := setting.specificity(method)) is not None
        )
        rate: float | None = None
        burst: int | None = None
        for _, setting in applicable:
            rate = setting.throttling_rate_limit if setting.throttling_rate_limit is not None else rate
            burst = setting.throttling_burst_limit if setting.throttling_burst_limit is not None else burst
        if rate is None and burst is None:
            return None
        return Throttling(
            rate_limit=DEFAULT_RATE_LIMIT if rate is None else rate,
            burst_limit=DEFAULT_BURST_LIMIT if burst is None else burst,
        )


@dataclass(frozen=True)
class RestApiDefinition:
    """A REST API as deployed to one stage.

    Build one with :meth:`from_swagger`.
    """

    api_id: str
    account_id: str
    region: str
    stage: Stage
    methods: tuple[Method, ...]
    resource_policy: Mapping[str, Any] | None = None
    partition: str = "aws"

    @classmethod
    def from_swagger(
        cls,
        body: Mapping[str, Any],
        *,
        api_id: str,
        stage: Stage | str,
        account_id: str,
        region: str,
        partition: str = "aws",
    ) -> RestApiDefinition:
        """Read the methods and resource policy of a Swagger 2.0 document with API Gateway extensions.

        Raises:
            DefinitionError: an integration other than a Lambda proxy, an authorizer other than
                AWS_IAM, or a malformed document.
        """
        security_types = _security_types(body)
        default_security = body.get("security", [])
        methods: list[Method] = []
        for resource_path, operations in body.get("paths", {}).items():
            _check_template(resource_path)
            for key, operation in operations.items():
                http_method = _SWAGGER_METHODS.get(key.lower())
                if http_method is None:
                    continue  # path-level `parameters` and other non-method keys
                where = f"{http_method} {resource_path}"
                methods.append(
                    Method(
                        resource_path=resource_path,
                        http_method=http_method,
                        authorization=_authorization(
                            operation.get("security", default_security), security_types, where
                        ),
                        function_arn=_function_arn(operation.get("x-amazon-apigateway-integration"), where),
                    )
                )
        definition = cls(
            api_id=api_id,
            account_id=account_id,
            region=region,
            stage=stage if isinstance(stage, Stage) else Stage(name=stage),
            methods=tuple(methods),
            partition=partition,
        )
        policy = body.get("x-amazon-apigateway-policy")
        if policy is None:
            return definition
        document = json.loads(policy) if isinstance(policy, str) else policy
        return replace(definition, resource_policy=_expand_policy(document, definition.arn_prefix))

    @property
    def arn_prefix(self) -> str:
        """``arn:aws:execute-api:REGION:ACCOUNT:API_ID``, what ``execute-api:`` stands for in the policy."""
        return f"arn:{self.partition}:execute-api:{self.region}:{self.account_id}:{self.api_id}"

    def execute_api_arn(self, http_method: str, path: str) -> str:
        """The ARN ``execute-api:Invoke`` is authorized on: ``...:API_ID/STAGE/METHOD/PATH``."""
        return f"{self.arn_prefix}/{self.stage.name}/{http_method}/{path.lstrip('/')}"

    def match(self, http_method: str, segments: Sequence[str]) -> RouteMatch | None:
        """The method answering ``http_method`` on the path made of ``segments`` (still URL-encoded).

        As API Gateway does, the most specific resource is chosen first - literal segments before
        ``{parameters}`` before a greedy ``{proxy+}`` - and then its method, an exact method before
        ANY. A resource without that method does not fall back to a less specific one.
        """
        candidates: list[tuple[tuple[int, ...], str, dict[str, str]]] = []
        for resource_path in dict.fromkeys(method.resource_path for method in self.methods):
            bound = _bind(resource_path, segments)
            if bound is not None:
                candidates.append((bound[0], resource_path, bound[1]))
        if not candidates:
            return None
        _, resource_path, parameters = min(candidates, key=lambda candidate: candidate[0])
        answering = [
            method
            for method in self.methods
            if method.resource_path == resource_path and method.answers(http_method)
        ]
        if not answering:
            return None
        method = min(answering, key=lambda candidate: candidate.http_method == ANY_METHOD)
        return RouteMatch(method=method, path_parameters=parameters)


def _bind(resource_path: str, segments: Sequence[str]) -> tuple[tuple[int, ...], dict[str, str]] | None:
    """Match a path template against request segments: a rank (lower is more specific) and parameters."""
    template = [piece for piece in resource_path.split("/") if piece]
    rank: list[int] = []
    parameters: dict[str, str] = {}
    for index, piece in enumerate(template):
        variable = _TEMPLATE_SEGMENT.match(piece)
        if variable is not None and variable["greedy"]:
            rest = segments[index:]
            if not rest:
                return None
            parameters[variable["name"]] = unquote("/".join(rest))
            return (*rank, 2), parameters
        if index >= len(segments):
            return None
        if variable is not None:
            parameters[variable["name"]] = unquote(segments[index])
            rank.append(1)
        elif unquote(segments[index]) == piece:
            rank.append(0)
        else:
            return None
    if len(template) != len(segments):
        return None
    return tuple(rank), parameters


def _check_template(resource_path: str) -> None:
    if not resource_path.startswith("/"):
        raise DefinitionError(f"resource path {resource_path!r} must start with '/'")
    pieces = [piece for piece in resource_path.split("/") if piece]
    for index, piece in enumerate(pieces):
        variable = _TEMPLATE_SEGMENT.match(piece)
        if variable is not None and variable["greedy"] and index != len(pieces) - 1:
            raise DefinitionError(f"{resource_path}: a greedy path variable must be the last segment")


def _security_types(body: Mapping[str, Any]) -> dict[str, str]:
    """Security scheme name -> ``x-amazon-apigateway-authtype`` (lower case)."""
    return {
        name: str(scheme.get("x-amazon-apigateway-authtype", scheme.get("type", ""))).lower()
        for name, scheme in body.get("securityDefinitions", {}).items()
    }


def _authorization(
    requirements: Sequence[Mapping[str, Any]], security_types: Mapping[str, str], where: str
) -> Authorization:
    names = [name for requirement in requirements for name in requirement]
    if not names:
        return Authorization.NONE
    unsupported = [name for name in names if security_types.get(name) != "awssigv4"]
    if unsupported:
        raise DefinitionError(
            f"{where}: only AWS_IAM (awsSigv4) authorization is supported, not {', '.join(unsupported)}"
        )
    return Authorization.AWS_IAM


def _function_arn(integration: Mapping[str, Any] | None, where: str) -> str:
    if integration is None:
        raise DefinitionError(f"{where}: no x-amazon-apigateway-integration")
    kind = str(integration.get("type", "")).lower()
    if kind != "aws_proxy":
        raise DefinitionError(
            f"{where}: only aws_proxy (Lambda proxy) integrations are supported, not {kind!r}"
        )
    match = _LAMBDA_INVOCATION_URI.match(str(integration.get("uri", "")))
    if match is None:
        raise DefinitionError(
            f"{where}: integration uri {integration.get('uri')!r} is not a Lambda invocation"
        )
    return match["function"]


def _expand_policy(document: Mapping[str, Any], arn_prefix: str) -> dict[str, Any]:
    """Replace ``execute-api:/...`` resources by full ARNs, as API Gateway does when it stores a policy."""

    def expand(value: Any) -> Any:
        if isinstance(value, str) and value.startswith("execute-api:"):
            return arn_prefix + value.removeprefix("execute-api:")
        if isinstance(value, list):
            return [expand(item) for item in value]
        return value

    statements = document.get("Statement", [])
    if isinstance(statements, Mapping):
        statements = [statements]
    expanded = [
        {
            key: expand(value) if key in ("Resource", "NotResource") else value
            for key, value in statement.items()
        }
        for statement in statements
    ]
    return {**document, "Statement": expanded}


def _decode_setting_path(path: str) -> str:
    # CloudFormation's MethodSettings write the path after its leading '/' with each '/' as '~1'
    # (JSON Pointer style): /~1loyalty~1{customerId}~1get is /loyalty/{customerId}/get.
    if path in ("/*", "/"):
        return path
    decoded = path.removeprefix("/").replace("~1", "/").replace("~0", "~")
    return decoded if decoded.startswith("/") else f"/{decoded}"


def _optional_float(value: Any) -> float | None:
    return None if value is None else float(value)


def _optional_int(value: Any) -> int | None:
    return None if value is None else int(value)
