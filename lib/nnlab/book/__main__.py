"""``python -m nnlab.book``: build the handouts (see `nnlab.book.build`)."""

import sys

from nnlab.book.build import main

sys.exit(main())
