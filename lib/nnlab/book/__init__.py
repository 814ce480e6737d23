"""The handouts as a course book: ``python -m nnlab.book`` (``make handouts``).

Tooling, not course material: `build` exports the stored notebooks to HTML,
`prepare` readies a copy of each notebook (title, alt text, disabled widget
snapshots), `page` adds the book's contents, outline, links and footer, and
`pdf` prints the whole book to one PDF and packs the folder as a zip.
"""
