"""The least-privilege audit: what each role used (observed by the local cloud during the test suite)
against what template.yaml grants it - IAM access advisor and Access Analyzer's policy generation,
before deployment.

    python -m secaudit.audit            # fail on an ungranted use or an unexplained unused grant
    python -m secaudit.audit --write    # also regenerate docs/permissions.md and reports/audit/

docs/permissions.md also lists every resource policy of template.yaml and web/template.yaml
(``secaudit.resource_policies``): the other half of each decision.

It judges only the observations of a complete test run (every module of ``tests/e2e`` and
``tests/attacks`` collected and passed, ``secaudit.usage.Run``): after a partial run it refuses, with
exit status 2, because a grant only the missing tests use would look unused.

It fails when:
* a role's own code or service made a call its policies do not grant (refused by the local cloud, or
  not granted by the offline evaluation of the template's policies), or
* a grant (one action pattern on one resource pattern of an Allow statement) was never used and is
  not listed in ``tools/secaudit/allowances.yaml`` with a reason.

For each role it writes the used, unused and allowed-with-reason grants, and a least-privilege policy
generated from the observed uses, to compare with the template.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import re
import sys
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from iam_eval import AccessRequest, Principal, evaluate
from secaudit.policies import RolePolicies, StackPolicies, stack_policies
from secaudit.resource_policies import ResourcePolicy, resource_policies
from secaudit.resource_policies import render as render_resource_policies
from secaudit.usage import (
    OBSERVED_TIERS,
    USAGE_PATH,
    ObservationsError,
    Run,
    Use,
    observed_modules,
    placeholders,
    read,
    templated,
)
from stacktools.project import LOCAL_STACK_NAME, TEMPLATE_PATH, WEB_TEMPLATE_PATH
from stacktools.template import REPOSITORY_ROOT, load_template

ALLOWANCES_PATH = Path(__file__).with_name("allowances.yaml")
DOCS_PATH = REPOSITORY_ROOT / "docs" / "permissions.md"
REPORTS_PATH = REPOSITORY_ROOT / "reports" / "audit"


@dataclass(frozen=True)
class Allowance:
    name: str
    roles: str
    actions: tuple[str, ...]
    resource: str
    reason: str

    def covers(self, role: str, action: str, resource: str) -> bool:
        return (
            fnmatch.fnmatchcase(role, self.roles)
            and any(action.lower() == allowed.lower() for allowed in self.actions)
            and fnmatch.fnmatchcase(resource, self.resource)
        )


def load_allowances(path: Path = ALLOWANCES_PATH) -> list[Allowance]:
    document: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    allowances = []
    for entry in document.get("unused_grants", []):
        if not str(entry.get("reason", "")).strip():
            raise ValueError(f"{path}: every allowance needs a reason: {entry}")
        actions = entry["actions"] if isinstance(entry["actions"], list) else [entry["actions"]]
        allowances.append(
            Allowance(
                entry["name"],
                entry["roles"],
                tuple(actions),
                entry["resource"],
                " ".join(entry["reason"].split()),
            )
        )
    return allowances


@dataclass(frozen=True, order=True)
class Grant:
    action: str
    resource: str
    """With ``${LogicalId}`` placeholders, as the template writes it."""
    source: str
    """The policy granting it: ``inline:NAME`` or ``managed:NAME``."""


@dataclass
class RoleAudit:
    role: str
    used_by: tuple[str, ...]
    used: list[Use] = field(default_factory=list)
    ungranted: list[tuple[Use, str]] = field(default_factory=list)
    granted_used: list[Grant] = field(default_factory=list)
    granted_unused: list[Grant] = field(default_factory=list)
    allowed: list[tuple[Grant, Allowance]] = field(default_factory=list)
    trust_policy: dict[str, Any] = field(default_factory=dict)
    """Who may assume the role: its trust policy as the template states it."""

    @property
    def failed(self) -> bool:
        return bool(self.ungranted or self.granted_unused)

    def generated_policy(self) -> dict[str, Any]:
        """The least-privilege policy the observed uses call for (resources as the template names them)."""
        by_resources: dict[tuple[str, ...], set[str]] = defaultdict(set)
        actions_by_resource: dict[str, set[str]] = defaultdict(set)
        for use in self.used:
            if use.allowed:
                actions_by_resource[use.resource].add(use.action)
        for resource, actions in actions_by_resource.items():
            by_resources[tuple(sorted(actions))].add(resource)
        return {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": list(actions), "Resource": sorted(resources)}
                for actions, resources in sorted(by_resources.items())
            ],
        }


def _as_list(value: Any) -> list[str]:
    return [str(item) for item in (value if isinstance(value, list) else [value])]


def _grants(role: RolePolicies, pairs: list[tuple[str, str]]) -> list[tuple[Grant, str]]:
    """(grant, concrete resource) for every action x resource of every Allow statement."""
    grants = []
    for source, document in role.named_documents().items():
        statements = document["Statement"]
        for statement in statements if isinstance(statements, list) else [statements]:
            if statement.get("Effect") != "Allow":
                continue
            actions = _as_list(statement.get("Action", [])) or [
                f"NotAction:{_as_list(statement['NotAction'])}"
            ]
            for action in actions:
                for resource in _as_list(statement.get("Resource", "*")):
                    grants.append((Grant(action, templated(resource, pairs), source), resource))
    return grants


def _concrete(resource: str, policies: StackPolicies) -> str:
    """A use's templated resource, on the offline stack (same names, same account and region)."""
    return str(policies.resolver.resolve({"Fn::Sub": resource}))


def _grant_used(
    grant_action: str, grant_resource: str, uses: Iterable[Use], policies: StackPolicies, principal: Principal
) -> bool:
    single = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": grant_action, "Resource": grant_resource}],
    }
    return any(
        use.allowed
        and evaluate(
            AccessRequest(principal, use.action, _concrete(use.resource, policies)),
            identity_policies=[single],
        ).allowed
        for use in uses
    )


# The REST API an execute-api ARN names, as the audit writes it:
# arn:aws:execute-api:${AWS::Region}:${AWS::AccountId}:${LoyaltyApi}/dev/GET/...
_REST_API_IN_ARN = re.compile(r"^arn:[^:]+:execute-api:.*?\$\{(?P<api>[A-Za-z0-9]+)\}/")


def _resource_policy(use: Use, policies: StackPolicies) -> dict[str, Any] | None:
    """The resource policy that also decides the use: a REST API's, for execute-api:Invoke."""
    match = _REST_API_IN_ARN.match(use.resource)
    if not use.action.lower().startswith("execute-api:") or match is None:
        return None
    if match["api"] not in policies.translated["Resources"]:
        return None
    return policies.rest_api_policy(match["api"])


def audit(policies: StackPolicies, uses: set[Use], allowances: Sequence[Allowance]) -> list[RoleAudit]:
    pairs = placeholders(policies.resolver, policies.translated["Resources"])
    results = []
    for role in sorted(policies.roles.values(), key=lambda r: r.logical_id):
        principal = Principal.role_session(role.arn, "audit")
        role_uses = sorted(use for use in uses if use.role == role.logical_id)
        result = RoleAudit(
            role.logical_id,
            role.used_by,
            used=role_uses,
            trust_policy=json.loads(templated(json.dumps(role.trust_policy), pairs)),
        )
        for use in role_uses:
            if not use.allowed:
                result.ungranted.append((use, "refused by the local cloud"))
                continue
            decision = evaluate(
                AccessRequest(principal, use.action, _concrete(use.resource, policies)),
                identity_policies=role.documents(),
                resource_policy=_resource_policy(use, policies),
                resource_account=policies.resolver.account_id,
            )
            if not decision.allowed:
                result.ungranted.append((use, "not granted by the template's policies"))
        for grant, concrete in _grants(role, pairs):
            if _grant_used(grant.action, concrete, role_uses, policies, principal):
                result.granted_used.append(grant)
                continue
            allowance = next(
                (a for a in allowances if a.covers(role.logical_id, grant.action, grant.resource)), None
            )
            if allowance:
                result.allowed.append((grant, allowance))
            else:
                result.granted_unused.append(grant)
        results.append(result)
    return results


def render_markdown(
    results: Sequence[RoleAudit],
    allowances: Sequence[Allowance],
    resource_policies: Sequence[ResourcePolicy] = (),
) -> str:
    lines = [
        "# Permissions: granted versus used",
        "",
        "Generated by `python -m secaudit.audit --write` from `template.yaml` (every role's final",
        "policies, SAM policy templates expanded) and the calls each role made while the test suite ran on",
        "the local cloud. Do not edit: CI fails when this file is out of date.",
        "",
        "A grant is one action pattern on one resource of an Allow statement. **used**: a call by the role's",
        "own code or service matched it; **allowed**: never called by the code, kept for the reason given",
        "(`tools/secaudit/allowances.yaml`); anything else would fail the audit.",
        "",
    ]
    for result in results:
        users = ", ".join(result.used_by) or "-"
        lines += [f"## {result.role}", "", f"Acts for: {users}.", ""]
        lines += [*_render_trust(result.trust_policy), ""]
        lines += ["| action | resource | policy | status |", "|---|---|---|---|"]
        rows = [(g, "used") for g in result.granted_used]
        rows += [(g, f"allowed: [{allowance.name}](#{allowance.name})") for g, allowance in result.allowed]
        rows += [(g, "**UNUSED**") for g in result.granted_unused]
        for grant, status in sorted(rows, key=lambda row: (row[0].source, row[0].action, row[0].resource)):
            lines.append(f"| `{grant.action}` | `{grant.resource}` | {grant.source} | {status} |")
        for use, why in result.ungranted:
            lines.append(f"| `{use.action}` | `{use.resource}` | - | **CALLED BUT NOT GRANTED** ({why}) |")
        lines.append("")
    if resource_policies:
        lines += render_resource_policies(resource_policies)
    lines += ["## Why the unused grants stay", ""]
    for allowance in allowances:
        lines += [f"### {allowance.name}", "", allowance.reason, ""]
    return "\n".join(lines)


# Services that set aws:SourceArn and aws:SourceAccount when they assume a role for a resource: their
# roles' trust policies name that resource and this account (the cross-service confused deputy guard
# each documents). The others set no source to name, for the reason given.
SERVICES_WITHOUT_A_SOURCE = {
    "lambda.amazonaws.com": (
        "Lambda assumes an execution role for the function whose configuration names it and sets no "
        "`aws:SourceArn`; who may name the role in a function is decided by `iam:PassRole`."
    ),
    "apigateway.amazonaws.com": (
        "API Gateway's CloudWatch Logs role is an account-wide setting assumed for every API of the "
        "region: there is no one API to name."
    ),
}


def _render_trust(trust_policy: dict[str, Any]) -> list[str]:
    """One line per trust statement: who may assume the role, on which conditions, and why a service
    role that names no source does not."""
    lines = []
    statements = trust_policy.get("Statement", [])
    for statement in statements if isinstance(statements, list) else [statements]:
        if not isinstance(statement, dict) or "Principal" not in statement:
            continue
        principal = json.dumps(statement["Principal"], sort_keys=True)
        conditions = statement.get("Condition")
        if conditions:
            lines.append(f"Assumed by: `{principal}` when `{json.dumps(conditions, sort_keys=True)}`.")
            continue
        services = (
            statement["Principal"].get("Service", []) if isinstance(statement["Principal"], dict) else []
        )
        reasons = [
            SERVICES_WITHOUT_A_SOURCE[s]
            for s in ([services] if isinstance(services, str) else services)
            if s in SERVICES_WITHOUT_A_SOURCE
        ]
        lines.append(f"Assumed by: `{principal}`, on no condition. {' '.join(reasons)}".rstrip())
    return lines


def project_resource_policies(policies: StackPolicies) -> list[ResourcePolicy]:
    """The resource policies of template.yaml (``policies``) and of the web app's web/template.yaml."""
    web = stack_policies(load_template(WEB_TEMPLATE_PATH), stack_name=f"{LOCAL_STACK_NAME}-web")
    return [
        *resource_policies(policies, str(TEMPLATE_PATH.relative_to(REPOSITORY_ROOT))),
        *resource_policies(web, str(WEB_TEMPLATE_PATH.relative_to(REPOSITORY_ROOT))),
    ]


def write_reports(results: Sequence[RoleAudit], run: Run, directory: Path = REPORTS_PATH) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    observed_in = {"run": run.run_id, "finished": run.finished, "modules": list(run.modules)}
    (directory / "observed-in.json").write_text(json.dumps(observed_in, indent=1) + "\n", encoding="utf-8")
    for result in results:
        report = {
            "role": result.role,
            "usedBy": list(result.used_by),
            "used": [f"{g.action} on {g.resource} ({g.source})" for g in result.granted_used],
            "grantedButUnused": [f"{g.action} on {g.resource} ({g.source})" for g in result.granted_unused],
            "allowedWithReason": [
                {"grant": f"{g.action} on {g.resource} ({g.source})", "reason": allowance.reason}
                for g, allowance in result.allowed
            ],
            "calledButNotGranted": [f"{u.action} on {u.resource}: {why}" for u, why in result.ungranted],
            "generatedPolicy": result.generated_policy(),
        }
        (directory / f"{result.role}.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


PARTIAL_RUN = 2
"""The exit status when the observations cannot be judged (missing, or from a partial run)."""


def partial_run_message(run: Run, expected: Iterable[str]) -> str | None:
    """Why the run's observations cannot be judged, or None if every expected module ran and passed."""
    wanted = set(expected) | set(run.expected)
    missing = run.missing(wanted)
    if not missing and wanted:
        return None
    ran = len(wanted) - len(missing)
    tiers = " and ".join(OBSERVED_TIERS)
    lines = [
        f"partial run: only {ran} of {len(wanted)} modules of {tiers} ran and passed "
        f"(run {run.run_id[:12]}, finished {run.finished}); missing:",
        *(f"  {module}: {why}" for module, why in missing.items()),
        "A grant can only be judged unused once every one of those modules has run and passed (a grant that",
        "only the missing tests use would look unused), so nothing was judged or written: run `make pytest`.",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--usage", type=Path, default=USAGE_PATH, help="observed uses (written by tests/e2e)")
    parser.add_argument("--write", action="store_true", help="regenerate docs/permissions.md")
    args = parser.parse_args(argv)
    if not args.usage.is_file():
        print(
            f"error: {args.usage} is missing: run the whole test suite first (make pytest)", file=sys.stderr
        )
        return PARTIAL_RUN
    try:
        run, uses = read(args.usage)
    except (ObservationsError, ValueError, KeyError, TypeError) as error:
        print(f"error: {args.usage} cannot be read ({error}): run `make pytest`", file=sys.stderr)
        return PARTIAL_RUN
    partial = partial_run_message(run, observed_modules(REPOSITORY_ROOT))
    if partial is not None:
        print(partial, file=sys.stderr)
        return PARTIAL_RUN
    # The local cloud deploys the stack as "airline-local": the offline names then match the observed ones.
    policies = stack_policies(stack_name=LOCAL_STACK_NAME)
    allowances = load_allowances()
    results = audit(policies, uses, allowances)
    write_reports(results, run)
    markdown = render_markdown(results, allowances, project_resource_policies(policies)).rstrip("\n") + "\n"
    if args.write:
        DOCS_PATH.parent.mkdir(parents=True, exist_ok=True)
        DOCS_PATH.write_text(markdown, encoding="utf-8")
    failed = [result for result in results if result.failed]
    for result in failed:
        for grant in result.granted_unused:
            print(
                f"{result.role}: granted but never used: {grant.action} on {grant.resource} ({grant.source})"
            )
        for use, why in result.ungranted:
            print(f"{result.role}: called but not granted: {use.action} on {use.resource} ({why})")
    stale = not args.write and (not DOCS_PATH.is_file() or DOCS_PATH.read_text(encoding="utf-8") != markdown)
    if stale:
        where = DOCS_PATH.relative_to(REPOSITORY_ROOT)
        if failed:
            print(
                f"{where} does not show this audit: fix the findings above, then run the audit with --write"
            )
        else:
            print(f"{where} is out of date: run `python -m secaudit.audit --write`")
    roles = len(results)
    if failed or stale:
        where = REPORTS_PATH.relative_to(REPOSITORY_ROOT)
        print(f"audit FAILED ({len(failed)} of {roles} roles; reports in {where})")
        return 1
    print(
        f"audit passed: {roles} roles, every use granted, every unused grant explained "
        f"(observed in run {run.run_id[:12]}: {len(run.modules)} modules)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
