"""What a lab hands back: tables (printable as text or Markdown), findings, the PNG it wrote
and its raw numbers (for tests and for callers that want to plot them differently).

Example:
    >>> t = Table("demo", ["a", "b"], [[1, 2.5], [10, 0.25]])
    >>> print(t.text())
    demo
     a     b
     1   2.5
    10  0.25
    >>> Table("", ["name", "n"], [["a", 1]]).markdown().splitlines()[1]   # text left, numbers right
    '|---|---:|'
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence


def cell(value: Any) -> str:
    """How one table cell is printed: integers with thousands separators, floats as given
    to at most 4 significant decimals, everything else with ``str``.

    Example:
        >>> cell(138357544), cell(0.912345), cell("x")
        ('138,357,544', '0.9123', 'x')
    """
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:.4g}" if abs(value) < 1e4 else f"{value:,.0f}"
    return str(value)


@dataclass
class Table:
    """A titled table: ``columns`` names, ``rows`` of cells (numbers right-aligned)."""

    title: str
    columns: Sequence[str]
    rows: Sequence[Sequence[Any]]

    def _cells(self) -> list[list[str]]:
        return [[cell(v) for v in row] for row in self.rows]

    def text(self) -> str:
        """The table as aligned plain text under its title (see the module example)."""
        cells = self._cells()
        widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(self.columns)]
        lines = [self.title, "  ".join(c.rjust(w) for c, w in zip(self.columns, widths))]
        lines += ["  ".join(v.rjust(w) for v, w in zip(r, widths)) for r in cells]
        return "\n".join(line.rstrip() for line in lines)

    def markdown(self) -> str:
        """The table as GitHub Markdown (no title; see the module example); a column of numbers
        is right-aligned, any other left-aligned."""
        numeric = [all(isinstance(r[i], (int, float)) or r[i] == "" for r in self.rows)
                   for i in range(len(self.columns))]
        lines = ["| " + " | ".join(self.columns) + " |",
                 "|" + "|".join("---:" if n else "---" for n in numeric) + "|"]
        lines += ["| " + " | ".join(r) + " |" for r in self._cells()]
        return "\n".join(lines)


@dataclass
class LabResult:
    """Everything one lab computed.

    ``tables`` and ``findings`` (one-sentence conclusions drawn from the numbers) are printed
    by ``tgcnn lab``; ``picture`` is the PNG written; ``data`` holds the raw numbers.
    """

    name: str
    title: str
    tables: list[Table]
    findings: list[str] = field(default_factory=list)
    picture: Path | None = None
    data: dict[str, Any] = field(default_factory=dict)

    def text(self) -> str:
        """Title, tables and findings as plain text.

        Example:
            >>> print(LabResult("x", "X lab", [Table("t", ["n"], [[1]])], ["it works"]).text())
            X lab
            <BLANKLINE>
            t
            n
            1
            <BLANKLINE>
            - it works
        """
        parts = [self.title] + [t.text() for t in self.tables]
        if self.findings:
            parts.append("\n".join(f"- {f}" for f in self.findings))
        return "\n\n".join(parts)
