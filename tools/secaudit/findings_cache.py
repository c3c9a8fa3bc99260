"""The findings cfn-lint and checkov gave for a file, kept so that the same question is not asked twice.

Each tool is a pure function of what it reads: its own installed version (and those of its plugins,
such as cfn-lint's serverless rules), its configuration, the variables of its environment that it
reads, the file's name and the file's bytes - and no other file: neither reads what a template names
(``CodeUri``, ``DefinitionUri``; cfn-lint 1.x merges SAM's Globals itself rather than translating, and
neither tool's source mentions those properties: checked in the pinned versions). An entry is keyed by
a hash of all of them, so a change to any - a template edited, a tool upgraded, ``.cfnlintrc.yaml``
changed, a ``~/.checkov.yaml`` added - asks the tool again. Only a complete answer is kept (the tool
ran and its report was read): a tool that failed or timed out leaves nothing behind, nor does a run
whose findings are not each about their own file (checkov charges a file it could not parse to every
file of its run when it does not say which).

Why: the security tier runs both tools on every known-bad variant of the templates, and `make test`
runs them again on the unchanged templates; cfn-lint's schema validation alone costs seconds per
template. Between two runs where no template changed, every answer is the same.

``STATIC_GATE_CACHE`` chooses the directory, ``STATIC_GATE_CACHE=off`` turns the cache off. By default
it is the user's (``$XDG_CACHE_HOME``, else ``~/.cache``, then ``serverless-airline/static-gate``), never
the repository's: a clone - a pull request's - cannot bring answers of its own for CI's gate to read (a
committed file under a git-ignored directory is still checked out). Whoever can write the directory can
change the gate's answers, as whoever runs code in the test run can change the gate itself.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, replace
from pathlib import Path

from secaudit.findings import Finding

CACHE_VARIABLE = "STATIC_GATE_CACHE"
KEPT_DAYS = 14
"""An answer not read for this long is forgotten when new ones are kept."""
FORMAT = "1"
"""Part of every key: changed when what an entry holds, or how a tool is run, changes."""


def environment_fingerprint(environment: Path) -> str:
    """What a tool environment has installed: its interpreter's version and every distribution's name
    and version (the names of the ``*.dist-info`` directories), without reading a file of them."""
    configuration = (environment / "pyvenv.cfg").read_text(encoding="utf-8")
    distributions = sorted(
        entry.name
        for site_packages in environment.glob("lib/python*/site-packages")
        for entry in site_packages.iterdir()
        if entry.name.endswith(".dist-info")
    )
    return "\n".join([configuration, *distributions])


def files_fingerprint(paths: Iterable[Path]) -> str:
    """Each file's bytes, or that it is absent (a configuration a tool may look for in vain), in the
    order given: where a file is does not change what the tool makes of it."""
    return "\n".join(
        hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "-" for path in paths
    )


def variables_fingerprint(prefixes: Sequence[str], environment: Mapping[str, str] | None = None) -> str:
    """The environment variables a tool reads its settings from (those starting with ``prefixes``)."""
    variables = os.environ if environment is None else environment
    return "\n".join(
        f"{name}={value}" for name, value in sorted(variables.items()) if name.startswith(tuple(prefixes))
    )


def default_directory() -> Path:
    """The user's cache directory for the gate's answers (outside every clone of the project)."""
    root = os.environ.get("XDG_CACHE_HOME", "").strip() or str(Path.home() / ".cache")
    return Path(root) / "serverless-airline" / "static-gate"


def answer_files(directory: Path) -> Iterator[Path]:
    """The kept answers in a cache's directory, one file each (``_entry`` names them)."""
    return directory.glob("*/*.json")


class FindingsCache:
    """Findings per (tool, fingerprint, file), in a directory of small JSON files."""

    def __init__(self, directory: Path | None) -> None:
        self.directory = directory

    @classmethod
    def configured(cls) -> FindingsCache:
        """The cache ``STATIC_GATE_CACHE`` asks for: a directory, ``off``, or (unset) the default."""
        setting = os.environ.get(CACHE_VARIABLE, "").strip()
        if setting.lower() == "off":
            return cls(None)
        return cls(Path(setting) if setting else default_directory())

    @staticmethod
    def key(tool: str, fingerprint: str, path: Path) -> str:
        digest = hashlib.sha256()
        for part in (FORMAT, tool, fingerprint, path.name):
            digest.update(part.encode("utf-8"))
            digest.update(b"\0")
        digest.update(path.read_bytes())
        return digest.hexdigest()

    def _entry(self, key: str) -> Path:
        assert self.directory is not None
        return self.directory / key[:2] / f"{key}.json"

    def get(self, key: str) -> list[Finding] | None:
        if self.directory is None:
            return None
        entry = self._entry(key)
        try:
            stored = json.loads(entry.read_text(encoding="utf-8"))
            found = [Finding(**{**item, "details": tuple(item["details"])}) for item in stored]
            os.utime(entry)  # used: kept for another KEPT_DAYS
        except (OSError, ValueError, TypeError, KeyError):
            return None  # absent, or unreadable: the tool answers again
        return found

    def put(self, key: str, findings: Sequence[Finding]) -> None:
        if self.directory is None:
            return
        entry = self._entry(key)
        entry.parent.mkdir(parents=True, exist_ok=True)
        # Written aside and renamed: two test processes answering the same question never leave half a file.
        with tempfile.NamedTemporaryFile(
            "w", dir=entry.parent, suffix=".part", delete=False, encoding="utf-8"
        ) as file:
            json.dump([asdict(finding) for finding in findings], file)
        os.replace(file.name, entry)

    def prune(self) -> None:
        """Forget the answers nobody read for KEPT_DAYS (those about templates as they were before
        an edit): run when new answers are kept, so the directory grows only with what is used."""
        if self.directory is None:
            return
        oldest = time.time() - KEPT_DAYS * 86400
        for entry in answer_files(self.directory):
            with contextlib.suppress(OSError):  # another process may have pruned it first
                if entry.stat().st_mtime < oldest:
                    entry.unlink()

    def findings(
        self,
        tool: str,
        fingerprint: Callable[[], str],
        targets: Mapping[Path, str],
        run: Callable[[Mapping[Path, str]], dict[Path, list[Finding]]],
        *,
        keep: Callable[[Mapping[Path, list[Finding]]], bool] = lambda answers: True,
    ) -> dict[Path, list[Finding]]:
        """``run``'s findings for every target, asking ``run`` only about those not kept yet.

        ``targets`` maps each (resolved) file to its gate label, as ``run`` takes them; a kept finding's
        gate is the label the file has now. ``fingerprint`` is everything but the file that decides the
        tool's answer; it is computed only when the cache is on. ``keep`` says whether a run's answers
        are each about their own file alone (a finding the tool could not place is charged to every
        file of its run: such a run is not kept).
        """
        if self.directory is None or not targets:
            return run(targets)
        shared = fingerprint()
        keys = {path: self.key(tool, shared, path) for path in targets}
        answers: dict[Path, list[Finding]] = {}
        for path, key in keys.items():
            kept = self.get(key)
            if kept is not None:
                answers[path] = [replace(finding, gate=targets[path]) for finding in kept]
        missing = {path: label for path, label in targets.items() if path not in answers}
        if missing:
            asked = run(missing)
            if keep(asked):
                for path, found in asked.items():
                    self.put(keys[path], found)
                self.prune()
            answers.update(asked)
        return answers
