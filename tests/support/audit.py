"""The security proofs' machinery as the application's tests use it: expanded policies, the
least-privilege audit and its observations, the authorization matrix, the static gate and its variants."""

from __future__ import annotations

from secaudit import blast_radius, graphql_matrix, matrix
from secaudit.audit import SERVICES_WITHOUT_A_SOURCE
from secaudit.findings import Finding
from secaudit.matrix import ANONYMOUS, OUTSIDER_ROLE, OUTSIDER_USER, Cell, allowed_cells, decide, intended
from secaudit.policies import RolePolicies, StackPolicies, expanded_policies, stack_policies
from secaudit.pytest_support import skip_without_gate_tools
from secaudit.static_gate import (
    CFN_LINT_CONFIG,
    CHECKOV_CONFIG,
    CHECKOV_ENV,
    SAM_ENV,
    Gate,
    GateReport,
    Scans,
    run_cfn_lint,
    run_checkov,
    run_gates,
    run_gates_and_scans,
    run_parliament,
)
from secaudit.usage import uses_of
from secaudit.variants import VARIANTS, Template, shared_role, write_template

__all__ = [
    "ANONYMOUS",
    "CFN_LINT_CONFIG",
    "CHECKOV_CONFIG",
    "CHECKOV_ENV",
    "OUTSIDER_ROLE",
    "OUTSIDER_USER",
    "SAM_ENV",
    "SERVICES_WITHOUT_A_SOURCE",
    "VARIANTS",
    "Cell",
    "Finding",
    "Gate",
    "GateReport",
    "RolePolicies",
    "Scans",
    "StackPolicies",
    "Template",
    "allowed_cells",
    "blast_radius",
    "decide",
    "expanded_policies",
    "graphql_matrix",
    "intended",
    "matrix",
    "run_cfn_lint",
    "run_checkov",
    "run_gates",
    "run_gates_and_scans",
    "run_parliament",
    "shared_role",
    "skip_without_gate_tools",
    "stack_policies",
    "uses_of",
    "write_template",
]
