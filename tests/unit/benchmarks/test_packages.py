"""Package sizes: the zipped size computed file by file is the size of the real zip."""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

from benchmarks.packages import ZipSizer, measure, source_packages, top_level_entry


def build_directory(root: Path) -> Path:
    files = {
        "booking/handlers/reserve.py": b"def handler(event, context):\n    return event\n" * 20,
        "botocore/data/dynamodb.json": b'{"operations": {}}' * 500,
        "botocore-1.44.8.dist-info/RECORD": b"botocore/__init__.py,sha256=x,1\n" * 10,
        "six.py": b"# six\n" * 100,
        "booking/__pycache__/reserve.cpython-313.pyc": b"\x00" * 5000,
    }
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return root


def real_zip_size(directory: Path) -> int:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for root, directories, names in os.walk(directory):
            directories.sort()
            for name in sorted(names):
                path = Path(root) / name
                archive.write(path, path.relative_to(directory).as_posix())
    return len(buffer.getvalue())


def test_the_zipped_size_is_the_size_of_a_deflate_zip_of_the_directory(tmp_path: Path) -> None:
    directory = build_directory(tmp_path / "Function")

    package = measure("Function", directory, ZipSizer(), frozenset({"booking"}))

    assert package.zipped_bytes == real_zip_size(directory)
    assert package.files == 5  # the compiled bytecode is part of the package


def test_entries_group_a_package_with_its_metadata_and_flag_what_the_runtime_provides(tmp_path: Path) -> None:
    package = measure("Function", build_directory(tmp_path / "Function"), ZipSizer(), frozenset({"booking"}))

    entries = {entry.name: entry for entry in package.largest}
    assert set(entries) == {"botocore", "booking", "six"}
    assert entries["botocore"].unzipped_bytes == 18 * 500 + 32 * 10
    assert entries["botocore"].runtime_provided
    assert not entries["booking"].runtime_provided
    assert package.largest[0].name == "botocore"
    assert package.application_packages == ["booking"]


def test_top_level_entries() -> None:
    assert top_level_entry("botocore/data/x.json") == "botocore"
    assert top_level_entry("python_dateutil-2.9.0.post0.dist-info/RECORD") == "python_dateutil"
    assert top_level_entry("jmespath-1.1.0.data/scripts/jp.py") == "jmespath"
    assert top_level_entry("six.py") == "six"
    assert top_level_entry("requirements.txt") == "requirements.txt"


def test_the_applications_packages_are_srcs_python_directories(tmp_path: Path) -> None:
    (tmp_path / "booking").mkdir()
    (tmp_path / "booking" / "rules.py").write_text("", encoding="utf-8")
    (tmp_path / "assets").mkdir()

    assert source_packages(tmp_path) == frozenset({"booking"})
