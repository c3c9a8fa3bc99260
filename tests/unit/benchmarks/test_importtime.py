"""Reading `python -X importtime` output, split into start-up, init and first invocation."""

from __future__ import annotations

from benchmarks.importtime import ImportEntry, Phase, heaviest, parse, total_us

STDERR = """\
import time: self [us] | cumulative | imported package
import time:       300 |        300 |   _io
import time:      1000 |       2000 | encodings
benchmarks.probe: init
import time:       100 |        100 |     botocore.compat
import time:       500 |       4600 |   boto3
{"level":"INFO","message":"a log line of the function"}
import time:       700 |       6000 | loyalty.handlers.get_loyalty
benchmarks.probe: first invocation
import time:       250 |        250 | botocore.loaders
"""


def test_each_entry_has_its_times_depth_and_phase() -> None:
    entries = parse(STDERR)

    assert entries == [
        ImportEntry("_io", 300, 300, 1, Phase.STARTUP),
        ImportEntry("encodings", 1000, 2000, 0, Phase.STARTUP),
        ImportEntry("botocore.compat", 100, 100, 2, Phase.INIT),
        ImportEntry("boto3", 500, 4600, 1, Phase.INIT),
        ImportEntry("loyalty.handlers.get_loyalty", 700, 6000, 0, Phase.INIT),
        ImportEntry("botocore.loaders", 250, 250, 0, Phase.INVOCATION),
    ]


def test_the_heaviest_entries_leave_the_interpreters_start_up_out() -> None:
    assert [entry.module for entry in heaviest(parse(STDERR), 3)] == [
        "loyalty.handlers.get_loyalty",
        "boto3",
        "botocore.loaders",
    ]


def test_a_phase_total_sums_its_top_level_entries_only() -> None:
    entries = parse(STDERR)

    assert total_us(entries, Phase.INIT) == 6000
    assert total_us(entries, Phase.INVOCATION) == 250
