"""The static gate's cache of cfn-lint's and checkov's answers: asked once per question, and asked again
whenever anything that decides the answer changes."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from secaudit import static_gate
from secaudit.findings import Finding
from secaudit.findings_cache import (
    CACHE_VARIABLE,
    KEPT_DAYS,
    FindingsCache,
    environment_fingerprint,
    files_fingerprint,
    variables_fingerprint,
)
from secaudit.static_gate import UNPARSED, Gate, run_cfn_lint, run_checkov
from stacktools.template import REPOSITORY_ROOT

# A template with one finding each for cfn-lint (W3011: no UpdateReplacePolicy) and checkov
# (CKV_AWS_28: no point-in-time recovery).
TABLE = """\
Resources:
  Table:
    Type: AWS::DynamoDB::Table
    DeletionPolicy: Retain
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
      KeySchema: [{AttributeName: id, KeyType: HASH}]
"""


class Tool:
    """A stand-in for a tool's run: one finding per file, naming the file's first line; counts its runs."""

    def __init__(self) -> None:
        self.asked: list[set[Path]] = []

    def __call__(self, targets: Mapping[Path, str]) -> dict[Path, list[Finding]]:
        self.asked.append(set(targets))
        return {
            path: [Finding(label, "R1", "Table", path.read_text().splitlines()[0], f"{path.name}:1")]
            for path, label in targets.items()
        }


def template(directory: Path, name: str = "template.yaml", text: str = "first\n") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path.resolve()


def test_a_question_asked_again_is_answered_from_the_cache_with_the_label_it_has_now(tmp_path: Path) -> None:
    cache, tool = FindingsCache(tmp_path / "cache"), Tool()
    path = template(tmp_path / "a")

    first = cache.findings("tool", lambda: "v1", {path: "gate/sam"}, tool)
    again = cache.findings("tool", lambda: "v1", {path: "gate/translated"}, tool)

    assert tool.asked == [{path}]
    assert again == {path: [Finding("gate/translated", "R1", "Table", "first", "template.yaml:1")]}
    assert first[path][0].gate == "gate/sam"


def test_only_the_files_not_answered_yet_are_given_to_the_tool(tmp_path: Path) -> None:
    cache, tool = FindingsCache(tmp_path / "cache"), Tool()
    known, new = template(tmp_path / "a"), template(tmp_path / "b", text="second\n")
    cache.findings("tool", lambda: "v1", {known: "gate"}, tool)

    answers = cache.findings("tool", lambda: "v1", {known: "gate", new: "gate"}, tool)

    assert tool.asked == [{known}, {new}]
    assert [finding.message for finding in answers[new]] == ["second"]
    assert [finding.message for finding in answers[known]] == ["first"]


@pytest.mark.parametrize("change", ["content", "file name", "fingerprint", "tool"])
def test_anything_that_decides_the_answer_asks_the_tool_again(tmp_path: Path, change: str) -> None:
    cache, tool = FindingsCache(tmp_path / "cache"), Tool()
    path = template(tmp_path / "a")
    cache.findings("tool", lambda: "v1", {path: "gate"}, tool)

    name, fingerprint = "tool", "v1"
    if change == "content":
        path.write_text("first\nchanged\n", encoding="utf-8")
    elif change == "file name":
        path = template(tmp_path / "b", name="other.yaml")
    elif change == "fingerprint":
        fingerprint = "v2"
    else:
        name = "another tool"
    cache.findings(name, lambda: fingerprint, {path: "gate"}, tool)

    assert len(tool.asked) == 2


def test_a_run_whose_answers_are_not_each_about_their_own_file_is_not_kept(tmp_path: Path) -> None:
    cache, tool = FindingsCache(tmp_path / "cache"), Tool()
    path = template(tmp_path / "a")

    for _ in range(2):
        cache.findings("tool", lambda: "v1", {path: "gate"}, tool, keep=lambda answers: False)

    assert len(tool.asked) == 2


def test_a_tool_that_fails_leaves_nothing_behind(tmp_path: Path) -> None:
    cache, tool = FindingsCache(tmp_path / "cache"), Tool()
    path = template(tmp_path / "a")

    def failing(targets: Mapping[Path, str]) -> dict[Path, list[Finding]]:
        raise static_gate.GateError("the tool crashed")

    with pytest.raises(static_gate.GateError):
        cache.findings("tool", lambda: "v1", {path: "gate"}, failing)
    cache.findings("tool", lambda: "v1", {path: "gate"}, tool)

    assert tool.asked == [{path}]


def test_an_unreadable_entry_is_asked_again_and_replaced(tmp_path: Path) -> None:
    cache, tool = FindingsCache(tmp_path / "cache"), Tool()
    path = template(tmp_path / "a")
    cache.findings("tool", lambda: "v1", {path: "gate"}, tool)
    (entry,) = (tmp_path / "cache").rglob("*.json")
    entry.write_text('[{"gate": "gate", "rule": "R1"', encoding="utf-8")  # cut short

    answers = cache.findings("tool", lambda: "v1", {path: "gate"}, tool)

    assert len(tool.asked) == 2
    assert [finding.message for finding in answers[path]] == ["first"]
    assert cache.get(FindingsCache.key("tool", "v1", path)) == answers[path]


def test_answers_nobody_read_for_two_weeks_are_forgotten_when_new_ones_are_kept(tmp_path: Path) -> None:
    cache, tool = FindingsCache(tmp_path / "cache"), Tool()
    old, used = template(tmp_path / "a"), template(tmp_path / "b", text="second\n")
    cache.findings("tool", lambda: "v1", {old: "gate", used: "gate"}, tool)
    weeks_ago = time.time() - (KEPT_DAYS + 1) * 86400
    for entry in (tmp_path / "cache").rglob("*.json"):
        os.utime(entry, (weeks_ago, weeks_ago))
    cache.findings("tool", lambda: "v1", {used: "gate"}, tool)  # read: kept for another two weeks

    cache.findings("tool", lambda: "v1", {template(tmp_path / "c", text="third\n"): "gate"}, tool)

    assert cache.get(FindingsCache.key("tool", "v1", used)) is not None
    assert cache.get(FindingsCache.key("tool", "v1", old)) is None
    assert len(list((tmp_path / "cache").rglob("*.json"))) == 2


def test_the_setting_chooses_the_directory_or_turns_the_cache_off(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv(CACHE_VARIABLE, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert FindingsCache.configured().directory == tmp_path / "xdg" / "serverless-airline" / "static-gate"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    home = FindingsCache.configured().directory
    assert home == tmp_path / "home" / ".cache" / "serverless-airline" / "static-gate"
    monkeypatch.setenv(CACHE_VARIABLE, str(tmp_path))
    assert FindingsCache.configured().directory == tmp_path

    monkeypatch.setenv(CACHE_VARIABLE, "off")
    cache, tool = FindingsCache.configured(), Tool()
    path = template(tmp_path / "a")
    fingerprints: list[str] = []

    def fingerprint() -> str:
        fingerprints.append("computed")
        return "v1"

    for _ in range(2):
        cache.findings("tool", fingerprint, {path: "gate"}, tool)
    assert len(tool.asked) == 2
    assert fingerprints == []  # nothing is hashed for a cache that is off
    assert list(tmp_path.rglob("*.json")) == []


def test_a_clone_cannot_bring_answers_for_the_gate_to_read(monkeypatch: pytest.MonkeyPatch) -> None:
    """An attacker's pull request could commit a "no findings" answer for its own template (git checks
    out a committed file even under an ignored directory), keyed as the gate would key it. The gate reads
    answers only from outside the repository unless told otherwise."""
    monkeypatch.delenv(CACHE_VARIABLE, raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    directory = FindingsCache.configured().directory

    assert directory is not None
    assert not directory.resolve().is_relative_to(REPOSITORY_ROOT.resolve())


def test_the_environment_fingerprint_changes_with_any_installed_version(tmp_path: Path) -> None:
    environment = tmp_path / "env"
    site_packages = environment / "lib" / "python3.13" / "site-packages"
    (site_packages / "cfn_lint-1.58.0.dist-info").mkdir(parents=True)
    (environment / "pyvenv.cfg").write_text("version = 3.13.5\n", encoding="utf-8")
    before = environment_fingerprint(environment)

    (site_packages / "cfn_lint-1.58.0.dist-info").rename(site_packages / "cfn_lint-1.59.0.dist-info")
    upgraded = environment_fingerprint(environment)
    (site_packages / "cfn_lint_serverless-0.3.6.dist-info").mkdir()
    plugin_added = environment_fingerprint(environment)
    (environment / "pyvenv.cfg").write_text("version = 3.13.9\n", encoding="utf-8")

    assert len({before, upgraded, plugin_added, environment_fingerprint(environment)}) == 4


def test_configuration_files_and_variables_are_fingerprinted_by_content_and_presence(tmp_path: Path) -> None:
    config, absent = tmp_path / ".cfnlintrc.yaml", tmp_path / ".cfnlintrc"
    config.write_text("templates: []\n", encoding="utf-8")
    before = files_fingerprint([config, absent])
    moved = tmp_path / "elsewhere" / ".cfnlintrc.yaml"
    moved.parent.mkdir()
    moved.write_bytes(config.read_bytes())
    assert files_fingerprint([moved, absent]) == before  # where it is does not matter
    absent.write_text("ignore_checks: [W3011]\n", encoding="utf-8")
    assert files_fingerprint([config, absent]) != before
    config.write_text("templates: [a.yaml]\n", encoding="utf-8")
    assert (
        len({before, files_fingerprint([config, absent]), files_fingerprint([config, tmp_path / "x"])}) == 3
    )

    variables = {"CKV_FRAMEWORK": "cloudformation", "HOME": "/root", "PATH": "/bin"}
    assert variables_fingerprint(("CKV_",), variables) == "CKV_FRAMEWORK=cloudformation"
    assert variables_fingerprint(("CKV_",), {**variables, "PATH": "/usr/bin"}) == variables_fingerprint(
        ("CKV_",), variables
    )


# ---------------------------------------------------------------- the gate's tools


@pytest.fixture
def cache_directory(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    directory = tmp_path / "cache"
    monkeypatch.setenv(CACHE_VARIABLE, str(directory))
    return directory


@pytest.fixture
def runs(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The tools the gate starts, by name (they run)."""
    started: list[str] = []
    run = static_gate._run

    def counted(tool: str, *args: Any, **kwargs: Any) -> Any:
        started.append(tool)
        return run(tool, *args, **kwargs)

    monkeypatch.setattr(static_gate, "_run", counted)
    return started


def test_a_kept_answer_is_what_each_tool_said(tmp_path: Path, cache_directory: Path, runs: list[str]) -> None:
    path = template(tmp_path / "project", text=TABLE)
    linted = run_cfn_lint({path: Gate.CFN_LINT_SAM})
    scanned = run_checkov({path: Gate.CHECKOV_SAM})
    assert "W3011" in {finding.rule for finding in linted[path]}  # the template has its findings
    assert "CKV_AWS_28" in {finding.rule for finding in scanned[path]}

    assert run_cfn_lint({path: Gate.CFN_LINT_SAM}) == linted
    assert run_checkov({path: Gate.CHECKOV_SAM}) == scanned
    assert runs == ["cfn-lint", "checkov"]


@pytest.fixture
def asked(monkeypatch: pytest.MonkeyPatch) -> dict[str, Tool]:
    """The gate's tools replaced by stand-ins that count what they are asked."""
    tools = {"cfn-lint": Tool(), "checkov": Tool()}
    monkeypatch.setattr(static_gate, "_ask_cfn_lint", lambda _, labels, *rest: tools["cfn-lint"](labels))
    monkeypatch.setattr(static_gate, "_ask_checkov", lambda _, labels, *rest: tools["checkov"](labels))
    return tools


def test_each_tools_configuration_and_settings_are_part_of_its_question(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, cache_directory: Path, asked: dict[str, Tool]
) -> None:
    path = template(tmp_path / "project")
    lint_config, checkov_config = tmp_path / ".cfnlintrc.yaml", tmp_path / ".checkov.yaml"
    shutil.copy(REPOSITORY_ROOT / ".cfnlintrc.yaml", lint_config)
    shutil.copy(REPOSITORY_ROOT / ".checkov.yaml", checkov_config)

    def ask_both(region: str = "eu-west-1") -> None:
        run_cfn_lint({path: Gate.CFN_LINT_SAM}, config=lint_config, region=region)
        run_checkov({path: Gate.CHECKOV_SAM}, config=checkov_config)

    ask_both()
    ask_both()
    assert [len(tool.asked) for tool in asked.values()] == [1, 1]

    lint_config.write_text(lint_config.read_text() + "ignore_checks: [W3011]\n", encoding="utf-8")
    checkov_config.write_text(checkov_config.read_text() + "\n# changed\n", encoding="utf-8")
    ask_both()
    assert [len(tool.asked) for tool in asked.values()] == [2, 2]

    ask_both(region="us-east-1")
    monkeypatch.setenv("CKV_FRAMEWORK", "cloudformation")
    ask_both()
    assert [len(tool.asked) for tool in asked.values()] == [3, 3]

    monkeypatch.setenv("HOME", str(tmp_path))  # the user's own configuration files
    (tmp_path / ".cfnlintrc").write_text("ignore_checks: [W3011]\n", encoding="utf-8")
    (tmp_path / ".checkov.yml").write_text("skip-check: [CKV_AWS_28]\n", encoding="utf-8")
    ask_both()
    assert [len(tool.asked) for tool in asked.values()] == [4, 4]


def test_a_checkov_run_that_could_not_parse_a_file_is_never_kept(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, cache_directory: Path, asked: dict[str, Tool]
) -> None:
    path = template(tmp_path / "project")

    def unparsed(labels: Mapping[Path, str]) -> dict[Path, list[Finding]]:
        asked["checkov"].asked.append(set(labels))
        return {
            path: [Finding(label, UNPARSED, "", "checkov could not parse the template")]
            for path, label in labels.items()
        }

    monkeypatch.setattr(static_gate, "_ask_checkov", lambda _, labels, *rest: unparsed(labels))
    for _ in range(2):
        assert UNPARSED in {finding.rule for finding in run_checkov({path: Gate.CHECKOV_SAM})[path]}

    assert len(asked["checkov"].asked) == 2
