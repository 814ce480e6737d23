r"""Answers, verdicts and tables as rendered text, not long ``print`` lines.

A notebook computes a value and states it in a sentence; these helpers turn
the sentence into an object that JupyterLab and the handouts render as
Markdown (or an HTML table), that nbval compares like any output, and whose
plain-text form (``text/plain``, what a terminal shows) is wrapped at
`WIDTH` characters. Every helper returns a `Prose`; the last expression of a
cell displays it, or pass it to ``IPython.display.display``.

- `answer`: the boxed answer to one part of a problem, where a student
  looks first.
- `claim`: one checked claim of a "Common answers, checked" section: the
  claim, the verdict, the evidence.
- `md`: any other paragraph with computed values.
- `table`: rows of values as an HTML table (plain-text columns as fallback).

Examples
--------
>>> answer("(a)", "The output is **8 x 8 x 64**.")
> **Answer (a).** The output is **8 x 8 x 64**.
"""

from __future__ import annotations

import html
import textwrap
from collections.abc import Sequence

from nnlab.validate import check_choice

WIDTH = 100  # the longest plain-text line any output may have (tests hold it)
VERDICTS = ("holds", "does not hold", "partly holds", "right idea")


class Prose:
    """Markdown (or HTML) text that displays as rendered text.

    Parameters
    ----------
    markdown : str
        The Markdown source, shown by ``_repr_markdown_``.
    html_text : str, optional
        An HTML rendering; when given it is shown instead of the Markdown.
    plain : str, optional
        The plain-text form; defaults to the Markdown wrapped at `WIDTH`.
    """

    def __init__(self, markdown: str, html_text: str | None = None, plain=None):
        if not isinstance(markdown, str):
            raise TypeError(f"markdown must be a str, got {type(markdown).__name__}")
        self.markdown = markdown
        self.html = html_text
        self.plain = plain if plain is not None else _wrap(markdown)

    def _repr_markdown_(self):
        return None if self.html is not None else self.markdown

    def _repr_html_(self):
        return self.html

    def __repr__(self) -> str:
        """Return the plain-text form, wrapped at `WIDTH`."""
        return self.plain

    def __add__(self, other: Prose) -> Prose:
        """Join two texts as consecutive paragraphs."""
        if not isinstance(other, Prose):
            return NotImplemented
        return Prose(self.markdown + "\n\n" + other.markdown)


def _wrap(text: str) -> str:
    """Wrap every line longer than `WIDTH`, keeping Markdown's line prefixes."""
    out = []
    for line in text.splitlines():
        if len(line) <= WIDTH:
            out.append(line)
            continue
        stripped = line.lstrip("> ")
        prefix = line[: len(line) - len(stripped)]
        out += textwrap.wrap(
            stripped,
            WIDTH,
            initial_indent=prefix,
            subsequent_indent=prefix,
            break_long_words=False,
            break_on_hyphens=False,
        )
    return "\n".join(out)


def _check_text(name: str, value) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, got {type(value).__name__}")
    if not value.strip():
        raise ValueError(f"{name} must not be empty")
    return value


def md(text: str) -> Prose:
    """Return a paragraph (or several) of Markdown, for computed statements.

    Raises
    ------
    TypeError
        If `text` is not a str.
    ValueError
        If it is empty.
    """
    return Prose(_check_text("text", text).strip())


def answer(part: str, text: str) -> Prose:
    """Return the boxed answer to one part of a problem.

    Parameters
    ----------
    part : str
        The part's label, for example ``"(a)"``; "" for the whole problem.
    text : str
        The answer in Markdown, values already filled in; blank lines start
        new paragraphs inside the box.

    Returns
    -------
    Prose
        A Markdown block quote that starts with "**Answer (a).**"; the
        handouts' stylesheet draws it as a box.
    """
    if not isinstance(part, str):
        raise TypeError(f"part must be a str, got {type(part).__name__}")
    text = _check_text("text", text).strip()
    label = f"**Answer {part}.**" if part else "**Answer.**"
    lines = f"{label} {text}".splitlines()
    return Prose("\n".join(f"> {line}" if line else ">" for line in lines))


def claim(number, quote: str, verdict: str, evidence: str) -> Prose:
    """Return one claim of a "Common answers, checked" section and its verdict.

    Parameters
    ----------
    number : int or str
        The claim's number in the section.
    quote : str
        The claim, paraphrased (never a student's wording).
    verdict : str
        One of `VERDICTS`: "holds", "does not hold", "partly holds", or
        "right idea" (the idea is sound, its statement is not).
    evidence : str
        Why, in Markdown, with the computed values filled in.

    Raises
    ------
    TypeError, ValueError
        If `verdict` is not one of `VERDICTS`, or a text is empty.
    """
    if isinstance(number, bool) or not isinstance(number, int | str):
        raise TypeError(
            f"number must be an int or a str, got {type(number).__name__} {number!r}"
        )
    check_choice("verdict", verdict, VERDICTS)
    quote = _check_text("quote", quote).strip()
    evidence = _check_text("evidence", evidence).strip()
    head = f"**{number}. “{quote}”** — *{verdict.capitalize()}.*"
    return Prose(f"{head} {evidence}")


def table(
    header: Sequence[str],
    rows: Sequence[Sequence],
    align: str | None = None,
    caption: str | None = None,
) -> Prose:
    """Return rows of values as an HTML table; plain-text columns as fallback.

    Parameters
    ----------
    header : sequence of str
        Column titles.
    rows : sequence of sequences
        One entry a column in each row, already formatted or formatted with
        ``str``.
    align : str, optional
        One letter a column, "l" or "r" (default: numbers right, text left,
        judged from the first row).
    caption : str, optional
        Shown above the table.

    Raises
    ------
    TypeError
        If `header` or `rows` is not a list (a str is not), a row is not a
        list, or `align` / `caption` is neither a str nor None.
    ValueError
        If a row's length differs from the header's, or `align` does not
        give one "l" or "r" a column.
    """
    if isinstance(header, str) or not isinstance(header, Sequence) or not header:
        raise TypeError(
            f"header must be a non-empty list of column titles, got {header!r:.60}"
        )
    if isinstance(rows, str) or not isinstance(rows, Sequence):
        raise TypeError(f"rows must be a list of rows, got {type(rows).__name__}")
    for i, row in enumerate(rows):
        if isinstance(row, str) or not isinstance(row, Sequence):
            raise TypeError(
                f"rows[{i}] must be a list of values, got {type(row).__name__} "
                f"{row!r:.40}"
            )
    for name, value in (("align", align), ("caption", caption)):
        if value is not None and not isinstance(value, str):
            raise TypeError(
                f"{name} must be a str or None, got {type(value).__name__} {value!r}"
            )
    header = [str(h) for h in header]
    rows = [[str(v) for v in row] for row in rows]
    n = len(header)
    for i, row in enumerate(rows):
        if len(row) != n:
            raise ValueError(
                f"rows[{i}] has {len(row)} entries, the header has {n}: {row}"
            )
    if align is None:
        first = rows[0] if rows else [""] * n
        align = "".join("r" if _numeric(v) else "l" for v in first)
    if len(align) != n or set(align) - {"l", "r"}:
        raise ValueError(
            f"align must give 'l' or 'r' for each of {n} columns, got {align!r}"
        )
    side = {"l": "left", "r": "right"}
    cells = "".join(
        f'<th style="text-align: {side[a]}">{html.escape(h)}</th>'
        for h, a in zip(header, align, strict=True)
    )
    body = "".join(
        "<tr>"
        + "".join(
            f'<td style="text-align: {side[a]}">{html.escape(v)}</td>'
            for v, a in zip(row, align, strict=True)
        )
        + "</tr>"
        for row in rows
    )
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    html_text = (
        f'<table class="nnlab-table">{cap}<thead><tr>{cells}</tr></thead>'
        f"<tbody>{body}</tbody></table>"
    )
    widths = [max(len(c) for c in col) for col in zip(header, *rows, strict=True)]

    def line(values):
        return "  ".join(
            v.rjust(w) if a == "r" else v.ljust(w)
            for v, w, a in zip(values, widths, align, strict=True)
        ).rstrip()

    plain = "\n".join(
        ([caption] if caption else []) + [line(header)] + [line(r) for r in rows]
    )
    markdown = plain  # not shown: the HTML is
    return Prose(markdown, html_text, plain)


def _numeric(text: str) -> bool:
    t = text.replace(",", "").replace("%", "").replace("±", "").strip()
    try:
        float(t.split()[0] if t else "x")
    except ValueError:
        return False
    return True
