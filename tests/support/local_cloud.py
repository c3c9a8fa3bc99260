"""The local cloud as the application's tests drive it: the running cloud, its customers and
credentials (and SigV4 with them), the GraphQL operations of the walkthrough, the services the AWS
endpoint serves, the APPSYNC_JS resolver runtime, and the web app and boundary map it serves."""

from __future__ import annotations

from localcloud.appsync.resolver_runtime import RUNTIME_DIRECTORY, AppSyncError, ResolverRuntime
from localcloud.appsync.schema import build_appsync_schema
from localcloud.cloud import STACK_NAME, Customer, LocalCloud
from localcloud.enforcement import served_backends
from localcloud.identity import Credentials, TrustPolicyError
from localcloud.walkthrough import (
    BOOK_MUTATION,
    BOOKING_QUERY,
    LOYALTY_QUERY,
    SEARCH_QUERY,
    GraphQLError,
    graphql,
    sigv4,
    wait_for,
)
from localcloud.webapp import ConfirmationMail, WebApp
from localcloud.webapp.site import WEB_BUILD, security_headers
from stacktools.project import ACCOUNT_ID, REGION

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
    "AppSyncError",
    "ConfirmationMail",
    "Credentials",
    "Customer",
    "GraphQLError",
    "LocalCloud",
    "ResolverRuntime",
    "TrustPolicyError",
    "WebApp",
    "build_appsync_schema",
    "graphql",
    "security_headers",
    "served_backends",
    "sigv4",
    "wait_for",
]
