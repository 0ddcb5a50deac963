"""Register tiles of a CPU micro-kernel: which rows x vectors accumulator tiles fit a target's
vector register file, and how likely MultiLevelTiling draws each.

A tile of `rows` x `vectors` keeps rows * vectors accumulators in registers and, per step of
the reduction, loads `vectors` vectors of the streamed panel and broadcasts one value of the
other input at a time: it fits when rows * vectors + vectors + 1 <= registers. Rows and
vectors constrain each other, so they are drawn together (one joint categorical): AVX-512
(32 registers) reaches 8 x 2 vectors and 4 x 4 vectors, AVX2 (16) 4 x 2 and 2 x 4, and no
tile spills.
"""

from __future__ import annotations


def fits(rows: int, vectors: int, registers: int) -> bool:
    """Whether a rows x vectors accumulator tile, its loads and a broadcast fit the registers."""
    return rows * vectors + vectors + 1 <= registers


def register_tiles(registers: int, lanes: int, rows_extent: int, cols_extent: int, limit: int) -> list:
    """(rows, vectors) pairs that fit `registers`, with rows dividing `rows_extent` and
    vectors * lanes dividing `cols_extent`, each side at most `limit` (max_innermost_factor)
    elements."""
    out = []
    for vectors in range(1, max(limit // lanes, 0) + 1):
        if cols_extent % (vectors * lanes):
            continue
        for rows in range(1, min(rows_extent, limit) + 1):
            if rows_extent % rows == 0 and fits(rows, vectors, registers):
                out.append((rows, vectors))
    return out


def tile_weight(rows: int, vectors: int) -> float:
    """Draw weight: accumulators times multiply-adds per load (rows * vectors / (rows +
    vectors)). Tiles that fill the register file and load little per multiply-add are the
    likely ones; small tiles stay reachable for small or odd extents."""
    acc = rows * vectors
    return acc * acc / (rows + vectors)
