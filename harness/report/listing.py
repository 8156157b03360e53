"""Listings of `suites`, `defects` and `rules`: a table on a terminal, whole lines in a pipe."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TextIO

from rich.console import Console
from rich.table import Table
from rich.text import Text


def print_listing(
    title: str,
    columns: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    file: TextIO | None = None,
) -> None:
    """Print `rows`: a rich table when `file` is a terminal, else tab-separated whole lines.

    In a pipe nothing is cut to a terminal's width: a header line of column names,
    then one line per row, so that `grep` and `cut -f` see every name whole.
    """
    out = file if file is not None else sys.stdout
    if out.isatty():
        table = Table(title=title)
        for column in columns:
            table.add_column(column, overflow="fold")
        for row in rows:
            table.add_row(*(Text(cell) for cell in row))
        Console(file=out, highlight=False).print(table)
        return
    out.write("\t".join(columns) + "\n")
    for row in rows:
        out.write("\t".join(cell.replace("\t", " ").replace("\n", " ") for cell in row) + "\n")
    out.flush()
