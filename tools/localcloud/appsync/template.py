"""An :class:`ApiDefinition` from a stack's AppSync resources, as CloudFormation would create them.

The resources are given as in a template (``{"Type": ..., "Properties": ...}`` by logical id), with
every intrinsic function already resolved: ``ApiId`` is the API's id, role ARNs and table names are
the deployed ones, and each pipeline lists its functions' ids. Code and schema locations
(``CodeS3Location``, ``DefinitionS3Location``) are the template's local paths, read relative to
``base_path``, as ``sam deploy`` would upload them.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from localcloud.appsync.definition import (
    SERVED_MODES,
    ApiDefinition,
    AppSyncFunction,
    AuthenticationType,
    AuthProvider,
    DataSource,
    DefinitionError,
    DynamoDbDataSource,
    HttpDataSource,
    PipelineResolver,
    Resolver,
    SigV4Signing,
    UnitResolver,
    UserPoolConfig,
)

Resources = Mapping[str, Mapping[str, Any]]

_APPSYNC_JS = "APPSYNC_JS"


def definition_from_template(
    resources: Resources,
    *,
    api_logical_id: str,
    api_id: str,
    account_id: str,
    region: str,
    base_path: Path,
    function_ids: Mapping[str, str] | None = None,
) -> ApiDefinition:
    """The API ``api_logical_id`` and every data source, function and resolver whose ApiId is ``api_id``.

    function_ids: logical id -> FunctionId of each function configuration (what ``!GetAtt X.FunctionId``
    resolved to); by default a function's id is its logical id.
    """
    api = _properties(resources, api_logical_id, "AWS::AppSync::GraphQLApi")
    ids = dict(function_ids or {})
    owned = {
        logical_id: resource
        for logical_id, resource in resources.items()
        if isinstance(resource.get("Properties"), Mapping) and resource["Properties"].get("ApiId") == api_id
    }
    default_auth = _auth_provider(api, region)
    return ApiDefinition(
        api_id=api_id,
        account_id=account_id,
        region=region,
        schema=_schema(owned, base_path),
        default_auth=default_auth,
        additional_auth=tuple(
            _auth_provider(provider, region) for provider in api.get("AdditionalAuthenticationProviders", [])
        ),
        environment={str(key): str(value) for key, value in api.get("EnvironmentVariables", {}).items()},
        introspection=api.get("IntrospectionConfig", "ENABLED") == "ENABLED",
        query_depth_limit=int(api.get("QueryDepthLimit", 0)),
        data_sources=tuple(
            _data_source(logical_id, resource["Properties"])
            for logical_id, resource in owned.items()
            if resource["Type"] == "AWS::AppSync::DataSource"
        ),
        functions=tuple(
            _function(logical_id, resource["Properties"], ids.get(logical_id, logical_id), base_path)
            for logical_id, resource in owned.items()
            if resource["Type"] == "AWS::AppSync::FunctionConfiguration"
        ),
        resolvers=tuple(
            _resolver(logical_id, resource["Properties"], base_path)
            for logical_id, resource in owned.items()
            if resource["Type"] == "AWS::AppSync::Resolver"
        ),
    )


def _properties(resources: Resources, logical_id: str, resource_type: str) -> Mapping[str, Any]:
    resource = resources.get(logical_id)
    if resource is None or resource.get("Type") != resource_type:
        raise DefinitionError(f"{logical_id} is not an {resource_type} of the template")
    properties: Mapping[str, Any] = resource.get("Properties", {})
    return properties


def _auth_provider(properties: Mapping[str, Any], api_region: str) -> AuthProvider:
    kind = str(properties.get("AuthenticationType"))
    if kind not in SERVED_MODES:
        raise DefinitionError(
            f"authentication type {kind!r} is not supported (supported: {', '.join(sorted(SERVED_MODES))})"
        )
    auth_type = AuthenticationType(kind)
    pool = properties.get("UserPoolConfig")
    return AuthProvider(
        type=auth_type,
        user_pool=UserPoolConfig(
            user_pool_id=pool["UserPoolId"],
            aws_region=pool.get("AwsRegion", api_region),
            app_id_client_regex=pool.get("AppIdClientRegex"),
            default_action=pool.get("DefaultAction", "ALLOW"),
        )
        if pool is not None
        else None,
    )


def _schema(owned: Resources, base_path: Path) -> str:
    schemas = [
        resource["Properties"]
        for resource in owned.values()
        if resource["Type"] == "AWS::AppSync::GraphQLSchema"
    ]
    if len(schemas) != 1:
        raise DefinitionError(f"the API needs exactly one AWS::AppSync::GraphQLSchema, not {len(schemas)}")
    [schema] = schemas
    if "Definition" in schema:
        return str(schema["Definition"])
    return (base_path / str(schema["DefinitionS3Location"])).read_text(encoding="utf-8")


def _data_source(logical_id: str, properties: Mapping[str, Any]) -> DataSource:
    kind = properties.get("Type")
    name = properties["Name"]
    role = properties.get("ServiceRoleArn")
    if kind == "AMAZON_DYNAMODB":
        config = properties["DynamoDBConfig"]
        if role is None:
            raise DefinitionError(f"{logical_id}: a DynamoDB data source needs a ServiceRoleArn")
        if config.get("UseCallerCredentials") or config.get("DeltaSyncConfig") or config.get("Versioned"):
            raise DefinitionError(
                f"{logical_id}: caller credentials and conflict detection are not supported"
            )
        return DynamoDbDataSource(
            name=name, service_role_arn=role, table_name=config["TableName"], region=config["AwsRegion"]
        )
    if kind == "HTTP":
        config = properties["HttpConfig"]
        authorization = config.get("AuthorizationConfig")
        signing = None
        if authorization is not None:
            if authorization.get("AuthorizationType") != "AWS_IAM":
                raise DefinitionError(f"{logical_id}: only AWS_IAM authorization is supported")
            iam = authorization["AwsIamConfig"]
            signing = SigV4Signing(region=iam["SigningRegion"], service=iam["SigningServiceName"])
        return HttpDataSource(name=name, endpoint=config["Endpoint"], service_role_arn=role, signing=signing)
    raise DefinitionError(
        f"{logical_id}: data sources of type {kind!r} are not supported (AMAZON_DYNAMODB, HTTP)"
    )


def _code(logical_id: str, properties: Mapping[str, Any], base_path: Path) -> Path:
    runtime = properties.get("Runtime", {}).get("Name")
    if runtime != _APPSYNC_JS:
        raise DefinitionError(f"{logical_id}: only {_APPSYNC_JS} code is supported, not {runtime!r}")
    if "CodeS3Location" not in properties:
        # The runtime evaluates files; inline Code would have to be written out first.
        raise DefinitionError(f"{logical_id}: the code must be given as CodeS3Location")
    return (base_path / str(properties["CodeS3Location"])).resolve()


def _function(
    logical_id: str, properties: Mapping[str, Any], function_id: str, base_path: Path
) -> AppSyncFunction:
    return AppSyncFunction(
        function_id=function_id,
        name=properties["Name"],
        data_source=properties["DataSourceName"],
        code=_code(logical_id, properties, base_path),
    )


def _resolver(logical_id: str, properties: Mapping[str, Any], base_path: Path) -> Resolver:
    code = _code(logical_id, properties, base_path)
    if properties.get("Kind", "UNIT") == "PIPELINE":
        return PipelineResolver(
            type_name=properties["TypeName"],
            field_name=properties["FieldName"],
            functions=tuple(properties["PipelineConfig"]["Functions"]),
            code=code,
        )
    return UnitResolver(
        type_name=properties["TypeName"],
        field_name=properties["FieldName"],
        data_source=properties["DataSourceName"],
        code=code,
    )
