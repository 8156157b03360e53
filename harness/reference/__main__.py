"""`python -m harness.reference`: the reference server standalone (what `start_subprocess` runs)."""

from __future__ import annotations

import argparse
import sys

from harness.errors import ConfigError
from harness.exit_codes import ExitCode
from harness.reference.serve import add_arguments, main

parser = argparse.ArgumentParser(prog="python -m harness.reference", description=__doc__)
add_arguments(parser)
try:
    sys.exit(main(parser.parse_args()))
except ConfigError as error:
    print(f"error: {error}", file=sys.stderr)
    sys.exit(ExitCode.USAGE)
