"""What each role of the stack actually did, as observed by the local cloud while the tests ran.

Only calls the stack's own code and services made count: a function's worker or its event source
mapping (role session named after the function), the state machine (``StepFunctions-execution``),
AppSync's data sources (``APPSYNC_ASSUME_ROLE``). Calls that tests make with a role's credentials to
probe its boundaries do not (their sessions are named otherwise).

Resources are written with the template's logical ids in place of physical names
(``arn:aws:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${BookingTable}``), so uses observed on any
deployment compare with the policies of ``template.yaml``.

The observations of one test session are written with its :class:`Run`: which modules of the observed
tiers fed them, and whether every module of those tiers ran and passed. A grant that looks unused
after a partial run may only be unused by the tests that ran, so the audit judges complete runs only.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from stacktools.project import REPOSITORY_ROOT

# Only for annotations: the test-session plugin (secaudit.pytest_support) imports this module in every
# pytest process, and the local cloud's modules (moto, boto3) are seconds of start-up it does not need.
if TYPE_CHECKING:
    from localcloud.cloud import LocalCloud
    from localcloud.deploy import DeployedStack
    from stacktools.intrinsics import Resolver

USAGE_PATH = REPOSITORY_ROOT / "reports" / "observed-access.json"
"""Where a test run's observations are written, for ``secaudit.audit`` to read."""

APPSYNC_SESSION = "APPSYNC_ASSUME_ROLE"


@dataclass(frozen=True, order=True)
class Use:
    role: str
    """The role's logical id."""
    action: str
    resource: str
    """The resource ARN with ``${LogicalId}`` / ``${AWS::...}`` placeholders."""
    allowed: bool


def placeholders(resolver: Resolver, logical_ids: Iterable[str]) -> list[tuple[str, str]]:
    """(physical value, placeholder) pairs, longest value first so ARNs win over the names in them."""
    pairs: dict[str, str] = {}
    for logical_id in logical_ids:
        physical = resolver.refs.get(logical_id)
        if physical and len(physical) > 3:
            pairs.setdefault(physical, f"${{{logical_id}}}")
    for (logical_id, attribute), value in resolver.attributes.items():
        if value and len(value) > 3:
            pairs.setdefault(value, f"${{{logical_id}.{attribute}}}")
    pairs[f":{resolver.region}:"] = ":${AWS::Region}:"
    pairs[f":{resolver.account_id}:"] = ":${AWS::AccountId}:"
    return sorted(pairs.items(), key=lambda pair: -len(pair[0]))


def templated(resource: str, pairs: list[tuple[str, str]]) -> str:
    """One pass, longest value first: a placeholder is never rewritten by a shorter value inside it."""
    if not pairs:
        return resource
    pattern, lookup = _substitution(tuple(pairs))
    return pattern.sub(lambda match: lookup[match.group(0)], resource)


@lru_cache(maxsize=16)
def _substitution(pairs: tuple[tuple[str, str], ...]) -> tuple[re.Pattern[str], dict[str, str]]:
    """The pattern matching any of the values, and the placeholder of each: made once per set of
    pairs, as one stack's records are templated by the thousand and building it costs more than using it."""
    pattern = re.compile("|".join(re.escape(physical) for physical, _ in pairs))
    return pattern, dict(pairs)


def _role_of(role_arn: str, stack: DeployedStack) -> str | None:
    for role in stack.of_type("AWS::IAM::Role"):
        if stack.resolver is not None and stack.resolver.attributes.get((role.logical_id, "Arn")) == role_arn:
            return role.logical_id
    return None


def _service_session(caller_arn: str, stack: DeployedStack) -> bool:
    # Imported here, not above: see the annotations' imports.
    from localcloud.service_integrations import STATE_MACHINE_SESSION  # noqa: PLC0415

    session = caller_arn.rsplit("/", 1)[-1]
    functions = {function.physical_id for function in stack.of_type("AWS::Lambda::Function")}
    return session in functions or session in (STATE_MACHINE_SESSION, APPSYNC_SESSION)


def uses_of(cloud: LocalCloud) -> set[Use]:
    stack = cloud.stack
    if stack is None:
        return set()
    assert stack.resolver is not None
    pairs = placeholders(stack.resolver, stack.resources)
    found: set[Use] = set()
    for record in cloud.enforcement.records:
        role = _role_of(record.principal_arn, stack)
        if role is None or not _service_session(record.caller_arn, stack):
            continue
        found.add(Use(role, record.action, templated(record.resource, pairs), record.allowed))
    for api in cloud.rest_apis.values():
        for request in api.records:
            caller_arn = str(request.identity.get("userArn") or "")
            if not (request.resource_arn and request.resource_path and _service_session(caller_arn, stack)):
                continue
            role = _role_of(role_arn_of_session(caller_arn, stack.account_id), stack)
            if role is None:
                continue
            # The route, not the customer: path parameters become "*", as the grant writes them.
            route = re.sub(r"\{[^}]+\}", "*", request.resource_path)
            stage_arn = request.resource_arn.split(f"/{request.http_method}/", 1)[0]
            arn = f"{stage_arn}/{request.http_method}{route}"
            found.add(Use(role, "execute-api:Invoke", templated(arn, pairs), request.status < 400))
    return found


def role_arn_of_session(session_arn: str, account_id: str) -> str:
    """``arn:aws:sts::ACCOUNT:assumed-role/NAME/SESSION`` -> ``arn:aws:iam::ACCOUNT:role/NAME``
    (the stack's roles have the default path)."""
    name = session_arn.split(":assumed-role/", 1)[-1].split("/", 1)[0]
    return f"arn:aws:iam::{account_id}:role/{name}"


OBSERVED_TIERS = ("tests/e2e", "tests/attacks")
"""The test tiers whose local clouds feed the audit (paths from the repository's root)."""


def observed_modules(root: Path, tiers: Iterable[str] = OBSERVED_TIERS) -> set[str]:
    """Every test module of the observed tiers on disk, as paths from the repository's root."""
    return {
        path.relative_to(root).as_posix()
        for tier in tiers
        for path in sorted((root / tier).glob("test_*.py"))
    }


@dataclass(frozen=True)
class Run:
    """The test session that made a set of observations."""

    run_id: str
    finished: str
    """When the session ended (ISO 8601, UTC)."""
    modules: tuple[str, ...]
    """The modules of the observed tiers the session collected: their local clouds fed the observations."""
    not_passed: Mapping[str, str] = field(default_factory=dict)
    """Module -> why it does not count (not collected, tests failed, skipped or deselected)."""
    expected: tuple[str, ...] = ()
    """Every module of the observed tiers when the session ran."""

    @property
    def passed(self) -> tuple[str, ...]:
        return tuple(module for module in self.modules if module not in self.not_passed)

    def missing(self, expected: Iterable[str]) -> dict[str, str]:
        """Each expected module that did not run and pass in this session, and why."""
        return {
            module: self.not_passed.get(module, "not collected")
            for module in sorted(expected)
            if module not in self.passed
        }

    @property
    def complete(self) -> bool:
        return bool(self.expected) and not self.missing(self.expected)


def write(uses: Iterable[Use], run: Run, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "run": {
            "id": run.run_id,
            "finished": run.finished,
            "tiers": list(OBSERVED_TIERS),
            "complete": run.complete,
            "modules": sorted(run.modules),
            "notPassed": dict(sorted(run.not_passed.items())),
            "expected": sorted(run.expected),
        },
        "uses": [asdict(use) for use in sorted(set(uses))],
    }
    path.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")


class ObservationsError(ValueError):
    """The observations file cannot be read as one run's observations."""


def read(path: Path) -> tuple[Run, set[Use]]:
    document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    recorded = document.get("run")
    if not isinstance(recorded, dict):
        raise ObservationsError(f"{path} names no test run (it was written by an older version of the tests)")
    run = Run(
        run_id=str(recorded["id"]),
        finished=str(recorded["finished"]),
        modules=tuple(recorded["modules"]),
        not_passed=dict(recorded["notPassed"]),
        expected=tuple(recorded["expected"]),
    )
    return run, {Use(**use) for use in document["uses"]}
