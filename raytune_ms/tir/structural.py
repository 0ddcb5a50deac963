"""Structural equality and a stable structural hash.

Both compare the canonical JSON form with variable and buffer names blanked (programs equal up
to renaming are equal) and everything else kept: shapes, dtypes, scopes, block names, loop
kinds, annotations, attrs. The hash is SHA-256 of that canonical text, so it is the same in every
process, on every platform and Python version: it keys the tuning databases.
"""

from __future__ import annotations

import hashlib

from .canonical import canonical_text  # the sorted JSON of the names-blanked document


def structural_hash(node) -> str:
    """A 16-hex-digit hash of the program's structure, stable across processes and machines."""
    return hashlib.sha256(canonical_text(node).encode()).hexdigest()[:16]


def structural_equal(a, b) -> bool:
    return a is b or canonical_text(a) == canonical_text(b)


def assert_structural_equal(a, b) -> None:
    if not structural_equal(a, b):
        from .printer import script

        raise AssertionError(f"programs differ:\n--- left\n{script(a)}\n--- right\n{script(b)}")
