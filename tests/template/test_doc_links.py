"""Every relative link in the README and docs/ leads somewhere: the file exists and, for a link to a
heading (``file.md#heading``), the heading does too, spelled as GitHub spells its anchors."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.support.template import REPOSITORY_ROOT

DOCUMENTS = [REPOSITORY_ROOT / "README.md", *sorted((REPOSITORY_ROOT / "docs").glob("*.md"))]

_FENCE = re.compile(r"^(```|~~~).*?^\1", re.MULTILINE | re.DOTALL)
_INLINE_CODE = re.compile(r"`[^`\n]*`")
# [text](target) and ![alt](target), with an optional "title"; the target has no spaces.
_LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)


def links(text: str) -> list[str]:
    prose = _INLINE_CODE.sub("", _FENCE.sub("", text))
    return _LINK.findall(prose)


def anchor(heading: str) -> str:
    """GitHub's anchor for a heading: its text without markup, lower case, without punctuation,
    spaces as hyphens."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)
    text = text.replace("`", "").strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(document: Path) -> set[str]:
    found: set[str] = set()
    counts: dict[str, int] = {}
    for heading in _HEADING.findall(_FENCE.sub("", document.read_text(encoding="utf-8"))):
        slug = anchor(heading)
        seen = counts.get(slug, 0)
        found.add(slug if seen == 0 else f"{slug}-{seen}")
        counts[slug] = seen + 1
    return found


def broken_links(document: Path) -> list[str]:
    broken = []
    for target in links(document.read_text(encoding="utf-8")):
        if re.match(r"[a-z][a-z0-9+.-]*:", target):  # http:, https:, mailto: - not a file of this repository
            continue
        path_part, _, fragment = target.partition("#")
        linked = (document.parent / path_part).resolve() if path_part else document
        if not linked.exists():
            broken.append(f"{target}: no {linked.relative_to(REPOSITORY_ROOT.resolve(), walk_up=True)}")
        elif fragment and linked.suffix == ".md" and fragment not in anchors(linked):
            broken.append(f"{target}: no heading with that anchor in {linked.name}")
    return broken


@pytest.mark.parametrize("document", DOCUMENTS, ids=[path.name for path in DOCUMENTS])
def test_every_relative_link_resolves(document: Path) -> None:
    assert broken_links(document) == []


def test_the_anchor_of_a_heading_is_githubs() -> None:
    assert anchor("What `make test` runs") == "what-make-test-runs"
    assert anchor("If a function is compromised") == "if-a-function-is-compromised"
    assert anchor("The booking saga ([`statemachine/booking.asl.json`](../x))") == (
        "the-booking-saga-statemachinebookingasljson"
    )


def test_a_missing_file_or_heading_is_reported(tmp_path: Path) -> None:
    document = tmp_path / "doc.md"
    (tmp_path / "other.md").write_text("# Present\n", encoding="utf-8")
    document.write_text(
        "[ok](other.md#present) [gone](missing.md) [no heading](other.md#absent) "
        "[web](https://example.com/x) `[code](ignored.md)`\n\n```\n[fenced](ignored.md)\n```\n",
        encoding="utf-8",
    )

    assert [problem.split(":")[0] for problem in broken_links(document)] == ["missing.md", "other.md#absent"]
