"""A local API Gateway for REST APIs: AWS_IAM authorization and Lambda proxy integrations.

Serving a deployed stage from its resolved Swagger ``Body``::

    definition = RestApiDefinition.from_swagger(
        body,
        api_id="abc123defg",
        stage=Stage.from_cloudformation(stage_properties),  # or Stage(name="dev")
        account_id="123456789012",
        region="eu-west-1",
    )
    api = LocalRestApi(definition, directory=identity_directory, invoke=lambda_invoker)
    with localcloud.serving.BackgroundServer(api) as server:
        ...  # SigV4-signed requests to f"{server.url}/dev/loyalty/{customer_id}/get"

``api.records`` then lists every request with its outcome, and ``api.refusals`` the refused ones
with the reason for each.
"""

from localcloud.apigateway.access_log import AccessLogRecord, format_line
from localcloud.apigateway.app import LocalRestApi
from localcloud.apigateway.definition import (
    Authorization,
    DefinitionError,
    Method,
    MethodSetting,
    RestApiDefinition,
    RouteMatch,
    Stage,
    Throttling,
)
from localcloud.apigateway.events import ReceivedRequest, identity_of, proxy_event
from localcloud.apigateway.integration import (
    InvocationResult,
    LambdaInvoker,
    LambdaResult,
    MalformedProxyResponseError,
    ProxyResponse,
    read_proxy_response,
)
from localcloud.apigateway.throttling import TokenBucket

__all__ = [
    "AccessLogRecord",
    "Authorization",
    "DefinitionError",
    "InvocationResult",
    "LambdaInvoker",
    "LambdaResult",
    "LocalRestApi",
    "MalformedProxyResponseError",
    "Method",
    "MethodSetting",
    "ProxyResponse",
    "ReceivedRequest",
    "RestApiDefinition",
    "RouteMatch",
    "Stage",
    "Throttling",
    "TokenBucket",
    "format_line",
    "identity_of",
    "proxy_event",
    "read_proxy_response",
]
