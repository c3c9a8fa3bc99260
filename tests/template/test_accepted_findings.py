"""Accepted linter findings: written down once, in the linters' own configuration when they hold for the
whole stack or on the one resource they concern, each with its section in docs/accepted-findings.md -
and template.yaml stays about the application, not about its linters.

A check skipped stack-wide would also pass every resource added later without anyone deciding it
should: the document names each resource a stack-wide skip covers, and these tests fail when a resource
of that kind is added without being named there. Where a reason is a property of the template (every
table is encrypted, no function is invoked asynchronously), a test here checks that property.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
import yaml

from tests.support.audit import CFN_LINT_CONFIG as GATE_CFN_LINT_CONFIG
from tests.support.audit import CHECKOV_CONFIG as GATE_CHECKOV_CONFIG
from tests.support.audit import VARIANTS
from tests.support.template import REPOSITORY_ROOT, WEB_TEMPLATE_PATH, load_template, project_template

TEMPLATE_PATH = REPOSITORY_ROOT / "template.yaml"
DEPLOY_TEMPLATE_PATH = REPOSITORY_ROOT / "deploy" / "github-oidc-deploy-role.yaml"
TEMPLATES = (TEMPLATE_PATH, WEB_TEMPLATE_PATH, DEPLOY_TEMPLATE_PATH)
DOC_PATH = REPOSITORY_ROOT / "docs" / "accepted-findings.md"
CHECKOV_CONFIG = REPOSITORY_ROOT / ".checkov.yaml"
CFN_LINT_CONFIG = REPOSITORY_ROOT / ".cfnlintrc.yaml"

MAX_SUPPRESSION_SHARE = 0.10
SUPPRESSION_KEYS = ("checkov", "cfn-lint")

# The resource types each check accepted stack-wide applies to: the document must name every resource
# of these types, so that a resource added later is accepted by a decision, not by default.
STACK_WIDE_SCOPE: Mapping[str, tuple[str, ...]] = {
    "CKV_AWS_119": ("AWS::DynamoDB::Table",),
    "CKV_AWS_27": ("AWS::SQS::Queue",),
    "CKV_AWS_158": ("AWS::Logs::LogGroup",),
    "CKV_AWS_173": ("AWS::Serverless::Function", "AWS::Lambda::Function"),
    "CKV_AWS_117": ("AWS::Serverless::Function", "AWS::Lambda::Function"),
    "CKV_AWS_116": ("AWS::Serverless::Function", "AWS::Lambda::Function"),
    "CKV_AWS_115": ("AWS::Serverless::Function", "AWS::Lambda::Function"),
}
SECTION_FIELDS = (
    "Accepted",
    "Resources",
    "The check wants",
    "Why accepted",
    "What compensates",
    "What would change it",
)
SECRET_LIKE = re.compile(r"KEY|SECRET|TOKEN|PASSWORD|PASSPHRASE|CREDENTIAL|PRIVATE", re.IGNORECASE)
# SAM event types that invoke a function asynchronously (Lambda then retries and drops, or sends to a
# dead-letter queue, on its own). The stack's functions use Api only (and an SQS event source mapping).
SYNCHRONOUS_EVENT_TYPES = {"Api", "HttpApi"}


# ---------------------------------------------------------------- reading the decisions


def _stack_wide_checkov() -> set[str]:
    config = yaml.safe_load(CHECKOV_CONFIG.read_text(encoding="utf-8")) or {}
    skips = config.get("skip-check", [])
    return {str(check) for check in (skips.split(",") if isinstance(skips, str) else skips)}


def _stack_wide_cfn_lint() -> set[str]:
    config = yaml.safe_load(CFN_LINT_CONFIG.read_text(encoding="utf-8")) or {}
    return {str(rule) for rule in config.get("ignore_checks", []) or []}


def _per_resource(template: Mapping[str, Any]) -> Iterator[tuple[str, str, str]]:
    """(check id, logical id, reason) of each suppression in the template's resources' Metadata."""
    for logical_id, resource in template.get("Resources", {}).items():
        metadata = resource.get("Metadata") or {}
        for skip in metadata.get("checkov", {}).get("skip", []):
            yield str(skip["id"]), logical_id, str(skip.get("comment", ""))
        for rule in metadata.get("cfn-lint", {}).get("config", {}).get("ignore_checks", []):
            yield str(rule), logical_id, ""


def _per_resource_everywhere() -> dict[str, set[str]]:
    """Check id -> the resources (of any of the project's templates) that accept it on themselves."""
    accepted: dict[str, set[str]] = {}
    for path in TEMPLATES:
        for check, logical_id, _ in _per_resource(load_template(path)):
            accepted.setdefault(check, set()).add(logical_id)
    return accepted


def _doc_sections() -> dict[str, dict[str, str]]:
    """Check id -> its fields (``- **Field:** text``), from the document's ``### ID`` sections."""
    sections: dict[str, dict[str, str]] = {}
    current: dict[str, str] | None = None
    field = ""
    for line in DOC_PATH.read_text(encoding="utf-8").splitlines():
        heading = re.fullmatch(r"### (\S+)", line)
        if heading:
            current = sections.setdefault(heading[1], {})
            continue
        if line.startswith("## "):
            current = None
        if current is None:
            continue
        item = re.match(r"- \*\*(.+?):\*\* ?(.*)", line)
        if item:
            field = item[1]
            current[field] = item[2]
        elif line.startswith("  ") and field in current:
            current[field] += " " + line.strip()
    return sections


def _named_resources(text: str) -> set[str]:
    return set(re.findall(r"`([A-Z][A-Za-z0-9]+)`", text))


# ---------------------------------------------------------------- how much of template.yaml is linter talk


def suppression_lines(text: str) -> dict[str, int]:
    """Lines of each resource's suppression ``Metadata`` (its checkov and cfn-lint entries, with the
    comments among them; the ``Metadata:`` line too when nothing else is in it)."""
    lines = text.splitlines()
    counts: dict[str, int] = {}
    in_resources = False
    resource = ""
    index = 0
    while index < len(lines):
        line = lines[index]
        if re.match(r"^\S", line):
            in_resources = line.startswith("Resources:")
        elif in_resources and (match := re.match(r"^  ([A-Za-z0-9]+):", line)):
            resource = match[1]
        elif in_resources and line.rstrip() == "    Metadata:":
            end = index + 1
            while end < len(lines) and (not lines[end].strip() or lines[end].startswith("      ")):
                end += 1
            block = lines[index + 1 : end]
            keys = [entry for entry in block if re.match(r"^      [^\s#]", entry)]
            counted = 0
            pending_comments = 0
            suppression = False
            for entry in block:
                if re.match(r"^      #", entry):
                    pending_comments += 1
                    continue
                if re.match(r"^      \S", entry):
                    suppression = entry.strip().split(":", 1)[0] in SUPPRESSION_KEYS
                    counted += pending_comments + 1 if suppression else 0
                    pending_comments = 0
                elif entry.strip() and suppression:
                    counted += 1
            if keys and all(entry.strip().split(":", 1)[0] in SUPPRESSION_KEYS for entry in keys):
                counted += 1  # the Metadata line itself
            if counted:
                counts[resource] = counts.get(resource, 0) + counted
            index = end
            continue
        index += 1
    return counts


def _share_report(text: str) -> tuple[float, str]:
    counts = suppression_lines(text)
    total = len(text.splitlines())
    share = sum(counts.values()) / total
    heaviest = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:5]
    named = ", ".join(f"{logical_id} ({lines} lines)" for logical_id, lines in heaviest)
    return share, f"{sum(counts.values())} of {total} lines ({share:.1%}); heaviest: {named}"


def test_suppression_metadata_is_under_a_tenth_of_the_template() -> None:
    share, report = _share_report(TEMPLATE_PATH.read_text(encoding="utf-8"))

    assert share < MAX_SUPPRESSION_SHARE, (
        f"linter suppressions are {report}. Move a reason that holds stack-wide to .checkov.yaml or "
        ".cfnlintrc.yaml, and a reason to docs/accepted-findings.md, leaving one line on the resource."
    )


def test_the_measure_counts_suppressions_and_names_the_heaviest_resources() -> None:
    essay = "\n".join(
        [
            "Resources:",
            "  Topic:",
            "    Type: AWS::SNS::Topic",
            "    Metadata:",
            "      # why, at length",
            "      checkov:",
            "        skip:",
            "          - id: CKV_AWS_26",
            "            comment: >-",
            "              a paragraph",
            "              pasted again",
            "      cfn-lint: {config: {ignore_checks: [E1]}}",
            "    Properties: {}",
            "  Function:",
            "    Type: AWS::Serverless::Function",
            "    Metadata:",
            "      BuildMethod: makefile",
            "      checkov: {skip: [{id: CKV_AWS_115}]}",
            "    Properties: {}",
            "Outputs: {}",
        ]
    )

    assert suppression_lines(essay) == {"Topic": 9, "Function": 1}
    share, report = _share_report(essay)
    assert share == 10 / 20
    assert report.startswith("10 of 20 lines (50.0%); heaviest: Topic (9 lines), Function (1 lines)")


# ---------------------------------------------------------------- the document and the decisions agree


def test_every_accepted_check_has_its_section_and_every_section_is_in_use() -> None:
    accepted = _stack_wide_checkov() | _stack_wide_cfn_lint() | set(_per_resource_everywhere())

    assert set(_doc_sections()) == accepted


def unnamed_by_stack_wide_skips(template: Mapping[str, Any]) -> dict[str, set[str]]:
    """Check id -> the template's resources its stack-wide skip covers that the document does not name."""
    sections = _doc_sections()
    unnamed = {}
    for check, types in STACK_WIDE_SCOPE.items():
        covered = {
            logical_id for logical_id, resource in template["Resources"].items() if resource["Type"] in types
        }
        missing = covered - _named_resources(sections[check]["Resources"])
        if missing:
            unnamed[check] = missing
    return unnamed


def test_a_stack_wide_skip_names_every_resource_it_covers() -> None:
    unnamed = unnamed_by_stack_wide_skips(project_template())

    assert not unnamed, (
        "skipped for the whole stack, and nobody decided it for: "
        + "; ".join(f"{check}: {', '.join(sorted(ids))}" for check, ids in sorted(unnamed.items()))
        + ". Check the reason in docs/accepted-findings.md holds for them and name them there, or give "
        "them what the check asks for."
    )


def test_a_table_added_is_accepted_only_once_named() -> None:
    # The linters pass the new table (tests/security/test_static_gate_variants.py): this test does not.
    assert unnamed_by_stack_wide_skips(VARIANTS["table_added"](None)) == {
        "CKV_AWS_119": {"RefundRequestTable"}
    }


@pytest.mark.parametrize("check", sorted(STACK_WIDE_SCOPE))
def test_a_stack_wide_section_names_only_resources_of_its_scope(check: str) -> None:
    resources = project_template()["Resources"]
    covered = {
        logical_id
        for logical_id, resource in resources.items()
        if resource["Type"] in STACK_WIDE_SCOPE[check]
    }
    section = _doc_sections()[check]

    assert "stack-wide" in section["Accepted"]
    assert _named_resources(section["Resources"]) <= covered


def test_every_stack_wide_skip_has_a_known_scope() -> None:
    assert _stack_wide_checkov() | _stack_wide_cfn_lint() == set(STACK_WIDE_SCOPE)


def test_a_per_resource_acceptance_names_exactly_the_resources_that_carry_it() -> None:
    sections = _doc_sections()

    for check, carriers in _per_resource_everywhere().items():
        assert "on " in sections[check]["Accepted"], check
        assert _named_resources(sections[check]["Resources"]) == carriers, check


def test_every_section_answers_every_question() -> None:
    for check, fields in _doc_sections().items():
        missing = [name for name in SECTION_FIELDS if not fields.get(name, "").strip()]
        assert not missing, f"{check}: no {', '.join(missing)}"


def test_a_reason_on_a_resource_is_one_short_line() -> None:
    for check, logical_id, reason in _per_resource(project_template()):
        assert "\n" not in reason.strip(), f"{logical_id} {check}: {reason!r}"
        assert len(reason) <= 100, f"{logical_id} {check}: {reason!r}"


def test_no_check_is_accepted_both_stack_wide_and_on_a_resource() -> None:
    stack_wide = _stack_wide_checkov() | _stack_wide_cfn_lint()

    assert stack_wide.isdisjoint(_per_resource_everywhere())


# ---------------------------------------------------------------- the reasons that are template properties


def test_every_table_and_queue_is_encrypted_at_rest() -> None:
    for logical_id, resource in project_template()["Resources"].items():
        properties = resource.get("Properties", {})
        if resource["Type"] == "AWS::DynamoDB::Table":
            assert properties.get("SSESpecification", {}).get("SSEEnabled") is True, logical_id
        if resource["Type"] == "AWS::SQS::Queue":
            assert properties.get("SqsManagedSseEnabled") is True or "KmsMasterKeyId" in properties, (
                logical_id
            )


def test_no_environment_variable_holds_a_secret() -> None:
    template = project_template()
    environments = [template.get("Globals", {}).get("Function", {}).get("Environment", {})]
    environments += [
        resource.get("Properties", {}).get("Environment", {})
        for resource in template["Resources"].values()
        if resource["Type"] in ("AWS::Serverless::Function", "AWS::Lambda::Function")
    ]

    names = [name for environment in environments for name in environment.get("Variables", {})]
    assert names
    assert [name for name in names if SECRET_LIKE.search(name)] == []


def test_functions_log_no_event_payloads() -> None:
    variables = project_template()["Globals"]["Function"]["Environment"]["Variables"]

    assert variables["POWERTOOLS_LOGGER_LOG_EVENT"] == "false"
    for resource in project_template()["Resources"].values():
        own = resource.get("Properties", {}).get("Environment", {}).get("Variables", {})
        assert own.get("POWERTOOLS_LOGGER_LOG_EVENT", "false") == "false"


def test_no_function_is_invoked_asynchronously() -> None:
    resources = project_template()["Resources"]
    functions = {
        logical_id
        for logical_id, resource in resources.items()
        if resource["Type"] == "AWS::Serverless::Function"
    }

    for logical_id in functions:
        properties = resources[logical_id]["Properties"]
        events = properties.get("Events", {})
        assert {event["Type"] for event in events.values()} <= SYNCHRONOUS_EVENT_TYPES, logical_id
        assert "EventInvokeConfig" not in properties, logical_id
    for logical_id, resource in resources.items():
        if resource["Type"] == "AWS::Lambda::EventSourceMapping":
            # Polled from an SQS queue: a synchronous invocation, failures redriven by the queue.
            source = resource["Properties"]["EventSourceArn"]["Fn::GetAtt"][0]
            assert resources[source]["Type"] == "AWS::SQS::Queue", logical_id
            assert "RedrivePolicy" in resources[source]["Properties"], source
        if resource["Type"] == "AWS::Lambda::Permission":
            # Only API Gateway may invoke a function through its resource policy (S3, SNS... invoke
            # asynchronously).
            assert resource["Properties"]["Principal"] == "apigateway.amazonaws.com", logical_id
        if resource["Type"] == "AWS::SNS::Subscription":
            assert resource["Properties"]["Protocol"] != "lambda", logical_id


def test_the_static_gate_uses_the_files_this_test_reads() -> None:
    # The gate's defaults are the configuration files read above, wherever the gate is run from.
    assert (GATE_CHECKOV_CONFIG, GATE_CFN_LINT_CONFIG) == (CHECKOV_CONFIG, CFN_LINT_CONFIG)
