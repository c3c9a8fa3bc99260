"""What each function's package holds: its own service's code and src/common, nothing of the others.

``sam build`` runs ``make build-<LogicalId>`` from src/Makefile for every function (``BuildMethod:
makefile``). These tests run the Makefile's code step (``code-<LogicalId>``, the part that decides which
of the application's packages a function gets) and its bytecode step as SAM does, in a copy of src/;
the dependency step needs a package index and is proven by ``make build`` and the benchmark's package
sizes.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.template import REPOSITORY_ROOT, function_specs, project_template, resources_of_type

SOURCE = REPOSITORY_ROOT / "src"
TEMPLATE = project_template()
FUNCTIONS = function_specs(TEMPLATE)
RUNTIME_PROVIDED = {"boto3", "botocore", "s3transfer", "jmespath", "python-dateutil", "urllib3", "six"}
"""The AWS SDK and its dependencies, which the Lambda Python runtime provides."""


@pytest.fixture(scope="module")
def source_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """src/ as SAM copies it before running make, with the bytecode caches a local run leaves."""
    copy = tmp_path_factory.mktemp("scratch") / "src"
    shutil.copytree(SOURCE, copy)
    for package in ("common", "booking", "payment", "loyalty"):
        (copy / package / "__pycache__").mkdir(exist_ok=True)
        (copy / package / "__pycache__" / "stale.cpython-313.pyc").write_bytes(b"")
    return copy


def make(target: str, artifacts: Path, source_copy: Path) -> subprocess.CompletedProcess[str]:
    """``make <target>`` in the copy of src/, as SAM runs it (this interpreter is Lambda's Python)."""
    return subprocess.run(  # noqa: S603 - make, on the repository's own Makefile
        ["make", "--silent", target, f"ARTIFACTS_DIR={artifacts}", f"PYTHON={sys.executable}"],  # noqa: S607
        cwd=source_copy,
        capture_output=True,
        text=True,
        check=False,
    )


def test_every_function_is_built_by_the_source_makefile() -> None:
    functions = resources_of_type(TEMPLATE, "AWS::Serverless::Function")
    assert functions
    for logical_id, resource in functions.items():
        assert FUNCTIONS[logical_id].code_uri.rstrip("/") == "src", logical_id
        assert (resource.get("Metadata") or {}).get("BuildMethod") == "makefile", logical_id
    assert (SOURCE / "Makefile").is_file()


@pytest.mark.parametrize("logical_id", sorted(FUNCTIONS))
def test_a_function_ships_only_its_service_and_common(
    logical_id: str, source_copy: Path, tmp_path: Path
) -> None:
    artifacts = tmp_path / logical_id
    assert make(f"code-{logical_id}", artifacts, source_copy).returncode == 0
    service = FUNCTIONS[logical_id].module.partition(".")[0]
    assert {path.name for path in artifacts.iterdir()} == {"common", service}
    assert (artifacts / f"{FUNCTIONS[logical_id].module.replace('.', '/')}.py").is_file()
    assert not list(artifacts.glob("**/__pycache__"))


def test_the_package_ships_bytecode_checked_against_its_source(source_copy: Path, tmp_path: Path) -> None:
    artifacts = tmp_path / "GetLoyaltyFunction"
    for step in ("code", "bytecode"):
        assert make(f"{step}-GetLoyaltyFunction", artifacts, source_copy).returncode == 0
    sources = sorted(artifacts.glob("**/*.py"))
    assert sources
    for source in sources:
        bytecode = Path(importlib.util.cache_from_source(str(source)))
        header = bytecode.read_bytes()[:8]
        assert header[:4] == importlib.util.MAGIC_NUMBER, source
        # PEP 552 flags: hash-based (bit 0) and checked against the source (bit 1), so a changed source
        # is never run from stale bytecode.
        assert int.from_bytes(header[4:8], "little") == 0b11, source


def test_a_name_the_template_does_not_have_is_refused(source_copy: Path, tmp_path: Path) -> None:
    completed = make("build-UnknownFunction", tmp_path / "out", source_copy)
    assert completed.returncode != 0
    assert "UnknownFunction: not a function of template.yaml" in completed.stderr
    assert not (tmp_path / "out").exists()


def test_the_runtime_dependencies_leave_the_aws_sdk_to_the_lambda_runtime() -> None:
    requirements = (SOURCE / "requirements.txt").read_text(encoding="utf-8").splitlines()
    named = {
        re.split(r"[\[=<>~! ;]", line.strip(), maxsplit=1)[0].lower().replace("_", "-")
        for line in requirements
        if line.strip() and not line.lstrip().startswith("#")
    }
    assert named
    assert not named & RUNTIME_PROVIDED
    assert all("==" in line for line in requirements if line.strip() and not line.lstrip().startswith("#"))
