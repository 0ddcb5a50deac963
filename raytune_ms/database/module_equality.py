"""When a database takes two programs for the same workload (the reference's `module_equality`):

- "structural": the whole module, equal up to variable and buffer names;
- "ignore-tensor": the same as "structural" here, since our IR never embeds tensor data (weights
  are buffers);
- "anchor-block": the module's anchor block alone (its first reduction block, as extract_tasks
  and compile_model take it), so that a conv fused with a relu and the same conv fused with an
  add and a relu are one workload and share records; a module without an anchor block is
  compared whole ("ignore-tensor").

Stores keep every workload's whole-module hash (`Workload.shash`) whatever the equality, so the
same files open under any of them; the equality only decides how workloads are looked up.
"""

from __future__ import annotations

from ..tir.structural import canonical_text, structural_hash

MODULE_EQUALITIES = ("structural", "ignore-tensor", "anchor-block")


def check_module_equality(module_equality: str) -> str:
    if module_equality not in MODULE_EQUALITIES:
        raise ValueError(
            f"module_equality must be one of {MODULE_EQUALITIES}, got {module_equality!r}"
        )
    return module_equality


def identity(workload, module_equality: str) -> tuple[str, str | None]:
    """(lookup key, canonical text of the anchor block or None): workloads are equal when
    their keys match and, with an anchor text, the texts match (else the modules do)."""
    if module_equality == "anchor-block":
        from ..trace_apply import anchor_block

        block = anchor_block(workload.mod)
        if block is not None:
            return "anchor:" + structural_hash(block), canonical_text(block)
    return workload.shash, None
