"""`python -m harness` is the `stability-harness` command."""

from __future__ import annotations

import sys

from harness.cli import main

sys.exit(main())
