"""python -m benchmarks: see benchmarks/cli.py, or run it with --help."""

import sys

from benchmarks.cli import main

sys.exit(main())
