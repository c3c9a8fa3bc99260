"""What each function ships: its ``sam build`` directory, unzipped and zipped, and what fills it.

The zipped size is that of a deflate zip of the directory (what ``sam deploy`` uploads), computed file
by file: a file's compressed size does not depend on the archive it is in, so identical files shared by
several functions are compressed once (every function may ship the same 40+ MB).
"""

from __future__ import annotations

import hashlib
import os
import re
import zlib
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

LOCAL_HEADER_BYTES = 30
CENTRAL_HEADER_BYTES = 46
END_RECORD_BYTES = 22

RUNTIME_PROVIDED = frozenset({"boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six"})
"""Packages the Lambda Python runtime already has (the AWS SDK and its dependencies): shipping them
only makes the package bigger, unless a function needs a newer version than the runtime's."""

TARGET_UNZIPPED_BYTES = 10 * 1024 * 1024
"""A function's package should stay under this unzipped: Lambda downloads and unpacks it on every cold
start, and a small package is one that holds only what the function runs."""

_DISTRIBUTION = re.compile(r"^(?P<name>[^-]+)-.*\.(dist-info|data|egg-info)$")


@dataclass(frozen=True)
class Entry:
    """One top-level entry of a package (a Python package, module or metadata directory)."""

    name: str
    unzipped_bytes: int
    zipped_bytes: int
    runtime_provided: bool


@dataclass(frozen=True)
class Package:
    function: str
    directory: str
    files: int
    unzipped_bytes: int
    zipped_bytes: int
    largest: list[Entry]
    application_packages: list[str]
    """Top-level packages whose code comes from the repository's ``src/`` (the application's own)."""


class ZipSizer:
    """Deflate sizes of files, remembered by content."""

    def __init__(self) -> None:
        self._compressed: dict[str, int] = {}

    def compressed_size(self, data: bytes) -> int:
        digest = hashlib.sha256(data).hexdigest()
        if digest not in self._compressed:
            # What zipfile.ZIP_DEFLATED writes: raw deflate at zlib's default level.
            compressor = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)
            self._compressed[digest] = len(compressor.compress(data) + compressor.flush())
        return self._compressed[digest]


def measure(
    function: str,
    directory: Path,
    sizer: ZipSizer,
    application_packages: frozenset[str],
    largest: int = 8,
) -> Package:
    """Sizes of one function's build directory. Raises FileNotFoundError if it was not built."""
    if not directory.is_dir():
        raise FileNotFoundError(f"{directory} does not exist: run `make build` (sam build) first")
    unzipped: dict[str, int] = defaultdict(int)
    zipped: dict[str, int] = defaultdict(int)
    files = 0
    archive_bytes = END_RECORD_BYTES
    for relative in _files_of(directory):
        data = (directory / relative).read_bytes()
        compressed = sizer.compressed_size(data)
        entry = top_level_entry(relative)
        files += 1
        unzipped[entry] += len(data)
        zipped[entry] += compressed
        name_bytes = len(relative.encode("utf-8"))
        archive_bytes += LOCAL_HEADER_BYTES + CENTRAL_HEADER_BYTES + 2 * name_bytes + compressed
    entries = [
        Entry(name, unzipped[name], zipped[name], name in RUNTIME_PROVIDED)
        for name in sorted(unzipped, key=lambda name: unzipped[name], reverse=True)
    ]
    return Package(
        function=function,
        directory=str(directory),
        files=files,
        unzipped_bytes=sum(unzipped.values()),
        zipped_bytes=archive_bytes,
        largest=entries[:largest],
        application_packages=sorted(name for name in unzipped if name in application_packages),
    )


def _files_of(directory: Path) -> list[str]:
    """Paths of the files under ``directory``, relative and with "/" - the bytecode ``sam build``
    compiles included: the package ships it (src/Makefile)."""
    found: list[str] = []
    for root, directories, names in os.walk(directory):
        directories.sort()
        prefix = os.path.relpath(root, directory).replace(os.sep, "/")
        found.extend(name if prefix == "." else f"{prefix}/{name}" for name in sorted(names))
    return found


def top_level_entry(relative_path: str) -> str:
    """The package a file belongs to: ``botocore/data/x.json`` and ``botocore-1.2.dist-info/RECORD``
    both belong to ``botocore``; ``six.py`` is ``six``."""
    first = relative_path.split("/", 1)[0]
    distribution = _DISTRIBUTION.match(first)
    if distribution:
        return distribution["name"]
    return first.removesuffix(".py") if "/" not in relative_path else first


def source_packages(source_root: Path) -> frozenset[str]:
    """The application's own top-level packages: the directories of ``src/`` with Python code."""
    return frozenset(
        path.name for path in source_root.iterdir() if path.is_dir() and any(path.glob("**/*.py"))
    )
