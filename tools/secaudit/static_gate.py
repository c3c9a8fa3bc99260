"""The static security gate: every offline linter and scanner, on the SAM templates and on what SAM
turns them into, with structured findings.

    python -m secaudit.static_gate [--template PATH]... [--allowances PATH] [--json]

Without ``--template`` it checks the project's two templates: the application's (template.yaml) and
the web app's hosting (web/template.yaml).

Exit status: 0 with no findings, 1 with findings, 2 when a tool cannot run (its environment is
missing, it timed out, or its output could not be read).

Each tool sees something the others do not (docs/ci.md has the table):

* ``cfn-lint`` with the serverless rules, on the SAM template: tracing, log retention, DLQs, limits,
  wildcards in a function's inline policy (WS1003).
* ``cfn-lint`` on the translated template: only here does it check IAM action names (W3037), because
  only here are a function's policies plain ``AWS::IAM::Role`` policies.
* ``checkov`` on both: on the SAM template it never reads a function's ``Policies``; on the
  translated one its IAM checks (CKV_AWS_63, 107-111) see the generated roles.
* ``parliament`` on every role's expanded policy documents (``secaudit.policies``): unknown actions,
  ``Resource: "*"`` where the action supports resource-level permissions (it knows that X-Ray's
  actions have none, and does not report those).
* ``sam validate`` (without ``--lint``): the only linter that rejects a misspelled SAM policy
  template or policy template parameter; cfn-lint's own SAM transform accepts both. The offline
  translation this gate makes (the same aws-sam-translator) rejects them too. It is never the
  ``--lint`` the project's samconfig.toml asks ``sam validate`` for (``make validate`` runs that):
  linting replaces SAM's translation, and with it this check.

Accepted findings are suppressed where the project can see them, each with its reason in
docs/accepted-findings.md: a cfn-lint or checkov finding the whole stack accepts in the linter's own
configuration (``.cfnlintrc.yaml``'s ``ignore_checks``, ``.checkov.yaml``'s ``skip-check``), which
the gate passes to the tool for every template it checks, translations included; one about a single
resource on that resource in the template (``Metadata: cfn-lint: config: ignore_checks`` and
``Metadata: checkov: skip``); parliament findings in the ``parliament:`` section of
``tools/secaudit/allowances.yaml`` (format in ``load_allowances``). None of these tools can
tell a correctly scoped grant from one too wide for what the code does (``.../*/*/*`` vs one route),
nor notice a shared role or a missing Deny: tests/security/test_static_gate_variants.py shows which,
and the authorization tests cover them.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml
from samtranslator.model.exceptions import InvalidDocumentException

from secaudit.findings import Finding
from secaudit.findings_cache import (
    FindingsCache,
    environment_fingerprint,
    files_fingerprint,
    variables_fingerprint,
)
from secaudit.policies import RolePolicies, expanded_policies
from stacktools.offline import offline_resolver
from stacktools.project import REGION, WEB_TEMPLATE_PATH
from stacktools.template import REPOSITORY_ROOT, TEMPLATE_PATH, load_template
from stacktools.translate import translate

SAM_ENV = REPOSITORY_ROOT / ".tools" / "sam"
CHECKOV_ENV = REPOSITORY_ROOT / ".tools" / "checkov"
CFN_LINT_CONFIG = REPOSITORY_ROOT / ".cfnlintrc.yaml"
CHECKOV_CONFIG = REPOSITORY_ROOT / ".checkov.yaml"
DEFAULT_ALLOWANCES = Path(__file__).with_name("allowances.yaml")
PROJECT_TEMPLATES = (TEMPLATE_PATH, WEB_TEMPLATE_PATH)
"""What ``python -m secaudit.static_gate`` checks: the application's stack and the web app's hosting."""

UNPARSED = "PARSING_ERROR"
"""checkov's finding for a file it could not parse (charged to every file of the run when it does not
say which)."""
CFN_LINT_VARIABLES = ("AWS_REGION", "AWS_DEFAULT_REGION", "CFN_LINT", "CFNLINT")
CHECKOV_VARIABLES = ("CKV_", "CHECKOV_", "BC_", "PRISMA_", "LOG_LEVEL")
"""The environment variables each tool takes settings from (part of a cached answer's key)."""


# Generous for a 2-core machine: each tool takes 1-6 s on this template.
TIMEOUTS = {"cfn-lint": 180.0, "checkov": 300.0, "parliament": 120.0, "sam validate": 180.0}


class Gate(StrEnum):
    """Where a finding comes from: a tool and the template it looked at."""

    TRANSLATE = "sam-translate"
    SAM_VALIDATE = "sam-validate"
    CFN_LINT_SAM = "cfn-lint/sam"
    CFN_LINT_TRANSLATED = "cfn-lint/translated"
    CHECKOV_SAM = "checkov/sam"
    CHECKOV_TRANSLATED = "checkov/translated"
    PARLIAMENT = "parliament"


class GateError(RuntimeError):
    """A tool could not give an answer; the gate has no result (exit status 2)."""


class MissingToolError(GateError):
    """A tool's virtual environment has not been created."""


# ---------------------------------------------------------------- running the tools

TOOL_EXECUTABLES = {
    "cfn-lint": SAM_ENV / "bin" / "cfn-lint",
    "sam": SAM_ENV / "bin" / "sam",
    "checkov": CHECKOV_ENV / "bin" / "checkov",
    "parliament": CHECKOV_ENV / "bin" / "parliament",
}


def missing_tools() -> list[str]:
    """The gate's tools whose environments (``.tools/sam``, ``.tools/checkov``) have not been built."""
    return sorted(name for name, path in TOOL_EXECUTABLES.items() if not path.exists())


def _executable(environment: Path, name: str) -> Path:
    path = environment / "bin" / name
    if not path.exists():
        relative = environment.relative_to(REPOSITORY_ROOT)
        raise MissingToolError(
            f"{relative}/bin/{name} not found: the {relative} environment has not been created. "
            f"Run `make setup` (it builds {relative} from requirements/{environment.name}.in)."
        )
    return path


def _run(
    tool: str,
    command: Sequence[str | Path],
    *,
    cwd: Path,
    files: int = 1,
    extra_env: Mapping[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    timeout = TIMEOUTS[tool] * max(files, 1)
    environment = {**os.environ, **(extra_env or {})}
    try:
        return subprocess.run(  # noqa: S603 - fixed executables from the project's tool environments
            [str(part) for part in command],
            cwd=cwd,
            env=environment,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        raise GateError(f"{tool} did not finish within {timeout:.0f} s") from None


def _tail(text: str, lines: int = 15) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def _resolved(targets: Mapping[Path, str]) -> dict[Path, str]:
    return {path.resolve(): label for path, label in targets.items()}


def run_cfn_lint(
    targets: Mapping[Path, str], *, region: str = REGION, config: Path = CFN_LINT_CONFIG
) -> dict[Path, list[Finding]]:
    """cfn-lint with the repository's configuration (serverless rules appended), in one process.

    ``targets`` maps each template to scan to the gate label its findings get; the result maps
    each (resolved) template path to its findings. ``--config-file`` brings in ``config``'s rules and
    stack-wide ``ignore_checks`` for every template, and templates named on the command line replace
    its ``templates`` list. cfn-lint runs from a scratch directory so that no other ``.cfnlintrc`` is
    picked up.
    """
    if not config.is_file():
        raise GateError(f"cfn-lint's configuration {config} does not exist")
    cfn_lint = _executable(SAM_ENV, "cfn-lint")

    def fingerprint() -> str:
        # cfn-lint also reads the user's ~/.cfnlintrc beside --config-file, and takes its region from
        # the environment when a template does not name one.
        return "\n".join(
            [
                environment_fingerprint(SAM_ENV),
                files_fingerprint([config.resolve(), Path.home() / ".cfnlintrc"]),
                variables_fingerprint(CFN_LINT_VARIABLES, {**os.environ, "AWS_REGION": region}),
            ]
        )

    return FindingsCache.configured().findings(
        "cfn-lint",
        fingerprint,
        _resolved(targets),
        lambda labels: _ask_cfn_lint(cfn_lint, labels, region, config),
    )


def _ask_cfn_lint(
    cfn_lint: Path, labels: Mapping[Path, str], region: str, config: Path
) -> dict[Path, list[Finding]]:
    with tempfile.TemporaryDirectory(prefix="cfn-lint-") as scratch:
        result = _run(
            "cfn-lint",
            [cfn_lint, "--config-file", config, "--format", "json", "--", *labels],
            cwd=Path(scratch),
            files=len(labels),
            extra_env={"AWS_REGION": region},
        )
    try:
        matches: list[dict[str, Any]] = json.loads(result.stdout)
    except json.JSONDecodeError:
        raise GateError(
            f"cfn-lint exited {result.returncode} without a report:\n{_tail(result.stderr)}"
        ) from None
    findings: dict[Path, list[Finding]] = {path: [] for path in labels}
    for match in matches:
        path = Path(match["Filename"]).resolve()
        if path not in labels:
            raise GateError(f"cfn-lint reported on a file it was not given: {path}")
        where = match.get("Location", {}).get("Path") or []
        line = match.get("Location", {}).get("Start", {}).get("LineNumber")
        findings[path].append(
            Finding(
                gate=labels[path],
                rule=match["Rule"]["Id"],
                resource=str(where[1]) if len(where) > 1 and where[0] == "Resources" else "",
                message=match["Message"],
                location=f"{path.name}:{line}" if line else path.name,
            )
        )
    return findings


def run_checkov(targets: Mapping[Path, str], *, config: Path = CHECKOV_CONFIG) -> dict[Path, list[Finding]]:
    """checkov's CloudFormation checks, offline (``--skip-download``), in one process.

    ``--config-file`` brings in ``config``'s ``skip-check`` (the checks the stack accepts everywhere)
    for every template; checkov runs from a scratch directory so that no other ``.checkov.yaml`` is
    picked up. A missing configuration is an error, not a quiet run without the project's decisions.
    """
    if not config.is_file():
        raise GateError(f"checkov's configuration {config} does not exist")
    checkov = _executable(CHECKOV_ENV, "checkov")

    def fingerprint() -> str:
        # checkov also reads a .checkov.yaml or .checkov.yml in the user's home directory.
        home = [Path.home() / name for name in (".checkov.yaml", ".checkov.yml")]
        return "\n".join(
            [
                environment_fingerprint(CHECKOV_ENV),
                files_fingerprint([config.resolve(), *home]),
                variables_fingerprint(CHECKOV_VARIABLES),
            ]
        )

    return FindingsCache.configured().findings(
        "checkov",
        fingerprint,
        _resolved(targets),
        lambda labels: _ask_checkov(checkov, labels, config),
        keep=lambda answers: not any(f.rule == UNPARSED for found in answers.values() for f in found),
    )


def _ask_checkov(checkov: Path, labels: Mapping[Path, str], config: Path) -> dict[Path, list[Finding]]:
    files = [argument for path in labels for argument in ("--file", str(path))]
    with tempfile.TemporaryDirectory(prefix="checkov-") as scratch:
        result = _run(
            "checkov",
            [
                checkov,
                *("--config-file", config.resolve()),
                *("--framework", "cloudformation", "--skip-download", "--quiet", "--compact"),
                *("--output", "json", *files),
            ],
            cwd=Path(scratch),
            files=len(labels),
            # checkov parses the files in forked workers, one per core, and pickles every file's
            # parsed definitions back: 14% more CPU for the same findings, and no faster where the
            # cores are busy anyway (a test run keeps them so).
            extra_env={"CHECKOV_PARALLELIZATION_TYPE": "none"},
        )
    if result.returncode not in (0, 1):
        raise GateError(f"checkov exited {result.returncode}:\n{_tail(result.stderr)}")
    try:
        report = json.loads(result.stdout)
    except json.JSONDecodeError:
        raise GateError(f"checkov printed no JSON report:\n{_tail(result.stderr)}") from None
    findings: dict[Path, list[Finding]] = {path: [] for path in labels}
    for section in report if isinstance(report, list) else [report]:
        if not isinstance(section, dict):
            continue
        # checkov exits 0 on a template it cannot parse: only the summary counts it, and its log
        # (stderr) names the file. A count without a name is charged to every file.
        if section.get("summary", {}).get("parsing_errors"):
            unparsed = [path for path in labels if f"parsing {path}" in result.stderr] or list(labels)
            for path in unparsed:
                message = "checkov could not parse the template"
                findings[path].append(Finding(labels[path], UNPARSED, "", message, path.name))
        for check in section.get("results", {}).get("failed_checks", []):
            path = Path(check["file_abs_path"]).resolve()
            if path not in labels:
                raise GateError(f"checkov reported on a file it was not given: {path}")
            _, _, logical_id = str(check["resource"]).partition(".")
            start = (check.get("file_line_range") or [None])[0]
            findings[path].append(
                Finding(
                    gate=labels[path],
                    rule=check["check_id"],
                    resource=logical_id,
                    message=check["check_name"],
                    location=f"{path.name}:{start}" if start else path.name,
                )
            )
    return findings


# Runs in .tools/sam's interpreter: {"region": ..., "templates": {key: path}} in on stdin, one JSON line
# per template out. It calls the function `sam validate` itself runs (samcli's validate.do_cli, with
# `--lint` off) once per template, so that the SAM CLI starts once for all of them rather than once
# each; it also reads no samconfig.toml, which would turn `--lint` on for a template next to the
# project's. The CLI prints its messages on stdout: they go to stderr here, where only a failure shows them.
# The validator dumps each translation as YAML twice, for a debug log and for a return value do_cli drops:
# pure-Python YAML emitting, 30% of the driver's CPU, with no bearing on the answer.
_SAM_VALIDATE_DRIVER = """
import json, sys
import samcli.lib.translate.sam_template_validator as sam_template_validator
from samcli.cli.context import Context
from samcli.commands.exceptions import UserException
from samcli.commands.local.cli_common.user_exceptions import InvalidSamTemplateException
from samcli.commands.validate.validate import do_cli
sam_template_validator.yaml_dump = lambda template: ""
answers, sys.stdout = sys.stdout, sys.stderr
request = json.load(sys.stdin)
context = Context()
context.region = request["region"]
for key, path in request["templates"].items():
    try:
        do_cli(context, path, False, None)
        answer = {"key": key, "valid": True}
    except InvalidSamTemplateException as error:
        answer = {"key": key, "valid": False, "error": str(error)}
    except UserException as error:
        answer = {"key": key, "valid": None, "error": f"{type(error).__name__}: {error}"}
    print(json.dumps(answer), file=answers, flush=True)
"""


def run_sam_validate(template_paths: Sequence[Path], *, region: str = REGION) -> dict[Path, list[Finding]]:
    """``sam validate`` without ``--lint`` on each template, in one process: SAM's own translation,
    which checks policy templates. The result maps each (resolved) template path to its findings."""
    python = _executable(SAM_ENV, "python")
    _executable(SAM_ENV, "sam")  # the interpreter alone does not mean the SAM CLI is installed
    templates = {f"{index:05d}": path.resolve() for index, path in enumerate(template_paths)}
    findings: dict[Path, list[Finding]] = {path: [] for path in templates.values()}
    if not templates:
        return findings
    request = {"region": region, "templates": {key: str(path) for key, path in templates.items()}}
    with tempfile.TemporaryDirectory(prefix="sam-validate-") as scratch:
        try:
            result = subprocess.run(  # noqa: S603 - the SAM environment's interpreter, fixed code
                [str(python), "-c", _SAM_VALIDATE_DRIVER],
                cwd=scratch,
                env={**os.environ, "SAM_CLI_TELEMETRY": "0"},
                input=json.dumps(request),
                capture_output=True,
                text=True,
                timeout=TIMEOUTS["sam validate"] * len(templates),
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise GateError("sam validate did not finish in time") from None
    answers: dict[str, dict[str, Any]] = {}
    for line in result.stdout.splitlines():
        try:
            answer = json.loads(line)
        except json.JSONDecodeError:
            raise GateError(f"sam validate printed an unreadable answer: {line!r}") from None
        answers[answer["key"]] = answer
    if result.returncode != 0 or set(answers) != set(templates):
        raise GateError(f"sam validate exited {result.returncode}:\n{_tail(result.stderr)}")
    for key, path in templates.items():
        answer = answers[key]
        if answer["valid"] is None:
            raise GateError(f"sam validate could not check {path}: {answer['error']}")
        if not answer["valid"]:
            findings[path] = _invalid_sam_document(str(answer["error"]))
    return findings


def _invalid_sam_document(error: str) -> list[Finding]:
    """The findings in the message of an invalid template, one per resource and message."""
    # [InvalidResourceException('NotifyBookingFunction', "Policy at index 0 ...")] (...)
    errors = re.findall(r"InvalidResourceException\('([^']*)', [\"'](.*?)[\"']\)", error)
    if not errors:
        return [Finding(Gate.SAM_VALIDATE, "InvalidSamDocument", "", _tail(error, 3))]
    return [
        Finding(Gate.SAM_VALIDATE, "InvalidSamDocument", logical_id, message)
        for logical_id, message in dict.fromkeys(errors)
    ]


# Runs in .tools/checkov's interpreter: documents in on stdin ({key: document}), findings out as JSON
# lines. parliament's command line cannot be used as is: `--file` reads stdin whenever stdin is not a
# TTY, and `--directory` reports every finding raised without a location of its own (NO_VERSION, for
# one) against whichever file it read first - `Policy.add_finding` shares one mutable default dict for
# all of them. Analysing each document as its own `Policy` object keeps each finding with its document.
_PARLIAMENT_DRIVER = """
import json, sys, warnings
warnings.simplefilter("ignore")  # parliament imports the deprecated pkg_resources
from parliament import analyze_policy_string, enhance_finding
from parliament.cli import is_finding_filtered
for key, document in json.load(sys.stdin).items():
    policy = analyze_policy_string(json.dumps(document, indent=2), filepath=key)
    for finding in map(enhance_finding, policy.findings):
        if not is_finding_filtered(finding, "LOW"):
            print(json.dumps({"key": key, "issue": finding.issue, "title": finding.title,
                              "severity": finding.severity, "detail": finding.detail}))
"""


def run_parliament(roles_by_template: Mapping[Path, Mapping[str, RolePolicies]]) -> dict[Path, list[Finding]]:
    """parliament (severity LOW and up) on every document of every role, in one process."""
    python = _executable(CHECKOV_ENV, "python")
    _executable(CHECKOV_ENV, "parliament")  # the interpreter alone does not mean parliament is installed
    findings: dict[Path, list[Finding]] = {template: [] for template in roles_by_template}
    documents: dict[str, Any] = {}
    owners: dict[str, tuple[Path, str, str]] = {}
    for template, roles in roles_by_template.items():
        for role in sorted(roles.values(), key=lambda role: role.logical_id):
            for name, policy in role.named_documents().items():
                key = f"{len(documents):05d}"
                documents[key] = policy
                owners[key] = (template, role.logical_id, name)
    if not documents:
        return findings
    with tempfile.TemporaryDirectory(prefix="parliament-") as scratch:
        try:
            result = subprocess.run(  # noqa: S603 - the checkov environment's interpreter, fixed code
                [str(python), "-c", _PARLIAMENT_DRIVER],
                cwd=scratch,
                input=json.dumps(documents),
                capture_output=True,
                text=True,
                timeout=TIMEOUTS["parliament"] * max(len(roles_by_template), 1),
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise GateError("parliament did not finish in time") from None
    if result.returncode != 0:
        raise GateError(f"parliament exited {result.returncode}:\n{_tail(result.stderr)}")
    for line in result.stdout.splitlines():
        if not line.strip():
            continue
        try:
            reported = json.loads(line)
        except json.JSONDecodeError:
            raise GateError(f"parliament printed an unreadable finding: {line!r}") from None
        template, role_id, document = owners[reported["key"]]
        detail = reported.get("detail")
        if isinstance(detail, list):
            details = tuple(str(item) for item in detail)
        else:
            details = (str(detail),) if detail else ()
        findings[template].append(
            Finding(
                gate=Gate.PARLIAMENT,
                rule=reported["issue"],
                resource=role_id,
                message=reported["title"] + (f": {', '.join(details)}" if details else ""),
                document=document,
                details=details,
            )
        )
    return findings


# ---------------------------------------------------------------- the translated template


class TranslationError(Exception):
    """aws-sam-translator refused the template; ``findings`` says why, resource by resource."""

    def __init__(self, findings: Sequence[Finding]) -> None:
        super().__init__("; ".join(finding.message for finding in findings))
        self.findings = tuple(findings)


def translate_template(template: dict[str, Any], *, root: Path, region: str = REGION) -> dict[str, Any]:
    """The plain CloudFormation of ``template`` (``stacktools.translate``), errors as findings."""
    try:
        return translate(template, region=region, root=root)
    except InvalidDocumentException as error:
        findings = []
        for cause in error.causes:
            message = str(cause.message)
            logical_id = re.match(r"Resource with id \[(\w+)\]", message)
            findings.append(
                Finding(Gate.TRANSLATE, "InvalidSamDocument", logical_id[1] if logical_id else "", message)
            )
        raise TranslationError(findings) from error


# Properties that `sam package` (run by `sam deploy`) uploads and replaces with an S3 URI before
# CloudFormation sees the template. The translation leaves these local paths, which cfn-lint then
# reports as W3002 ("may only work with 'package'"): they are given S3 placeholders here instead.
_PACKAGED_PROPERTIES: dict[str, tuple[str, ...]] = {
    "AWS::AppSync::GraphQLSchema": ("DefinitionS3Location",),
    "AWS::AppSync::Resolver": (
        "CodeS3Location",
        "RequestMappingTemplateS3Location",
        "ResponseMappingTemplateS3Location",
    ),
    "AWS::AppSync::FunctionConfiguration": (
        "CodeS3Location",
        "RequestMappingTemplateS3Location",
        "ResponseMappingTemplateS3Location",
    ),
    "AWS::ApiGateway::RestApi": ("BodyS3Location",),
    "AWS::StepFunctions::StateMachine": ("DefinitionS3Location",),
    "AWS::CloudFormation::Stack": ("TemplateURL",),
}
_SUPPRESSION_KEYS = ("cfn-lint", "checkov")


def _source_of(logical_id: str, serverless_ids: Iterable[str]) -> str | None:
    """The SAM resource that generated ``logical_id``: SAM names what it generates after it
    (``GetLoyaltyFunctionRole``, ``LoyaltyApiStage``, ``LoyaltyApiDeployment1a2b3c``)."""
    candidates = [source for source in serverless_ids if logical_id.startswith(source)]
    return max(candidates, key=len) if candidates else None


def prepare_translated(translated: dict[str, Any], sam_template: dict[str, Any]) -> dict[str, Any]:
    """The translated template as the scanners should see it.

    * Local artifact paths get S3 placeholders, as ``sam package`` would give them.
    * A resource SAM generated (a function's role, an API's stage) gets the cfn-lint and checkov
      suppressions of the SAM resource it came from. SAM copies ``Metadata`` only to the resource
      that keeps the logical id, so without this a reasoned suppression on ``LoyaltyApi`` would
      not reach ``LoyaltyApiStage``, where checkov reports the same property of the same API.
    """
    prepared = copy.deepcopy(translated)
    sam_resources: dict[str, Any] = sam_template.get("Resources", {})
    serverless = [
        logical_id
        for logical_id, resource in sam_resources.items()
        if str(resource.get("Type", "")).startswith("AWS::Serverless::")
    ]
    for logical_id, resource in prepared.get("Resources", {}).items():
        properties = resource.get("Properties", {})
        for name in _PACKAGED_PROPERTIES.get(resource.get("Type", ""), ()):
            value = properties.get(name)
            if isinstance(value, str) and "://" not in value:
                properties[name] = f"s3://local-artifacts/{value.removeprefix('./')}"
        if logical_id in sam_resources:
            continue
        source = _source_of(logical_id, serverless)
        inherited = (sam_resources[source].get("Metadata") or {}) if source else {}
        metadata = resource.setdefault("Metadata", {})
        for key in _SUPPRESSION_KEYS:
            if key in inherited and key not in metadata:
                metadata[key] = copy.deepcopy(inherited[key])
        if not metadata:
            del resource["Metadata"]
    return prepared


# ---------------------------------------------------------------- allowances for parliament


@dataclass(frozen=True)
class Allowance:
    """A parliament finding the project accepts, with its reason.

    Exactly one scope: ``managed_policy`` (an AWS managed policy by name, wherever it is attached)
    or ``role`` + ``policy`` (one document of one role, named as in ``RolePolicies.named_documents``).
    ``actions``, when given, must cover every action the finding names, so that a finding about a
    new action (an AWS managed policy that grew) is not allowed by an old entry.
    """

    issue: str
    reason: str
    managed_policy: str = ""
    role: str = ""
    policy: str = ""
    actions: frozenset[str] = field(default_factory=frozenset)

    def allows(self, finding: Finding) -> bool:
        if finding.gate != Gate.PARLIAMENT or finding.rule != self.issue:
            return False
        if self.managed_policy:
            in_scope = finding.document == f"managed:{self.managed_policy}"
        else:
            in_scope = (finding.resource, finding.document) == (self.role, self.policy)
        if not in_scope:
            return False
        actions = {detail.lower() for detail in finding.details}
        return not self.actions or actions <= {action.lower() for action in self.actions}


class AllowanceError(GateError):
    """The allowance file is malformed."""


def load_allowances(path: Path = DEFAULT_ALLOWANCES) -> tuple[Allowance, ...]:
    """Read the ``parliament`` section of the allowance file; a missing file or section allows nothing.

    Format (YAML; other top-level sections belong to other audits and are left alone)::

        parliament:
          - issue: RESOURCE_STAR                  # parliament's issue id
            managed_policy: AWSLambdaBasicExecutionRole
            actions: [logs:CreateLogGroup, logs:CreateLogStream, logs:PutLogEvents]
            reason: why the project accepts it
          - issue: NO_VERSION
            role: NotifyBookingFunctionRole       # logical id of the role
            policy: inline:NotifyBookingFunctionRolePolicy0
            reason: why the project accepts it
    """
    if not path.exists():
        return ()
    try:
        content = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as error:
        raise AllowanceError(f"{path}: not valid YAML: {error}") from None
    # The file is shared: other audits keep their own sections in it (secaudit.audit: unused_grants).
    if not isinstance(content, dict):
        raise AllowanceError(f"{path}: expected a mapping with a `parliament` list")
    entries = content.get("parliament") or []
    if not isinstance(entries, list):
        raise AllowanceError(f"{path}: `parliament` must be a list")
    allowances = []
    known = {"issue", "reason", "managed_policy", "role", "policy", "actions"}
    for index, entry in enumerate(entries):
        where = f"{path}: parliament[{index}]"
        if not isinstance(entry, dict) or set(entry) - known:
            raise AllowanceError(f"{where}: an entry has only the keys {', '.join(sorted(known))}")
        if not str(entry.get("issue", "")).strip() or not str(entry.get("reason", "")).strip():
            raise AllowanceError(f"{where}: `issue` and a non-empty `reason` are required")
        by_document = "role" in entry or "policy" in entry
        if ("managed_policy" in entry) == by_document or (
            by_document and not {"role", "policy"} <= set(entry)
        ):
            raise AllowanceError(f"{where}: give either `managed_policy`, or both `role` and `policy`")
        actions = entry.get("actions", [])
        if not isinstance(actions, list) or not all(isinstance(action, str) for action in actions):
            raise AllowanceError(f"{where}: `actions` must be a list of action names")
        allowances.append(
            Allowance(
                issue=str(entry["issue"]),
                reason=str(entry["reason"]).strip(),
                managed_policy=str(entry.get("managed_policy", "")),
                role=str(entry.get("role", "")),
                policy=str(entry.get("policy", "")),
                actions=frozenset(actions),
            )
        )
    return tuple(allowances)


# ---------------------------------------------------------------- the whole gate


@dataclass(frozen=True)
class GateReport:
    """The result of ``run_gate``.

    Attributes:
        template: the SAM template checked.
        findings: everything not suppressed or allowed; the gate passes when this is empty.
        allowed: parliament findings an allowance covers, with that allowance.
        unused_allowances: allowances that covered nothing (stale entries to remove).
    """

    template: Path
    findings: tuple[Finding, ...]
    allowed: tuple[tuple[Finding, Allowance], ...] = ()
    unused_allowances: tuple[Allowance, ...] = ()

    @property
    def passed(self) -> bool:
        return not self.findings

    def of(self, gate: str, rule: str | None = None) -> list[Finding]:
        """The findings of one gate, optionally of one rule."""
        return [f for f in self.findings if f.gate == gate and (rule is None or f.rule == rule)]


def _apply_allowances(
    template: Path, findings: Iterable[Finding], allowances: Sequence[Allowance]
) -> GateReport:
    kept: list[Finding] = []
    allowed: list[tuple[Finding, Allowance]] = []
    used: set[Allowance] = set()
    for finding in findings:
        allowance = next((entry for entry in allowances if entry.allows(finding)), None)
        if allowance is None:
            kept.append(finding)
        else:
            allowed.append((finding, allowance))
            used.add(allowance)
    order = {gate.value: index for index, gate in enumerate(Gate)}
    kept.sort(key=lambda f: (order.get(f.gate, len(order)), f.gate, f.rule, f.resource, f.document))
    return GateReport(
        template=template,
        findings=tuple(kept),
        allowed=tuple(allowed),
        unused_allowances=tuple(entry for entry in allowances if entry not in used),
    )


@dataclass(frozen=True)
class Scans:
    """What each tool is given besides the gate's templates, for one process of each tool to scan.

    Attributes:
        cfn_lint: templates for cfn-lint, each with the gate label its findings get.
        checkov: templates for checkov, each with its label.
        parliament: roles' expanded policies for parliament, by the template they come from.
    """

    cfn_lint: Mapping[Path, str] = field(default_factory=dict)
    checkov: Mapping[Path, str] = field(default_factory=dict)
    parliament: Mapping[Path, Mapping[str, RolePolicies]] = field(default_factory=dict)

    def paths(self) -> set[Path]:
        return {path.resolve() for path in (*self.cfn_lint, *self.checkov, *self.parliament)}


def run_gates(
    template_paths: Sequence[Path],
    *,
    allowances_path: Path = DEFAULT_ALLOWANCES,
    region: str = REGION,
) -> dict[Path, GateReport]:
    """Run every tool on each SAM template and its translation; the result is keyed by resolved path
    (see ``run_gates_and_scans``)."""
    reports, _ = run_gates_and_scans(template_paths, Scans(), allowances_path=allowances_path, region=region)
    return reports


def run_gates_and_scans(
    template_paths: Sequence[Path],
    also: Scans,
    *,
    allowances_path: Path = DEFAULT_ALLOWANCES,
    region: str = REGION,
) -> tuple[dict[Path, GateReport], dict[Path, list[Finding]]]:
    """Run every tool on each SAM template and its translation, and the tools ``also`` names on
    what it gives them; the results are keyed by resolved path: a report per SAM template, and the
    raw findings (no allowances applied) per template of ``also``.

    cfn-lint, checkov, parliament and ``sam validate`` each run once over everything (a tool's
    start-up costs as much as a template or more), concurrently. Artifact paths (``CodeUri``,
    ``DefinitionUri``...) are read relative to each template's directory. When a translation fails,
    its errors are that template's findings in place of those of the tools that need the
    translation (cfn-lint and checkov on the translated template, parliament).
    """
    templates = list(dict.fromkeys(path.resolve() for path in template_paths))
    shared = also.paths() & set(templates)
    if shared:
        raise ValueError(f"a gate's template is also an extra scan: {', '.join(map(str, sorted(shared)))}")
    allowances = load_allowances(allowances_path)
    findings: dict[Path, list[Finding]] = {template: [] for template in templates}
    cfn_lint_targets: dict[Path, str] = {}
    checkov_targets: dict[Path, str] = {}
    owner: dict[Path, Path] = {}
    roles: dict[Path, Mapping[str, RolePolicies]] = {}
    with tempfile.TemporaryDirectory(prefix="static-gate-") as scratch:
        for index, template in enumerate(templates):
            sam_template = load_template(template)
            cfn_lint_targets[template] = Gate.CFN_LINT_SAM
            checkov_targets[template] = Gate.CHECKOV_SAM
            owner[template] = template
            try:
                translated = translate_template(sam_template, root=template.parent, region=region)
            except TranslationError as error:
                findings[template].extend(error.findings)
                continue
            translated_path = (Path(scratch) / f"translated-{index}.json").resolve()
            translated_path.write_text(
                json.dumps(prepare_translated(translated, sam_template), indent=1), encoding="utf-8"
            )
            cfn_lint_targets[translated_path] = Gate.CFN_LINT_TRANSLATED
            checkov_targets[translated_path] = Gate.CHECKOV_TRANSLATED
            owner[translated_path] = template
            # What secaudit.policies.stack_policies computes, with the template's own artifact root.
            roles[template] = expanded_policies(translated, offline_resolver(translated))

        extra: dict[Path, list[Finding]] = {path: [] for path in also.paths()}
        with ThreadPoolExecutor(max_workers=4) as pool:
            batches = [
                pool.submit(run_cfn_lint, {**cfn_lint_targets, **also.cfn_lint}, region=region),
                pool.submit(run_checkov, {**checkov_targets, **also.checkov}),
                pool.submit(run_parliament, {**roles, **also.parliament}),
                pool.submit(run_sam_validate, templates, region=region),
            ]
            for batch in batches:
                for path, found in batch.result().items():
                    if path.resolve() in extra:
                        extra[path.resolve()].extend(found)
                    else:
                        findings[owner.get(path, path)].extend(found)

    reports = {
        template: _apply_allowances(template, findings[template], allowances) for template in templates
    }
    return reports, extra


def run_gate(
    template_path: Path = TEMPLATE_PATH,
    *,
    allowances_path: Path = DEFAULT_ALLOWANCES,
    region: str = REGION,
) -> GateReport:
    """Run every tool on one SAM template and its translation (see ``run_gates``)."""
    reports = run_gates([template_path], allowances_path=allowances_path, region=region)
    return reports[template_path.resolve()]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m secaudit.static_gate",
        description="cfn-lint, checkov, parliament and sam validate on SAM templates and their translations.",
    )
    parser.add_argument(
        "--template",
        type=Path,
        action="append",
        dest="templates",
        help="a SAM template (repeatable); default: the project's, "
        + " and ".join(str(path.relative_to(REPOSITORY_ROOT)) for path in PROJECT_TEMPLATES),
    )
    parser.add_argument(
        "--allowances", type=Path, default=DEFAULT_ALLOWANCES, help="parliament allowances (YAML)"
    )
    parser.add_argument("--region", default=REGION, help="region for cfn-lint and sam validate")
    parser.add_argument("--json", action="store_true", help="print the findings as JSON")
    arguments = parser.parse_args(argv)
    templates = arguments.templates or list(PROJECT_TEMPLATES)
    try:
        reports = run_gates(templates, allowances_path=arguments.allowances, region=arguments.region)
    except GateError as error:
        print(f"static gate: {error}", file=sys.stderr)
        return 2
    findings = [finding for report in reports.values() for finding in report.findings]
    if arguments.json:
        print(json.dumps([asdict(finding) for finding in findings], indent=2))
    else:
        for report in reports.values():
            for finding in report.findings:
                print(f"{report.template.name}: {finding.describe()}")
        # An allowance is stale only if no template's findings used it.
        used = {allowance for report in reports.values() for _, allowance in report.allowed}
        for allowance in dict.fromkeys(a for report in reports.values() for a in report.unused_allowances):
            if allowance not in used:
                scope = allowance.managed_policy or f"{allowance.role}/{allowance.policy}"
                print(
                    f"note: allowance {allowance.issue} on {scope} matched nothing; remove it",
                    file=sys.stderr,
                )
        for report in reports.values():
            verdict = "passed" if report.passed else f"{len(report.findings)} finding(s)"
            where = (
                report.template.relative_to(REPOSITORY_ROOT)
                if report.template.is_relative_to(REPOSITORY_ROOT)
                else report.template
            )
            print(f"static gate on {where}: {verdict} ({len(report.allowed)} allowed)")
    return 1 if findings else 0


if __name__ == "__main__":
    raise SystemExit(main())
