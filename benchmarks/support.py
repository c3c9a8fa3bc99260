"""The benchmarks' one seam to the project's tools (``tools/``), as ``tests/support`` is the tests':
the local cloud, the template's functions, the sample catalog and the walkthrough's GraphQL operations.
No other module of the suite imports the tools (ruff's banned-api rule)."""

from __future__ import annotations

from localcloud.cloud import ADMIN_USER, Customer, LocalCloud
from localcloud.deploy import DeployedStack
from localcloud.enforcement import AccessRecord
from localcloud.identity import Credentials
from localcloud.lambda_service import InvocationReport
from localcloud.walkthrough import (
    BOOK_MUTATION,
    BOOKING_QUERY,
    LOYALTY_QUERY,
    GraphQLError,
    book_variables,
    graphql,
)
from secaudit.findings_cache import CACHE_VARIABLE as STATIC_GATE_CACHE_VARIABLE
from secaudit.findings_cache import answer_files as static_answer_files
from stacktools.catalog import Flight, sample_flights, seed
from stacktools.project import ACCOUNT_ID, REGION, REPOSITORY_ROOT
from stacktools.template import FunctionSpec, function_specs, project_template

__all__ = [
    "ACCOUNT_ID",
    "ADMIN_USER",
    "BOOKING_QUERY",
    "BOOK_MUTATION",
    "LOYALTY_QUERY",
    "REGION",
    "REPOSITORY_ROOT",
    "STATIC_GATE_CACHE_VARIABLE",
    "AccessRecord",
    "Credentials",
    "Customer",
    "DeployedStack",
    "Flight",
    "FunctionSpec",
    "GraphQLError",
    "InvocationReport",
    "LocalCloud",
    "book_variables",
    "function_specs",
    "graphql",
    "project_template",
    "sample_flights",
    "seed",
    "static_answer_files",
]
