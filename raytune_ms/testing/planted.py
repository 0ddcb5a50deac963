"""Candidates that misbehave on purpose, for the fault-isolation tests.

A schedule function annotates the matmul block with "plant" = a sampled mode; `planted_build`
(an f_build for the builders) compiles the generated C with a fault injected when the mode
asks for one: a segfault, a hang, or a wrong output. Everything else is the real pipeline.
"""

from .. import tir

NORMAL, SEGFAULT, HANG, WRONG = 0, 1, 2, 3


def make_planted_space(probs):
    """A schedule function: a sampled tiling of the reduction block plus a sampled plant."""

    def planted_space(sch):
        from ..spaces.tiling import main_block

        block = main_block(sch)
        loops = sch.get_loops(block)
        factors = sch.sample_perfect_tile(loops[1], 2, 16)
        sch.split(loops[1], factors)
        mode = sch.sample_categorical([NORMAL, SEGFAULT, HANG, WRONG], list(probs))
        sch.annotate(block, "plant", mode)

    return planted_space


def planted_modules(func, modes, seed=1) -> list:
    """One scheduled module of `func` per mode in `modes`, each with that fault planted."""
    from ..schedule import Schedule

    mods = []
    for mode in modes:
        probs = [0.0] * 4
        probs[mode] = 1.0
        sch = Schedule(func, seed=seed)
        make_planted_space(probs)(sch)
        mods.append(sch.mod)
    return mods


def plant_of(func) -> int:
    modes = [dict(b.annotations).get("plant", NORMAL) for b in tir.collect(func.body, tir.Block)]
    return max(modes, default=NORMAL)


def inject(source: str, symbol: str, mode: int, out_index: int) -> str:
    head = f"int32_t {symbol}(void** args) {{\n"
    start = source.index(head) + len(head)
    if mode == SEGFAULT:
        return source[:start] + "  *(volatile int*)0 = 0;\n" + source[start:]
    if mode == HANG:
        return source[:start] + '  for (;;) { __asm__ volatile(""); }\n' + source[start:]
    if mode == WRONG:
        end = source.index("  return 0;\n}", start)
        return source[:end] + f"  ((float*)args[{out_index}])[0] += 1.0f;\n" + source[end:]
    return source


def planted_build(mod, target, params=None) -> bytes:
    from ..codegen import codegen_c, entry_symbol
    from ..runtime import compile_c
    from ..tir import IRModule

    func = IRModule.from_any(mod).entry_func()
    symbol = entry_symbol(func.name)
    source = inject(codegen_c(func, target), symbol, plant_of(func), len(func.params) - 1)
    return compile_c(source, target, symbol)
