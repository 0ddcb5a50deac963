"""C identifiers for user-supplied names: sanitised, never a keyword, macro, type or helper of
the generated file, and unique within a function — so no name can inject code or collide."""

from __future__ import annotations

import re

C_KEYWORDS = frozenset("""
auto break case char const continue default do double else enum extern float for goto if inline
int long register restrict return short signed sizeof static struct switch typedef union
unsigned void volatile while asm typeof fortran main
""".split())

# names the generated code and its headers give a meaning to (types, functions it calls,
# object-like macros of <stdint.h> <stdlib.h> <string.h> <math.h> <time.h>, and gnu-mode macros)
_RESERVED = frozenset("""
int8_t int16_t int32_t int64_t uint8_t uint16_t uint32_t uint64_t intptr_t uintptr_t size_t
ptrdiff_t float_t double_t time_t clock_t div_t ldiv_t lldiv_t wchar_t max_align_t timespec
free abort malloc calloc realloc aligned_alloc memcpy memset exit
exp expf log logf sqrt sqrtf tanh tanhf erf erff fabs fabsf floor floorf ceil ceilf nearbyint
nearbyintf pow powf sin sinf cos cosf exp2 exp2f log2 log2f fmin fminf fmax fmaxf
NAN INFINITY NULL EOF errno math_errhandling linux unix i386 bool true false alignas alignof
noreturn static_assert complex imaginary I
""".split())

_MACRO_LIKE = re.compile(r"^[A-Z][A-Z0-9]*_[A-Z0-9_]*$")  # INT32_MAX, M_PI, CLOCK_MONOTONIC, ...


def is_reserved(ident: str) -> bool:
    return (
        ident in C_KEYWORDS
        or ident in _RESERVED
        or ident.startswith(("_", "rt_", "rtms_"))
        or bool(_MACRO_LIKE.match(ident))
    )


def sanitize(name: str) -> str:
    """A valid C identifier spelling of `name` (not yet checked for collisions)."""
    ident = re.sub(r"[^A-Za-z0-9_]", "_", str(name))
    if not ident or ident[0].isdigit() or ident[0] == "_":
        ident = "v" + ident
    return ident


class NameTable:
    """Maps IR objects (by identity) to unique C identifiers derived from their names."""

    def __init__(self):
        self._by_id: dict = {}
        self._used: set = set()
        self._keep = []  # keep mapped objects alive so ids stay unique

    def fresh(self, hint: str) -> str:
        base = sanitize(hint)
        if is_reserved(base):
            base = "v_" + base  # a suffix alone cannot unreserve a macro-like name
        ident, k = base, 1
        while ident in self._used or is_reserved(ident):
            ident, k = f"{base}_{k}", k + 1
        self._used.add(ident)
        return ident

    def get(self, obj, hint: str) -> str:
        ident = self._by_id.get(id(obj))
        if ident is None:
            ident = self._by_id[id(obj)] = self.fresh(hint)
            self._keep.append(obj)
        return ident


def comment(text: str) -> str:
    """Text that is safe inside a C block comment."""
    return re.sub(r"[^A-Za-z0-9_ .,:;()=+\-\[\]<>#']", "_", str(text))
