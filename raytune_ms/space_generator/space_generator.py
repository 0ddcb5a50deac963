"""The design space generator interface: turns a module into design spaces (schedules whose
traces hold sampling instructions), and carries the schedule rules, postprocessors and
mutators that the search uses with those spaces."""

from __future__ import annotations

import copy
import random

from .. import _registry

FROM_TARGET = "from-target"

#: extension point -> the class whose `create(kind)` gives the target's defaults (imported
#: when first resolved: the rules import this package)
_DEFAULTS = {
    "sch_rules": "raytune_ms.schedule_rule:ScheduleRule",
    "postprocs": "raytune_ms.postproc:Postproc",
    "mutator_probs": "raytune_ms.mutator:Mutator",
}


def target_family(target) -> str:
    """The kind whose defaults apply to `target`: "cuda" or "llvm" (for "llvm" and "c")."""
    kind = getattr(target, "kind", None) or str(target).split()[0]
    return "cuda" if kind == "cuda" else "llvm"


def resolve_default(field: str, value, target):
    """`value`, or the target's defaults when it is "from-target", a kind's defaults when it
    names one (e.g. "cuda-tensorcore"), or empty when it is None."""
    if value is None:
        return {} if field == "mutator_probs" else []
    if isinstance(value, str):
        return _registry.load(_DEFAULTS[field]).create(target_family(target) if value == FROM_TARGET else value)
    return dict(value) if field == "mutator_probs" else list(value)


class SpaceGenerator(_registry.Registry):
    """Generates design spaces for a module.

    sch_rules, postprocs, mutator_probs: lists (a dict mutator -> probability for the last),
    None for none, "from-target" for the target's defaults, or a kind's defaults by name
    ("cuda-tensorcore"), resolved when the generator is attached to a TuneContext.
    """

    KINDS = {
        "post-order-apply": "raytune_ms.space_generator.post_order_apply:PostOrderApply",
        "union": "raytune_ms.space_generator.space_generator_union:SpaceGeneratorUnion",
        "schedule-fn": "raytune_ms.space_generator.schedule_fn:ScheduleFn",
    }
    KIND_NOUN = "space generator"

    def __init__(self, sch_rules=FROM_TARGET, postprocs=FROM_TARGET, mutator_probs=FROM_TARGET):
        self.sch_rules = sch_rules
        self.postprocs = postprocs
        self.mutator_probs = mutator_probs
        self._rng = random.Random()

    def _initialize_with_tune_context(self, context) -> None:
        target = context.target
        self.sch_rules = resolve_default("sch_rules", self.sch_rules, target)
        self.postprocs = resolve_default("postprocs", self.postprocs, target)
        self.mutator_probs = resolve_default("mutator_probs", self.mutator_probs, target)
        for mutator in self.mutator_probs:  # they replay traces on the task's module
            mutator._initialize_with_tune_context(context)
        seed = context.rand_state
        self._rng = random.Random(None if seed is None or seed == -1 else seed)

    def fork_seed(self) -> int:
        """A seed for the next schedule this generator creates."""
        return self._rng.getrandbits(62)

    def generate_design_space(self, mod) -> list:
        raise NotImplementedError

    def clone(self) -> SpaceGenerator:
        out = copy.copy(self)
        out._rng = random.Random(self._rng.getrandbits(62))
        return out

    @staticmethod
    def create(kind="post-order-apply", *args, **kwargs) -> SpaceGenerator:
        """A space generator: "post-order-apply", "union", "schedule-fn", a schedule function
        (-> ScheduleFn) or a list of generators (-> SpaceGeneratorUnion)."""
        if callable(kind) and not isinstance(kind, SpaceGenerator):
            return SpaceGenerator._create_kind("schedule-fn", kind, *args, **kwargs)
        if isinstance(kind, (list, tuple)):
            gens = [SpaceGenerator.create(k) for k in kind]
            return SpaceGenerator._create_kind("union", gens, *args, **kwargs)
        return SpaceGenerator._create_kind(kind, *args, **kwargs)


class PySpaceGenerator(SpaceGenerator):
    """The base for user space generators (decorate subclasses with `derived_object`):
    override generate_design_space."""


def create(kind="post-order-apply", *args, **kwargs) -> SpaceGenerator:
    """Same as `SpaceGenerator.create`."""
    return SpaceGenerator.create(kind, *args, **kwargs)
