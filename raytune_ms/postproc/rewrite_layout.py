"""RewriteLayout: rewrite the layout of constant weights ahead of time to the order their
consumer reads them. Only buffers listed as layout-free (the function attribute
`layout_free_buffers`, parameter indices) qualify; the scheduling language has no
transform_layout yet, so such a buffer is left as it is: the postprocessor leaves the program
unchanged and accepts it (the reference's behaviour for a weight it cannot rewrite)."""

from __future__ import annotations

from .postproc import Postproc


class RewriteLayout(Postproc):
    def apply(self, sch) -> bool:
        return True
