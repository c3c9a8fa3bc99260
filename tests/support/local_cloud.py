"""The local cloud as the application's tests drive it: the running cloud, its customers and
credentials (and SigV4 with them), the GraphQL operations of the walkthrough, the services the AWS
endpoint serves, the APPSYNC_JS resolver runtime, the local AppSync's engine (to run the resolvers
without a running cloud), and the web app and boundary map it serves."""

from __future__ import annotations

from functools import cache
from typing import Any

from localcloud.appsync.auth import Authenticated, Authenticator, StaticKeys
from localcloud.appsync.datasources import DataSources
from localcloud.appsync.definition import ApiDefinition, AuthenticationType
from localcloud.appsync.dynamodb import Invocation
from localcloud.appsync.engine import GraphQLEngine, RequestContext
from localcloud.appsync.resolver_runtime import RUNTIME_DIRECTORY, AppSyncError, EarlyReturn, ResolverRuntime
from localcloud.appsync.schema import build_appsync_schema
from localcloud.cloud import STACK_NAME, Customer, LocalCloud
from localcloud.enforcement import served_backends
from localcloud.faults import Fault, FaultPlan, FaultRule
from localcloud.identity import Credentials, MotoIdentityDirectory, TrustPolicyError
from localcloud.lambda_service import third_party_imports
from localcloud.walkthrough import (
    BOOK_MUTATION,
    BOOKING_QUERY,
    LOYALTY_QUERY,
    SEARCH_QUERY,
    GraphQLError,
    book_variables,
    graphql,
    sigv4,
    wait_for,
)
from localcloud.webapp import ConfirmationMail, WebApp
from localcloud.webapp.site import WEB_BUILD, security_headers
from stacktools.project import ACCOUNT_ID, REGION, REPOSITORY_ROOT

__all__ = [
    "ACCOUNT_ID",
    "BOOKING_QUERY",
    "BOOK_MUTATION",
    "LOYALTY_QUERY",
    "REGION",
    "RUNTIME_DIRECTORY",
    "SEARCH_QUERY",
    "STACK_NAME",
    "WEB_BUILD",
    "ApiDefinition",
    "AppSyncError",
    "Authenticated",
    "AuthenticationType",
    "Authenticator",
    "ConfirmationMail",
    "Credentials",
    "Customer",
    "DataSources",
    "EarlyReturn",
    "Fault",
    "FaultPlan",
    "FaultRule",
    "GraphQLEngine",
    "GraphQLError",
    "Invocation",
    "LocalCloud",
    "MotoIdentityDirectory",
    "RequestContext",
    "ResolverRuntime",
    "StaticKeys",
    "TrustPolicyError",
    "WebApp",
    "book_variables",
    "build_appsync_schema",
    "graphql",
    "security_headers",
    "served_backends",
    "sigv4",
    "wait_for",
]


def prewarmed_cloud(**options: Any) -> LocalCloud:
    """A local cloud (``options`` as :class:`LocalCloud` takes them) whose function workers are forked from
    a process that has imported the functions' third-party modules (boto3, Powertools, pydantic), once per
    test process, instead of each importing them anew: about half a second of CPU saved per worker.
    Each worker is still its own process with only its function's environment and role credentials and
    imports the function's own code; only its REPORT figures are not a cold start's (the benchmarks,
    which measure those, start every worker cold)."""
    return LocalCloud(prewarmed_imports=_function_imports(), **options)


@cache
def _function_imports() -> tuple[str, ...]:
    return third_party_imports(REPOSITORY_ROOT / "src")
