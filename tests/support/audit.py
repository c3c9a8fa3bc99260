"""The security proofs' machinery as the application's tests use it: expanded policies, the
least-privilege audit and its observations, the authorization matrix, the static gate and its variants."""

from __future__ import annotations

from secaudit import blast_radius, matrix
from secaudit.audit import SERVICES_WITHOUT_A_SOURCE, USAGE_PATH, Allowance, RoleAudit, audit, load_allowances
from secaudit.matrix import ANONYMOUS, OUTSIDER_ROLE, OUTSIDER_USER, Cell, allowed_cells, decide, intended
from secaudit.policies import RolePolicies, StackPolicies, expanded_policies, stack_policies
from secaudit.pytest_support import skip_without_gate_tools
from secaudit.static_gate import (
    CHECKOV_ENV,
    SAM_ENV,
    Finding,
    Gate,
    GateReport,
    run_cfn_lint,
    run_checkov,
    run_gates,
    run_parliament,
)
from secaudit.usage import Use, uses_of, write
from secaudit.variants import VARIANTS, Template, shared_role, write_template

__all__ = [
    "ANONYMOUS",
    "CHECKOV_ENV",
    "OUTSIDER_ROLE",
    "OUTSIDER_USER",
    "SAM_ENV",
    "SERVICES_WITHOUT_A_SOURCE",
    "USAGE_PATH",
    "VARIANTS",
    "Allowance",
    "Cell",
    "Finding",
    "Gate",
    "GateReport",
    "RoleAudit",
    "RolePolicies",
    "StackPolicies",
    "Template",
    "Use",
    "allowed_cells",
    "audit",
    "blast_radius",
    "decide",
    "expanded_policies",
    "intended",
    "load_allowances",
    "matrix",
    "run_cfn_lint",
    "run_checkov",
    "run_gates",
    "run_parliament",
    "shared_role",
    "skip_without_gate_tools",
    "stack_policies",
    "uses_of",
    "write",
    "write_template",
]
