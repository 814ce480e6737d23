"""Answers, claims and tables render as Markdown/HTML and wrap as plain text."""

import pytest
from IPython.core.formatters import DisplayFormatter

from nnlab.views.prose import WIDTH, answer, claim, md, table


def _formats(obj):
    data, _ = DisplayFormatter().format(obj)
    return data


def test_answer_is_a_markdown_block_quote_with_its_part():
    a = answer("(b)", "Row **18**.\n\nThe pool after Conv F=96.")
    data = _formats(a)
    assert data["text/markdown"] == (
        "> **Answer (b).** Row **18**.\n>\n> The pool after Conv F=96."
    )
    assert "text/html" not in data
    assert data["text/plain"] == data["text/markdown"]


def test_long_lines_wrap_in_plain_text_only_and_keep_the_quote_prefix():
    text = " ".join(["word"] * 60)  # 299 characters
    a = answer("(a)", text)
    data = _formats(a)
    assert data["text/markdown"].count("\n") == 0  # Markdown is left as written
    lines = data["text/plain"].splitlines()
    assert len(lines) > 1
    assert all(len(line) <= WIDTH and line.startswith("> ") for line in lines)
    # nothing lost or broken inside a word
    assert " ".join(line[2:] for line in lines) == f"**Answer (a).** {text}"


def test_claim_names_the_verdict_and_refuses_unknown_ones():
    c = claim(2, "the sigmoid beats every listed option", "does not hold", "ties.")
    assert _formats(c)["text/markdown"] == (
        "**2. “the sigmoid beats every listed option”** — *Does not hold.* ties."
    )
    with pytest.raises(ValueError, match="verdict must be one of 'holds'"):
        claim(1, "x", "HOLDS!", "y")


def test_table_renders_html_and_aligned_plain_columns():
    t = table(["layer", "params"], [["Conv", "448"], ["Linear", "170"]])
    data = _formats(t)
    assert "text/markdown" not in data
    html = data["text/html"]
    assert html.count("<tr>") == 3
    assert '<td style="text-align: right">448</td>' in html
    assert data["text/plain"].splitlines() == [
        "layer   params",
        "Conv       448",
        "Linear     170",
    ]


def test_table_escapes_html_and_checks_row_lengths():
    t = table(["a"], [["<b>&"]])
    assert "&lt;b&gt;&amp;" in _formats(t)["text/html"]
    with pytest.raises(ValueError, match=r"rows\[1\] has 1 entries, the header has 2"):
        table(["a", "b"], [["1", "2"], ["3"]])
    with pytest.raises(ValueError, match="align must give 'l' or 'r'"):
        table(["a", "b"], [["1", "2"]], align="lc")


def test_empty_text_is_refused():
    with pytest.raises(ValueError, match="text must not be empty"):
        md("  ")
    with pytest.raises(TypeError, match="text must be a str, got int"):
        answer("(a)", 3)


def test_paragraphs_join():
    both = md("One.") + md("Two.")
    assert both.markdown == "One.\n\nTwo."


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"header": "ab", "rows": [["x", "y"]]}, "header must be a non-empty list"),
        ({"header": ["a"], "rows": None}, "rows must be a list of rows, got NoneType"),
        ({"header": ["a", "b"], "rows": ["xy"]}, r"rows\[0\] must be a list of values"),
        (
            {"header": ["a"], "rows": [[1]], "caption": 3},
            "caption must be a str or None",
        ),
        ({"header": ["a"], "rows": [[1]], "align": 3}, "align must be a str or None"),
    ],
)
def test_table_refuses_what_is_not_a_table_by_name(kwargs, message):
    with pytest.raises(TypeError, match=message):
        table(**kwargs)


def test_claim_numbers_are_ints_or_strings():
    assert claim("4b", "q", "holds", "e").markdown.startswith("**4b. ")
    for bad in (None, True, 1.5):
        with pytest.raises(TypeError, match="number must be an int or a str"):
            claim(bad, "q", "holds", "e")
