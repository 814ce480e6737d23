"""The course book's page furniture, added to a handout after nbconvert.

`decorate` gives an exported page the book's table of contents (the current
notebook marked), previous/next links, an outline of its sections, a footer
with its provenance, and links between notebooks: a Markdown link to
``NN_name.ipynb`` or ``NN_name.ipynb#Section`` becomes a link to
``NN_name.html`` (``#Section`` kept: JupyterLab and nbconvert derive the same
anchor from a heading). Wide tables are put in a box of their own that
scrolls sideways, so that the page itself never does.
"""

from __future__ import annotations

import datetime
import html
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from bs4 import BeautifulSoup

NOTEBOOK_LINK = re.compile(
    r"^(?:\./)?(?:(?:\.\./)?notebooks/)?(?P<stem>\d\d_[A-Za-z0-9_-]+)\.ipynb"
    r"(?P<anchor>#.*)?$"
)
LICENCE_NOTE = "Code MIT; text and figures CC BY 4.0"


@dataclass(frozen=True)
class Entry:
    """One page of the book: the notebook's stem and its plain-text title."""

    stem: str
    title: str

    @property
    def href(self) -> str:
        """The page's file name, relative to the book's folder."""
        return f"{self.stem}.html"


def provenance(root: Path) -> str:
    """``nnlab 0.1.0 · commit 1a2b3c4 · built 2025-01-31``, for the footer.

    The commit is ``unknown`` outside a git checkout, and is marked when the
    working tree has uncommitted changes to tracked files.
    """
    from nnlab import __version__

    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(
                ["git", "-C", str(root), *args],
                capture_output=True,
                text=True,
                timeout=20,
                check=True,
            )
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout.strip()

    commit = git("rev-parse", "--short=12", "HEAD") or "unknown"
    if commit != "unknown" and git("status", "--porcelain", "--untracked-files=no"):
        commit += " with local changes"
    today = datetime.datetime.now(datetime.timezone.utc).date().isoformat()
    return f"nnlab {__version__} \u00b7 commit {commit} \u00b7 built {today}"


def toc_html(entries: list[Entry], current: str | None) -> str:
    """Return the book's table of contents, `current` (a stem, or None) marked."""
    items = []
    for e in entries:
        label = html.escape(e.title)
        if e.stem == current:
            items.append(
                f'<li class="nnlab-current"><a href="{e.href}" '
                f'aria-current="page">{label}</a></li>'
            )
        else:
            items.append(f'<li><a href="{e.href}">{label}</a></li>')
    index_mark = ' aria-current="page"' if current is None else ""
    # A <details> that book.js closes on a phone, where the list would
    # fill the first screen.
    return (
        '<nav class="nnlab-toc" aria-label="Course book"><details open>'
        '<summary class="nnlab-book-title">Contents: '
        f'<a href="index.html"{index_mark}>nnlab course book</a></summary>\n'
        "<ol>\n" + "\n".join(items) + "\n</ol>\n</details></nav>"
    )


def prevnext_html(entries: list[Entry], current: str) -> str:
    """Links to the previous and next page (the index before the first)."""
    stems = [e.stem for e in entries]
    i = stems.index(current)
    prev = entries[i - 1] if i > 0 else None
    nxt = entries[i + 1] if i + 1 < len(entries) else None
    parts = ['<nav class="nnlab-prevnext" aria-label="Previous and next">']
    if prev:
        parts.append(
            f'<a rel="prev" href="{prev.href}">\u2190 {html.escape(prev.title)}</a>'
        )
    else:
        parts.append('<a rel="prev" href="index.html">\u2190 Contents</a>')
    if nxt:
        parts.append(
            f'<a rel="next" href="{nxt.href}">{html.escape(nxt.title)} \u2192</a>'
        )
    parts.append("</nav>")
    return "\n".join(parts)


def footer_html(stamp: str) -> str:
    """Return the provenance footer that every page carries."""
    return (
        f'<footer class="nnlab-footer"><p>{html.escape(stamp)}</p>'
        f"<p>{LICENCE_NOTE} (see LICENSE).</p></footer>"
    )


def rewrite_notebook_links(soup: BeautifulSoup, stems: set[str]) -> int:
    """Point links to a book notebook's ``.ipynb`` at its page; return how many."""
    count = 0
    for a in soup.find_all("a", href=True):
        m = NOTEBOOK_LINK.match(a["href"])
        if m and m["stem"] in stems:
            a["href"] = f"{m['stem']}.html{m['anchor'] or ''}"
            count += 1
    return count


def outline_html(soup: BeautifulSoup) -> str:
    """Return the outline "On this page": h2 and h3 sections, h3 indented."""
    items = []
    for h in soup.select("main h2[id], main h3[id]"):
        text = h.get_text(" ", strip=True).removesuffix("\u00b6").strip()
        items.append(
            f'<li class="nnlab-{h.name}"><a href="#{html.escape(h["id"])}">'
            f"{html.escape(text)}</a></li>"
        )
    if not items:
        return ""
    return (
        '<nav class="nnlab-outline" aria-label="On this page">'
        '<h2 class="nnlab-outline-title">On this page</h2><ul>'
        + "".join(items)
        + "</ul></nav>"
    )


def wrap_tables(soup: BeautifulSoup) -> None:
    """Put every table in a box that scrolls sideways on its own."""
    for table in soup.select("main table"):
        if table.parent.get("class") == ["nnlab-scroll"]:
            continue
        box = soup.new_tag("div", attrs={"class": "nnlab-scroll", "tabindex": "0"})
        table.wrap(box)


def decorate(page_html: str, entries: list[Entry], current: str, stamp: str) -> str:
    """Return `page_html` (an exported handout) as a page of the book."""
    soup = BeautifulSoup(page_html, "html.parser")
    rewrite_notebook_links(soup, {e.stem for e in entries})
    wrap_tables(soup)
    main = soup.find("main")
    outline = outline_html(soup)
    if outline:
        # After the first cell (the title), before the first section.
        first = main.find("div", class_="jp-Cell")
        target = first if first is not None else main
        fragment = BeautifulSoup(outline, "html.parser")
        if first is not None:
            target.insert_after(fragment)
        else:
            main.insert(0, fragment)
    main.insert_before(BeautifulSoup(toc_html(entries, current), "html.parser"))
    tail = prevnext_html(entries, current) + footer_html(stamp)
    main.insert_after(BeautifulSoup(tail, "html.parser"))
    return str(soup)
