"""``python -m nnlab.book``: build the handouts (see `nnlab.book.build`)."""

import sys

from nnlab.book.build import main

if __name__ == "__main__":
    sys.exit(main())
