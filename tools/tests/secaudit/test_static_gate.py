"""The static gate's own machinery: how it runs each tool, reads its answer and applies allowances."""

from __future__ import annotations

import copy
import json
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from secaudit import static_gate
from secaudit.findings import Finding
from secaudit.policies import RolePolicies
from secaudit.static_gate import (
    Allowance,
    AllowanceError,
    Gate,
    GateError,
    GateReport,
    MissingToolError,
    load_allowances,
    prepare_translated,
    run_cfn_lint,
    run_checkov,
    run_parliament,
    run_sam_validate,
)
from stacktools.template import REPOSITORY_ROOT, project_template
from stacktools.translate import translate

LOG_WRITES = ("logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents")


def _parliament(rule: str, role: str, document: str, details: tuple[str, ...] = ()) -> Finding:
    return Finding(Gate.PARLIAMENT, rule, role, rule, document=document, details=details)


# ---------------------------------------------------------------- allowances


def test_allowances_are_read_from_their_section_of_the_shared_file(tmp_path: Path) -> None:
    path = tmp_path / "allowances.yaml"
    path.write_text(
        """
unused_grants:            # another audit's section, left alone
  - {roles: "*", actions: [x:Y], resource: "*", reason: r}
parliament:
  - issue: RESOURCE_STAR
    managed_policy: AWSLambdaBasicExecutionRole
    actions: [logs:CreateLogGroup, logs:CreateLogStream, logs:PutLogEvents]
    reason: attached by SAM
  - issue: NO_VERSION
    role: NotifyBookingFunctionRole
    policy: inline:NotifyBookingFunctionRolePolicy0
    reason: a SAM policy template without Version
""",
        encoding="utf-8",
    )

    allowances = load_allowances(path)

    managed = Allowance(
        "RESOURCE_STAR",
        "attached by SAM",
        managed_policy="AWSLambdaBasicExecutionRole",
        actions=frozenset(LOG_WRITES),
    )
    document = Allowance(
        "NO_VERSION",
        "a SAM policy template without Version",
        role="NotifyBookingFunctionRole",
        policy="inline:NotifyBookingFunctionRolePolicy0",
    )
    assert allowances == (managed, document)


def test_no_allowance_file_allows_nothing(tmp_path: Path) -> None:
    assert load_allowances(tmp_path / "absent.yaml") == ()


@pytest.mark.parametrize(
    "entry",
    [
        "{issue: RESOURCE_STAR, managed_policy: P}",  # no reason
        "{issue: RESOURCE_STAR, managed_policy: P, reason: '  '}",  # an empty reason
        "{issue: RESOURCE_STAR, reason: r}",  # no scope
        "{issue: RESOURCE_STAR, managed_policy: P, role: R, policy: D, reason: r}",  # two scopes
        "{issue: RESOURCE_STAR, role: R, reason: r}",  # a role without its document
        "{issue: RESOURCE_STAR, managed_policy: P, actions: logs:PutLogEvents, reason: r}",  # not a list
        "{issue: RESOURCE_STAR, managed_policy: P, reason: r, because: typo}",  # an unknown key
    ],
)
def test_a_malformed_allowance_stops_the_gate(tmp_path: Path, entry: str) -> None:
    path = tmp_path / "allowances.yaml"
    path.write_text(f"parliament:\n  - {entry}\n", encoding="utf-8")

    with pytest.raises(AllowanceError):
        load_allowances(path)


def test_a_managed_policy_allowance_covers_only_the_actions_it_lists() -> None:
    allowance = Allowance(
        "RESOURCE_STAR", "r", managed_policy="AWSLambdaBasicExecutionRole", actions=frozenset(LOG_WRITES)
    )
    document = "managed:AWSLambdaBasicExecutionRole"

    assert allowance.allows(_parliament("RESOURCE_STAR", "AnyFunctionRole", document, LOG_WRITES))
    # The managed policy grew an action: the old allowance no longer covers the finding.
    grown = (*LOG_WRITES, "logs:DeleteLogGroup")
    assert not allowance.allows(_parliament("RESOURCE_STAR", "AnyFunctionRole", document, grown))
    assert not allowance.allows(_parliament("RESOURCE_STAR", "R", "inline:Mine", LOG_WRITES))
    assert not allowance.allows(_parliament("UNKNOWN_ACTION", "R", document, LOG_WRITES))


def test_a_document_allowance_covers_that_document_of_that_role_only() -> None:
    allowance = Allowance("NO_VERSION", "r", role="NotifyBookingFunctionRole", policy="inline:P0")

    assert allowance.allows(_parliament("NO_VERSION", "NotifyBookingFunctionRole", "inline:P0"))
    assert not allowance.allows(_parliament("NO_VERSION", "OtherRole", "inline:P0"))
    assert not allowance.allows(_parliament("NO_VERSION", "NotifyBookingFunctionRole", "inline:P1"))
    assert not allowance.allows(Finding(Gate.CHECKOV_SAM, "NO_VERSION", "NotifyBookingFunctionRole", "m"))


# ---------------------------------------------------------------- what the scanners see


def test_the_translated_template_carries_the_suppressions_of_the_sam_resource_it_came_from() -> None:
    template = copy.deepcopy(project_template())
    skip = {"checkov": {"skip": [{"id": "CKV_AWS_120", "comment": "why"}]}}
    template["Resources"]["LoyaltyApi"]["Metadata"] = skip

    prepared = prepare_translated(translate(template), template)

    resources = prepared["Resources"]
    # SAM keeps Metadata on the resource that keeps the logical id; the gate adds it to the stage
    # (and the deployment) SAM generated from the same API.
    assert resources["LoyaltyApi"]["Metadata"] == skip
    assert resources["LoyaltyApiStage"]["Metadata"] == skip
    # Nothing is invented for resources whose source has no suppressions.
    assert "Metadata" not in resources["BookingStateMachineRole"]
    # A resource of the SAM template keeps exactly its own Metadata.
    assert resources["IngestLoyaltyEventSource"]["Metadata"] == {
        "cfn-lint": {"config": {"ignore_checks": ["ES1001"]}}
    }


def test_the_translated_template_has_s3_locations_as_after_sam_package() -> None:
    prepared = prepare_translated(translate(), project_template())

    schema = prepared["Resources"]["GraphQLSchema"]["Properties"]
    assert schema["DefinitionS3Location"] == "s3://local-artifacts/graphql/schema.graphql"
    resolver = prepared["Resources"]["GetLoyaltyResolver"]["Properties"]
    assert resolver["CodeS3Location"] == "s3://local-artifacts/graphql/resolvers/Query.getLoyalty.js"


def test_a_missing_tool_environment_names_the_command_that_builds_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(static_gate, "CHECKOV_ENV", REPOSITORY_ROOT / ".tools" / "absent")

    with pytest.raises(MissingToolError, match=r"\.tools/absent.*make setup"):
        run_checkov({Path("template.yaml"): Gate.CHECKOV_SAM})


@pytest.mark.static_gate
def test_cfn_lint_applies_the_repository_rules_to_a_template_anywhere(tmp_path: Path) -> None:
    template = tmp_path / "elsewhere.yaml"
    template.write_text(
        "Transform: AWS::Serverless-2016-10-31\n"
        "Resources:\n"
        "  Fn:\n"
        "    Type: AWS::Serverless::Function\n"
        "    Properties: {Runtime: python3.13, Handler: app.handler, CodeUri: s3://bucket/key.zip}\n",
        encoding="utf-8",
    )

    findings = run_cfn_lint({template: "cfn-lint/test"})[template.resolve()]

    # WS1000 (tracing) and ES1005/ES1006 (memory, timeout) come from the appended serverless rules.
    assert {"WS1000", "ES1005", "ES1006"} <= {finding.rule for finding in findings}
    assert {finding.location.split(":")[0] for finding in findings} == {"elsewhere.yaml"}
    assert {finding.gate for finding in findings} == {"cfn-lint/test"}


# A table encrypted with the AWS managed key (CKV_AWS_119 wants a customer managed one) and without
# point-in-time recovery (CKV_AWS_28).
TABLE_TEMPLATE = """\
Resources:
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
      KeySchema: [{AttributeName: id, KeyType: HASH}]
      SSESpecification: {SSEEnabled: true}
"""


@pytest.mark.static_gate
def test_checkov_honours_the_skips_of_its_configuration_file_and_only_those(tmp_path: Path) -> None:
    template = tmp_path / "table.yaml"
    template.write_text(TABLE_TEMPLATE, encoding="utf-8")
    nothing_skipped = tmp_path / "nothing.yaml"
    nothing_skipped.write_text("skip-check: []\n", encoding="utf-8")

    unskipped = {
        finding.rule
        for finding in run_checkov({template: "checkov/test"}, config=nothing_skipped)[template.resolve()]
    }
    # The gate's default is the repository's .checkov.yaml, which skips CKV_AWS_119 stack-wide and
    # nothing the table breaks besides (a third checkov run, with a configuration of its own that skips
    # the same rule, would show nothing more: checkov's start-up costs more than its scan).
    default = {finding.rule for finding in run_checkov({template: "checkov/test"})[template.resolve()]}

    assert {"CKV_AWS_119", "CKV_AWS_28"} <= unskipped
    assert "CKV_AWS_119" not in default
    assert default == unskipped - {"CKV_AWS_119"}


@pytest.mark.static_gate
def test_cfn_lint_honours_the_ignored_rules_of_its_configuration_file_and_only_those(tmp_path: Path) -> None:
    template = tmp_path / "function.yaml"
    template.write_text(
        "Transform: AWS::Serverless-2016-10-31\n"
        "Resources:\n"
        "  Fn:\n"
        "    Type: AWS::Serverless::Function\n"
        "    Properties: {Runtime: python3.13, Handler: app.handler, CodeUri: s3://bucket/key.zip}\n",
        encoding="utf-8",
    )
    config = tmp_path / ".cfnlintrc.yaml"
    config.write_text(
        "append_rules: [cfn_lint_serverless.rules]\nignore_checks: [ES1005]\n", encoding="utf-8"
    )

    found = {
        finding.rule
        for finding in run_cfn_lint({template: "cfn-lint/test"}, config=config)[template.resolve()]
    }

    assert "ES1005" not in found
    assert {"ES1006", "WS1000"} <= found


def test_a_missing_configuration_file_stops_the_gate(tmp_path: Path) -> None:
    template = tmp_path / "table.yaml"
    template.write_text(TABLE_TEMPLATE, encoding="utf-8")

    with pytest.raises(GateError, match="configuration"):
        run_checkov({template: "checkov/test"}, config=tmp_path / "absent.yaml")
    with pytest.raises(GateError, match="configuration"):
        run_cfn_lint({template: "cfn-lint/test"}, config=tmp_path / "absent.yaml")


@pytest.mark.static_gate
def test_checkov_cannot_parse_a_template_is_a_finding_not_a_pass(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("Resources:\n  A: [\n", encoding="utf-8")

    findings = run_checkov({broken: Gate.CHECKOV_SAM})[broken.resolve()]

    assert [finding.rule for finding in findings] == ["PARSING_ERROR"]


@pytest.mark.static_gate
def test_parliament_findings_stay_with_their_own_document() -> None:
    # parliament's --directory would report this NO_VERSION against the first file it read.
    def role(logical_id: str, document: dict[str, object]) -> RolePolicies:
        arn = f"arn:aws:iam::123456789012:role/{logical_id}"
        return RolePolicies(logical_id, arn, used_by=(), trust_policy={}, inline={"Policy": document})

    topic = "arn:aws:sns:eu-west-1:123456789012:topic"
    statement = {"Effect": "Allow", "Action": "sns:Publish", "Resource": topic}
    roles = {
        "ARole": role("ARole", {"Version": "2012-10-17", "Statement": [statement]}),
        "BRole": role("BRole", {"Statement": [statement]}),
        "CRole": role("CRole", {"Version": "2012-10-17", "Statement": [statement]}),
    }

    findings = run_parliament({Path("t"): roles})[Path("t")]

    assert [(f.rule, f.resource, f.document) for f in findings] == [("NO_VERSION", "BRole", "inline:Policy")]


def _function_template(directory: Path, policy: str) -> Path:
    directory.mkdir()
    template = directory / "template.yaml"
    template.write_text(
        "Transform: AWS::Serverless-2016-10-31\n"
        "Resources:\n"
        "  Fn:\n"
        "    Type: AWS::Serverless::Function\n"
        "    Properties:\n"
        "      Runtime: python3.13\n"
        "      Handler: app.handler\n"
        "      CodeUri: src/\n"
        f"      Policies: [{{{policy}: {{TopicName: topic}}}}]\n",
        encoding="utf-8",
    )
    return template


@pytest.mark.static_gate
def test_sam_validate_checks_each_template_without_lint_even_where_samconfig_asks_for_it(
    tmp_path: Path,
) -> None:
    # The project's samconfig.toml turns `--lint` on for `sam validate`; linting replaces SAM's own
    # translation, which alone rejects a misspelled policy template.
    misspelled = _function_template(tmp_path / "project", "SNSPublishMessagePolicyy")
    (misspelled.parent / "samconfig.toml").write_text(
        "version = 0.1\n[default.validate.parameters]\nlint = true\n", encoding="utf-8"
    )
    valid = _function_template(tmp_path / "other", "SNSPublishMessagePolicy")

    findings = run_sam_validate([misspelled, valid])

    assert [(f.gate, f.rule, f.resource) for f in findings[misspelled.resolve()]] == [
        (Gate.SAM_VALIDATE, "InvalidSamDocument", "Fn")
    ]
    assert findings[valid.resolve()] == []


@pytest.mark.parametrize(
    ("answers", "returncode", "error"),
    [
        # The SAM CLI refused the template for another reason than its content (not found, no region).
        (
            '{"key": "00000", "valid": null, "error": "SamTemplateNotFoundException: not found"}',
            0,
            "could not",
        ),
        # It stopped before answering for every template.
        ("", 1, "exited 1"),
        ('{"key": "00000", "valid": true} not json', 0, "unreadable"),
    ],
)
def test_sam_validate_without_an_answer_for_every_template_stops_the_gate(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, answers: str, returncode: int, error: str
) -> None:
    def answered(command: list[str], **_: object) -> subprocess.CompletedProcess[str]:
        return subprocess.CompletedProcess(command, returncode, stdout=answers, stderr="Traceback ...")

    monkeypatch.setattr(subprocess, "run", answered)

    with pytest.raises(GateError, match=error):
        run_sam_validate([tmp_path / "template.yaml"])


# ---------------------------------------------------------------- one process of each tool


def test_extra_scans_share_each_tools_one_run_and_keep_their_own_findings(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    gate_template = REPOSITORY_ROOT / "template.yaml"
    extra = (tmp_path / "roles.yaml").resolve()
    runs: dict[str, list[Path]] = {}

    def fake_tool(name: str, gate: str) -> Any:
        def run(targets: Mapping[Path, Any] | Sequence[Path], **_: object) -> dict[Path, list[Finding]]:
            runs.setdefault(name, []).extend(Path(target).resolve() for target in targets)
            found: dict[Path, list[Finding]] = {Path(target): [] for target in targets}
            if extra in found:
                found[extra] = [Finding(gate, "RULE", "Role", f"{name} on the extra template")]
            return found

        return run

    for name, gate in [("cfn_lint", "cfn-lint/extra"), ("checkov", "checkov/extra")]:
        monkeypatch.setattr(static_gate, f"run_{name}", fake_tool(name, gate))
    monkeypatch.setattr(static_gate, "run_parliament", fake_tool("parliament", Gate.PARLIAMENT))
    monkeypatch.setattr(static_gate, "run_sam_validate", fake_tool("sam_validate", Gate.SAM_VALIDATE))
    also = static_gate.Scans(
        cfn_lint={extra: "cfn-lint/extra"}, checkov={extra: "checkov/extra"}, parliament={extra: {}}
    )

    reports, found = static_gate.run_gates_and_scans([gate_template], also)

    # Each tool ran once, on the gate's template (and its translation) and the extra template together.
    assert {name: sorted(set(paths) & {gate_template, extra}) for name, paths in runs.items()} == {
        "cfn_lint": sorted([gate_template, extra]),
        "checkov": sorted([gate_template, extra]),
        "parliament": sorted([gate_template, extra]),
        "sam_validate": [gate_template],
    }
    assert len(runs["cfn_lint"]) == len(runs["checkov"]) == 3
    assert sorted(finding.gate for finding in found[extra]) == [
        "cfn-lint/extra",
        "checkov/extra",
        Gate.PARLIAMENT,
    ]
    assert reports[gate_template].findings == ()


def test_a_gate_template_cannot_also_be_an_extra_scan() -> None:
    template = REPOSITORY_ROOT / "template.yaml"

    with pytest.raises(ValueError, match="also an extra scan"):
        static_gate.run_gates_and_scans([template], static_gate.Scans(checkov={template: "checkov/extra"}))


# ---------------------------------------------------------------- the command line


@pytest.mark.parametrize(
    ("findings", "status"),
    [((), 0), ((Finding(Gate.CFN_LINT_SAM, "W3037", "FnRole", "unknown action"),), 1)],
)
def test_the_exit_status_is_zero_only_without_findings(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    findings: tuple[Finding, ...],
    status: int,
) -> None:
    def fake_gates(templates: list[Path], **_: object) -> dict[Path, GateReport]:
        # The findings come from the last template: each template's report counts.
        reports = {
            template.resolve(): GateReport(template=template.resolve(), findings=()) for template in templates
        }
        reports[templates[-1].resolve()] = GateReport(template=templates[-1].resolve(), findings=findings)
        return reports

    monkeypatch.setattr(static_gate, "run_gates", fake_gates)

    assert static_gate.main(["--json"]) == status
    assert [finding["rule"] for finding in json.loads(capsys.readouterr().out)] == [f.rule for f in findings]


def test_without_a_template_the_gate_checks_the_application_and_the_web_app(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    gated: list[Path] = []

    def fake_gates(templates: list[Path], **_: object) -> dict[Path, GateReport]:
        gated.extend(templates)
        return {template: GateReport(template=template, findings=()) for template in templates}

    monkeypatch.setattr(static_gate, "run_gates", fake_gates)

    assert static_gate.main([]) == 0
    assert gated == [REPOSITORY_ROOT / "template.yaml", REPOSITORY_ROOT / "web" / "template.yaml"]
    assert "static gate on web/template.yaml: passed" in capsys.readouterr().out


def test_a_tool_that_cannot_run_is_exit_status_two(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def failing_gates(templates: list[Path], **_: object) -> dict[Path, GateReport]:
        raise GateError("checkov did not finish within 300 s")

    monkeypatch.setattr(static_gate, "run_gates", failing_gates)

    assert static_gate.main([]) == 2
    assert "checkov did not finish" in capsys.readouterr().err
