"""Results records built once: freezing the arrays a record holds.

A record returned by a cached function is shared by every caller, so a
caller writing into one of its arrays would change what the next caller
gets. The records themselves are frozen dataclasses or named tuples; the
arrays inside them are made read-only here, once, by the code that made
them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import numpy as np


def freeze_arrays(record):
    """Make every ndarray inside `record` read-only, in place; return `record`.

    Parameters
    ----------
    record : object
        An ndarray, or a tuple (named tuples included), list, mapping or
        dataclass instance holding them, nested to any depth. Anything else
        is left as it is.

    Returns
    -------
    object
        `record` itself. Only the arrays' ``writeable`` flags change, so call
        this on arrays the caller made, never on arrays it was passed.
    """
    if isinstance(record, np.ndarray):
        record.setflags(write=False)
    elif isinstance(record, tuple | list):
        for item in record:
            freeze_arrays(item)
    elif isinstance(record, Mapping):
        for item in record.values():
            freeze_arrays(item)
    elif dataclasses.is_dataclass(record) and not isinstance(record, type):
        for f in dataclasses.fields(record):
            freeze_arrays(getattr(record, f.name))
    return record
