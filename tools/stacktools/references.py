"""What ``Ref`` and ``Fn::GetAtt`` return for each CloudFormation resource type, in one place.

A resource is known by its :class:`Identity`: the name or id it was created under, any further ids
its service assigned, and the few resolved properties its ARNs are formed from. :func:`describe`
forms its ``Ref`` value and every attribute ``Fn::GetAtt`` supports from that, as CloudFormation
documents them per type. The local cloud's deployer gives it the ids the services returned; the
offline translation gives it stand-ins of the same shape. A type or an attribute missing here is
refused with an error naming the resource, its type and the attribute.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal


class UnsupportedReferenceError(KeyError):
    """A ``Ref`` or ``Fn::GetAtt`` of a resource type, or of an attribute, that is not modelled."""

    def __str__(self) -> str:
        return str(self.args[0])


@dataclass(frozen=True)
class Identity:
    logical_id: str
    resource_type: str
    account_id: str
    region: str
    physical_id: str
    """The name or id the resource was created under (:func:`physical_id_source` says which)."""
    generated: Mapping[str, str] = field(default_factory=dict)
    """Further ids its service assigned, by the keys of :func:`generated_ids` (``RoleId``, ...)."""
    properties: Mapping[str, Any] = field(default_factory=dict)
    """Its resolved properties; those of :func:`properties_read` are read."""

    def property(self, name: str) -> str:
        if name not in self.properties:
            raise UnsupportedReferenceError(
                f"{self.logical_id} ({self.resource_type}): its ids are formed from the property {name}, "
                "which it does not have"
            )
        return str(self.properties[name])

    def assigned(self, key: str) -> str:
        if key not in self.generated:
            raise UnsupportedReferenceError(
                f"{self.logical_id} ({self.resource_type}): the service-assigned {key} was not given"
            )
        return self.generated[key]


@dataclass(frozen=True)
class Described:
    ref: str
    attributes: dict[str, str]


# Where a resource's physical id comes from: its name (the name property, or one CloudFormation
# generates), one of its properties, or its service, which assigns it at creation.
PhysicalIdSource = Literal["name", "property", "service"]


@dataclass(frozen=True)
class _Model:
    source: PhysicalIdSource
    ref: Callable[[Identity], str] = lambda identity: identity.physical_id
    attributes: Mapping[str, Callable[[Identity], str]] = field(default_factory=dict)
    name_property: str | None = None
    """The property that names the resource; CloudFormation generates the name without it."""
    id_from_properties: Callable[[Mapping[str, Any]], str] | None = None
    """For ``source == "property"``: the physical id, formed from the resolved properties."""
    generated: tuple[str, ...] = ()
    reads: tuple[str, ...] = ()


def _arn(service: str, resource: str) -> Callable[[Identity], str]:
    """A regional ARN whose resource part is ``resource`` with ``{id}`` (the physical id) and each
    ``{Property}`` filled in."""
    fields = re.compile(r"\{(\w+)\}")

    def form(identity: Identity) -> str:
        def fill(match: re.Match[str]) -> str:
            name = match.group(1)
            return identity.physical_id if name == "id" else identity.property(name)

        return f"arn:aws:{service}:{identity.region}:{identity.account_id}:{fields.sub(fill, resource)}"

    return form


def _generated(key: str) -> Callable[[Identity], str]:
    return lambda identity: identity.assigned(key)


def _physical(identity: Identity) -> str:
    return identity.physical_id


def _named(property_name: str) -> Callable[[Identity], str]:
    return lambda identity: identity.property(property_name)


_TABLE_ARN = _arn("dynamodb", "table/{id}")
_QUEUE_ARN = _arn("sqs", "{id}")
_TOPIC_ARN = _arn("sns", "{id}")
_STATE_MACHINE_ARN = _arn("states", "stateMachine:{id}")
_GRAPHQL_API_ARN = _arn("appsync", "apis/{id}")
_DATA_SOURCE_ARN = _arn("appsync", "apis/{ApiId}/datasources/{id}")
_APPSYNC_FUNCTION_ARN = _arn("appsync", "apis/{ApiId}/functions/{id}")
_RESOLVER_ARN = _arn("appsync", "apis/{ApiId}/types/{TypeName}/resolvers/{FieldName}")


def _role_arn(identity: Identity) -> str:
    path = str(identity.properties.get("Path", "/"))
    return f"arn:aws:iam::{identity.account_id}:role{path}{identity.physical_id}"


def _oidc_provider_arn(identity: Identity) -> str:
    return f"arn:aws:iam::{identity.account_id}:oidc-provider/{identity.physical_id}"


def _user_pool_provider(identity: Identity) -> str:
    return f"cognito-idp.{identity.region}.amazonaws.com/{identity.physical_id}"


def _graphql_host(identity: Identity) -> str:
    return f"{identity.physical_id}.appsync-api.{identity.region}.amazonaws.com"


def _web_acl_scope(identity: Identity) -> str:
    return identity.property("Scope")


def _web_acl_arn(identity: Identity) -> str:
    scope = _web_acl_scope(identity).lower()
    return (
        f"arn:aws:wafv2:{identity.region}:{identity.account_id}:{scope}/webacl/"
        f"{identity.property('Name')}/{identity.physical_id}"
    )


def _service_assigned() -> _Model:
    """A resource whose Ref is the id its service assigned and that has no attributes."""
    return _Model(source="service")


_MODELS: dict[str, _Model] = {
    "AWS::DynamoDB::Table": _Model(source="name", name_property="TableName", attributes={"Arn": _TABLE_ARN}),
    "AWS::SQS::Queue": _Model(
        source="name",
        name_property="QueueName",
        generated=("QueueUrl",),
        ref=_generated("QueueUrl"),
        attributes={"Arn": _QUEUE_ARN, "QueueName": _physical, "QueueUrl": _generated("QueueUrl")},
    ),
    "AWS::SQS::QueuePolicy": _service_assigned(),
    "AWS::SNS::Topic": _Model(
        source="name",
        name_property="TopicName",
        ref=_TOPIC_ARN,
        attributes={"TopicArn": _TOPIC_ARN, "TopicName": _physical},
    ),
    "AWS::SNS::TopicPolicy": _service_assigned(),
    # The physical id is the subscription's ARN.
    "AWS::SNS::Subscription": _Model(source="service", attributes={"Arn": _physical}),
    "AWS::Logs::LogGroup": _Model(
        source="name",
        name_property="LogGroupName",
        attributes={"Arn": _arn("logs", "log-group:{id}:*")},
    ),
    "AWS::CloudWatch::Alarm": _Model(
        source="name", name_property="AlarmName", attributes={"Arn": _arn("cloudwatch", "alarm:{id}")}
    ),
    "AWS::IAM::Role": _Model(
        source="name",
        name_property="RoleName",
        generated=("RoleId",),
        reads=("Path",),
        attributes={"Arn": _role_arn, "RoleId": _generated("RoleId")},
    ),
    "AWS::IAM::Policy": _service_assigned(),
    # Identified by its issuer's host; Ref and Arn are the provider's ARN.
    "AWS::IAM::OIDCProvider": _Model(
        source="property",
        id_from_properties=lambda properties: str(properties["Url"]).removeprefix("https://"),
        reads=("Url",),
        ref=_oidc_provider_arn,
        attributes={"Arn": _oidc_provider_arn},
    ),
    "AWS::Lambda::Function": _Model(
        source="name", name_property="FunctionName", attributes={"Arn": _arn("lambda", "function:{id}")}
    ),
    "AWS::Lambda::Permission": _service_assigned(),
    "AWS::Lambda::EventSourceMapping": _service_assigned(),
    "AWS::StepFunctions::StateMachine": _Model(
        source="name",
        name_property="StateMachineName",
        ref=_STATE_MACHINE_ARN,
        attributes={"Arn": _STATE_MACHINE_ARN, "Name": _physical},
    ),
    "AWS::Cognito::UserPool": _Model(
        source="service",
        name_property="UserPoolName",
        attributes={
            "Arn": _arn("cognito-idp", "userpool/{id}"),
            "ProviderName": _user_pool_provider,
            "ProviderURL": lambda identity: f"https://{_user_pool_provider(identity)}",
        },
    ),
    "AWS::Cognito::UserPoolClient": _service_assigned(),
    "AWS::Cognito::UserPoolGroup": _Model(
        source="property",
        id_from_properties=lambda properties: str(properties["GroupName"]),
        reads=("GroupName",),
    ),
    "AWS::ApiGateway::RestApi": _Model(
        source="service",
        generated=("RootResourceId",),
        attributes={"RootResourceId": _generated("RootResourceId")},
    ),
    "AWS::ApiGateway::Deployment": _service_assigned(),
    "AWS::ApiGateway::Stage": _Model(
        source="property",
        id_from_properties=lambda properties: str(properties["StageName"]),
        reads=("StageName",),
    ),
    "AWS::ApiGateway::Account": _service_assigned(),
    "AWS::AppSync::GraphQLApi": _Model(
        source="service",
        ref=_GRAPHQL_API_ARN,
        attributes={
            "ApiId": _physical,
            "Arn": _GRAPHQL_API_ARN,
            "GraphQLUrl": lambda identity: f"https://{_graphql_host(identity)}/graphql",
            "GraphQLDns": _graphql_host,
        },
    ),
    "AWS::AppSync::GraphQLSchema": _service_assigned(),
    "AWS::AppSync::DataSource": _Model(
        source="property",
        id_from_properties=lambda properties: str(properties["Name"]),
        reads=("ApiId", "Name"),
        ref=_DATA_SOURCE_ARN,
        attributes={"DataSourceArn": _DATA_SOURCE_ARN, "Name": _physical},
    ),
    "AWS::AppSync::FunctionConfiguration": _Model(
        source="service",
        reads=("ApiId", "Name"),
        ref=_APPSYNC_FUNCTION_ARN,
        attributes={"FunctionArn": _APPSYNC_FUNCTION_ARN, "FunctionId": _physical, "Name": _named("Name")},
    ),
    "AWS::AppSync::Resolver": _Model(
        source="property",
        id_from_properties=lambda properties: f"{properties['TypeName']}.{properties['FieldName']}",
        reads=("ApiId", "TypeName", "FieldName"),
        ref=_RESOLVER_ARN,
        attributes={"ResolverArn": _RESOLVER_ARN},
    ),
    "AWS::WAFv2::WebACL": _Model(
        source="service",
        reads=("Name", "Scope"),
        # CloudFormation's Ref of a web ACL is "name|id|scope".
        ref=lambda identity: f"{identity.property('Name')}|{identity.physical_id}|{_web_acl_scope(identity)}",
        attributes={"Arn": _web_acl_arn, "Id": _physical},
    ),
    "AWS::WAFv2::WebACLAssociation": _service_assigned(),
    "AWS::WAFv2::LoggingConfiguration": _service_assigned(),
    "AWS::S3::Bucket": _Model(
        source="name",
        name_property="BucketName",
        attributes={
            "Arn": lambda identity: f"arn:aws:s3:::{identity.physical_id}",
            "DomainName": lambda identity: f"{identity.physical_id}.s3.amazonaws.com",
            "RegionalDomainName": lambda identity: (
                f"{identity.physical_id}.s3.{identity.region}.amazonaws.com"
            ),
        },
    ),
    "AWS::S3::BucketPolicy": _service_assigned(),
    "AWS::CloudFront::Distribution": _Model(
        source="service",
        generated=("DomainName",),
        attributes={"Id": _physical, "DomainName": _generated("DomainName")},
    ),
    "AWS::CloudFront::OriginAccessControl": _Model(source="service", attributes={"Id": _physical}),
    "AWS::CloudFront::ResponseHeadersPolicy": _Model(source="service", attributes={"Id": _physical}),
}

# SAM's resources, before translation, answer Ref and Fn::GetAtt as the resources SAM generates for them.
_MODELS["AWS::Serverless::Function"] = _MODELS["AWS::Lambda::Function"]
_MODELS["AWS::Serverless::Api"] = _MODELS["AWS::ApiGateway::RestApi"]
_MODELS["AWS::Serverless::StateMachine"] = replace(
    _MODELS["AWS::StepFunctions::StateMachine"], name_property="Name"
)

# Generated names are "stack-LogicalId" within each service's length limit (CloudFormation also
# appends a random suffix, which nothing here relies on).
_NAME_LIMITS = {
    "AWS::IAM::Role": 64,
    "AWS::Lambda::Function": 64,
    "AWS::SQS::Queue": 80,
    "AWS::SNS::Topic": 256,
    "AWS::StepFunctions::StateMachine": 80,
    "AWS::DynamoDB::Table": 255,
    "AWS::CloudWatch::Alarm": 255,
    "AWS::S3::Bucket": 63,
}


def _model(logical_id: str, resource_type: str) -> _Model:
    model = _MODELS.get(resource_type)
    if model is None:
        raise UnsupportedReferenceError(
            f"{logical_id} ({resource_type}): Ref and Fn::GetAtt of this resource type are not modelled"
        )
    return model


def physical_id_source(logical_id: str, resource_type: str) -> PhysicalIdSource:
    return _model(logical_id, resource_type).source


def resource_name(stack_name: str, logical_id: str, resource_type: str, properties: Mapping[str, Any]) -> str:
    """The name a resource is created under: its name property, or the one CloudFormation generates."""
    model = _model(logical_id, resource_type)
    if model.name_property and properties.get(model.name_property):
        return str(properties[model.name_property])
    name = f"{stack_name}-{logical_id}"[: _NAME_LIMITS.get(resource_type, 128)]
    # Bucket names are lower case.
    return name.lower() if resource_type == "AWS::S3::Bucket" else name


def physical_id_from_properties(logical_id: str, resource_type: str, properties: Mapping[str, Any]) -> str:
    """The physical id of a resource identified by its properties (``physical_id_source`` "property")."""
    model = _model(logical_id, resource_type)
    if model.id_from_properties is None:
        raise UnsupportedReferenceError(f"{logical_id} ({resource_type}): not identified by its properties")
    return model.id_from_properties(properties)


def generated_ids(logical_id: str, resource_type: str) -> tuple[str, ...]:
    """The ids besides the physical id that the resource's service assigns (its Identity needs them)."""
    return _model(logical_id, resource_type).generated


def properties_read(logical_id: str, resource_type: str) -> tuple[str, ...]:
    """The properties the resource's name and ids are formed from."""
    model = _model(logical_id, resource_type)
    return ((model.name_property,) if model.name_property else ()) + model.reads


def describe(identity: Identity) -> Described:
    """What ``Ref`` returns for the resource and every attribute ``Fn::GetAtt`` supports."""
    model = _model(identity.logical_id, identity.resource_type)
    return Described(
        ref=model.ref(identity),
        attributes={name: form(identity) for name, form in model.attributes.items()},
    )


def supported_attributes(logical_id: str, resource_type: str) -> tuple[str, ...]:
    return tuple(_model(logical_id, resource_type).attributes)


def unsupported_attribute(logical_id: str, resource_type: str, attribute: str) -> UnsupportedReferenceError:
    """The error for ``Fn::GetAtt`` of an attribute the resource's type does not have (here)."""
    supported = ", ".join(supported_attributes(logical_id, resource_type)) or "none"
    return UnsupportedReferenceError(
        f"{logical_id} ({resource_type}): Fn::GetAtt {attribute} is not supported (supported: {supported})"
    )
