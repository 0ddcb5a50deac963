"""Schedule primitives as pure functions PrimFunc -> PrimFunc (the Schedule wires them to RVs
and records them in its trace)."""
