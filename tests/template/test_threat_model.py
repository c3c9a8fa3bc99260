"""docs/threat-model.md names the tests that prove each boundary: every one of them must exist, so the
threat model cannot rot into a list of tests that were renamed or removed."""

from __future__ import annotations

import re

from tests.support.template import REPOSITORY_ROOT

THREAT_MODEL = REPOSITORY_ROOT / "docs" / "threat-model.md"
TEST_REFERENCE = re.compile(r"`((?:tools/)?tests/[\w/]+\.py)(?:::(\w+))?`")


def references() -> list[tuple[str, str | None]]:
    return [(path, name) for path, name in TEST_REFERENCE.findall(THREAT_MODEL.read_text(encoding="utf-8"))]


def test_every_test_the_threat_model_names_exists() -> None:
    missing = []
    for path, name in references():
        source = REPOSITORY_ROOT / path
        if not source.is_file():
            missing.append(path)
        elif name and not re.search(rf"^def {name}\(", source.read_text(encoding="utf-8"), re.MULTILINE):
            missing.append(f"{path}::{name}")

    assert missing == []
    assert len(references()) > 40


def test_every_entry_point_names_its_tests() -> None:
    sections = re.split(r"^## ", THREAT_MODEL.read_text(encoding="utf-8"), flags=re.MULTILINE)[1:]

    untested = [section.splitlines()[0] for section in sections if not TEST_REFERENCE.search(section)]

    assert untested == []
    assert {section.splitlines()[0] for section in sections} >= {
        "The GraphQL API (AppSync)",
        "The loyalty REST API (API Gateway)",
        "The AWS endpoint of the local cloud",
        "The loyalty queue (SQS)",
        "The booking topic (SNS)",
        "The booking state machine (Step Functions)",
        "Each function (Lambda)",
    }
