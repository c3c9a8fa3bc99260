"""What a GraphQL API is made of, as plain typed values: what the local AppSync serves.

The values are those of the deployed resources (``AWS::AppSync::GraphQLApi``, ``DataSource``,
``FunctionConfiguration``, ``Resolver``) with every intrinsic already resolved; ``template.py``
reads them from CloudFormation-shaped properties. Only what the local AppSync can serve faithfully is
accepted: anything else is refused here, when the API is defined, rather than at the first request.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path


class DefinitionError(ValueError):
    """The API cannot be served as defined (an unknown name, a missing file, an unsupported feature)."""


class AuthenticationType(StrEnum):
    """AppSync's authorization modes. The local AppSync serves :data:`SERVED_MODES` only; the others
    are named so that the schema's directives for them can be read (and admit no local caller)."""

    AMAZON_COGNITO_USER_POOLS = "AMAZON_COGNITO_USER_POOLS"
    AWS_IAM = "AWS_IAM"
    API_KEY = "API_KEY"
    OPENID_CONNECT = "OPENID_CONNECT"
    AWS_LAMBDA = "AWS_LAMBDA"


SERVED_MODES = frozenset({AuthenticationType.AMAZON_COGNITO_USER_POOLS, AuthenticationType.AWS_IAM})


@dataclass(frozen=True)
class UserPoolConfig:
    """A Cognito user pool whose ID and access tokens the API accepts."""

    user_pool_id: str
    aws_region: str
    app_id_client_regex: str | None = None
    """Only tokens issued to a matching app client are accepted (AppSync's AppIdClientRegex)."""
    default_action: str = "ALLOW"

    def __post_init__(self) -> None:
        if self.default_action != "ALLOW":
            # AppSync allows DENY only when the user pool is the API's sole mode; this API has more.
            raise DefinitionError(
                f"user pool default action {self.default_action!r} is not supported (only ALLOW)"
            )
        if self.app_id_client_regex is not None:
            try:
                re.compile(self.app_id_client_regex)
            except re.error as error:
                raise DefinitionError(f"AppIdClientRegex {self.app_id_client_regex!r}: {error}") from error

    @property
    def issuer(self) -> str:
        return f"https://cognito-idp.{self.aws_region}.amazonaws.com/{self.user_pool_id}"


@dataclass(frozen=True)
class AuthProvider:
    type: AuthenticationType
    user_pool: UserPoolConfig | None = None

    def __post_init__(self) -> None:
        needs_pool = self.type is AuthenticationType.AMAZON_COGNITO_USER_POOLS
        if needs_pool != (self.user_pool is not None):
            raise DefinitionError(
                f"{self.type} {'needs' if needs_pool else 'takes no'} user pool configuration"
            )


@dataclass(frozen=True)
class DynamoDbDataSource:
    name: str
    service_role_arn: str
    table_name: str
    region: str


@dataclass(frozen=True)
class SigV4Signing:
    """An HTTP data source's AwsIamConfig: requests are signed with its role for this service."""

    region: str
    service: str


@dataclass(frozen=True)
class HttpDataSource:
    name: str
    endpoint: str
    """As configured in AppSync, e.g. ``https://abc123.execute-api.eu-west-1.amazonaws.com``."""
    service_role_arn: str | None = None
    signing: SigV4Signing | None = None

    def __post_init__(self) -> None:
        if self.signing is not None and self.service_role_arn is None:
            raise DefinitionError(f"data source {self.name} signs its requests but has no service role")


DataSource = DynamoDbDataSource | HttpDataSource


@dataclass(frozen=True)
class AppSyncFunction:
    """A pipeline function (``AWS::AppSync::FunctionConfiguration``) with APPSYNC_JS code."""

    function_id: str
    name: str
    data_source: str
    code: Path


@dataclass(frozen=True)
class UnitResolver:
    type_name: str
    field_name: str
    data_source: str
    code: Path


@dataclass(frozen=True)
class PipelineResolver:
    type_name: str
    field_name: str
    functions: tuple[str, ...]
    """Function ids, in the order they run."""
    code: Path


Resolver = UnitResolver | PipelineResolver

# AppSync's limits on environment variables.
_ENVIRONMENT_KEY = re.compile(r"^[A-Za-z]\w{1,63}$")
_MAX_ENVIRONMENT_VARIABLES = 50
_MAX_ENVIRONMENT_VALUE_LENGTH = 512
_MAX_QUERY_DEPTH_LIMIT = 75


@dataclass(frozen=True)
class ApiDefinition:
    api_id: str
    account_id: str
    region: str
    schema: str
    """The schema's SDL, as AppSync takes it (without AppSync's own scalars and directives)."""
    default_auth: AuthProvider
    additional_auth: tuple[AuthProvider, ...] = ()
    environment: Mapping[str, str] = field(default_factory=dict)
    introspection: bool = True
    query_depth_limit: int = 0
    """The deepest a field may be nested (a top-level field is at depth 1); 0 means no limit."""
    data_sources: tuple[DataSource, ...] = ()
    functions: tuple[AppSyncFunction, ...] = ()
    resolvers: tuple[Resolver, ...] = ()

    def __post_init__(self) -> None:
        self._check_auth()
        self._check_environment()
        if not 0 <= self.query_depth_limit <= _MAX_QUERY_DEPTH_LIMIT:
            raise DefinitionError(f"query depth limit must be 0 to {_MAX_QUERY_DEPTH_LIMIT}")
        self._check_references()

    @property
    def arn(self) -> str:
        return f"arn:aws:appsync:{self.region}:{self.account_id}:apis/{self.api_id}"

    @property
    def auth_providers(self) -> tuple[AuthProvider, ...]:
        return (self.default_auth, *self.additional_auth)

    def auth_provider(self, auth_type: AuthenticationType) -> AuthProvider | None:
        return next((provider for provider in self.auth_providers if provider.type is auth_type), None)

    def data_source(self, name: str) -> DataSource:
        for source in self.data_sources:
            if source.name == name:
                return source
        raise DefinitionError(f"no data source named {name!r}")

    def function(self, function_id: str) -> AppSyncFunction:
        for function in self.functions:
            if function.function_id == function_id:
                return function
        raise DefinitionError(f"no function with id {function_id!r}")

    def _check_auth(self) -> None:
        types = [provider.type for provider in self.auth_providers]
        if len(set(types)) != len(types):
            raise DefinitionError(f"an authorization mode is configured twice: {types}")
        unserved = [mode.value for mode in types if mode not in SERVED_MODES]
        if unserved:
            served = ", ".join(sorted(SERVED_MODES))
            raise DefinitionError(
                f"authentication type {unserved[0]!r} is not supported (supported: {served})"
            )

    def _check_environment(self) -> None:
        if len(self.environment) > _MAX_ENVIRONMENT_VARIABLES:
            raise DefinitionError(f"at most {_MAX_ENVIRONMENT_VARIABLES} environment variables")
        for key, value in self.environment.items():
            if not _ENVIRONMENT_KEY.match(key):
                raise DefinitionError(f"environment variable name {key!r} is not valid in AppSync")
            if len(value) > _MAX_ENVIRONMENT_VALUE_LENGTH:
                raise DefinitionError(
                    f"environment variable {key} is longer than {_MAX_ENVIRONMENT_VALUE_LENGTH}"
                )

    def _check_references(self) -> None:
        names = [source.name for source in self.data_sources]
        if len(set(names)) != len(names):
            raise DefinitionError(f"data source names must be unique: {names}")
        ids = [function.function_id for function in self.functions]
        if len(set(ids)) != len(ids):
            raise DefinitionError(f"function ids must be unique: {ids}")
        fields = [(resolver.type_name, resolver.field_name) for resolver in self.resolvers]
        if len(set(fields)) != len(fields):
            raise DefinitionError("a field has more than one resolver")
        for function in self.functions:
            self.data_source(function.data_source)
            _check_code(function.code, f"function {function.name}")
        for resolver in self.resolvers:
            where = f"resolver {resolver.type_name}.{resolver.field_name}"
            if isinstance(resolver, UnitResolver):
                self.data_source(resolver.data_source)
            else:
                for function_id in resolver.functions:
                    self.function(function_id)
            _check_code(resolver.code, where)


def _check_code(code: Path, where: str) -> None:
    if not code.is_file():
        raise DefinitionError(f"{where}: no code at {code}")
