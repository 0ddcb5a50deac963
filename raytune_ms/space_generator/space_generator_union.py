"""SpaceGeneratorUnion: the design spaces of several generators together."""

from __future__ import annotations

from .space_generator import FROM_TARGET, SpaceGenerator


class SpaceGeneratorUnion(SpaceGenerator):
    def __init__(self, space_generators, sch_rules=FROM_TARGET, postprocs=FROM_TARGET,
                 mutator_probs=FROM_TARGET):
        super().__init__(sch_rules, postprocs, mutator_probs)
        self.space_generators = [SpaceGenerator.create(g) for g in space_generators]
        if not self.space_generators:
            raise ValueError("SpaceGeneratorUnion needs at least one space generator")

    def _initialize_with_tune_context(self, context) -> None:
        super()._initialize_with_tune_context(context)
        for gen in self.space_generators:
            gen._initialize_with_tune_context(context)

    def generate_design_space(self, mod) -> list:
        out = []
        for gen in self.space_generators:
            out.extend(gen.generate_design_space(mod))
        return out

    def clone(self) -> SpaceGeneratorUnion:
        out = super().clone()
        out.space_generators = [g.clone() for g in self.space_generators]
        return out
