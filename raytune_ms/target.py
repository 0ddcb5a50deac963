"""Target: what a program is compiled for, as a canonical string that keys tuning records.

A CPU target ("llvm" or "c": both are compiled to C by gcc) has an `mcpu` (a gcc -march name),
optional `mattr` features on top of it (LLVM's `-mattr=+avx2,+fma,-avx512f`: each becomes gcc's
-mavx2 / -mno-avx512f, and the vector-width features among them set the SIMD width), a core
count, a SIMD width in bytes and a number of SIMD registers (32 with AVX-512, else 16 on
x86-64: what register tiles are sized by); options left out are filled from the host, once.
The register count is spelled only when it differs from what the vector width implies.
`str(target)` spells every option, so a target means the same on every node, and the compile
flags are a function of the target alone: a builder on one machine serves a runner on another.
"cuda" targets carry the GPU's limits (threads, shared memory and registers per block, warp
size) and an optional `arch` (sm_XX): builds make PTX, and a cubin for that arch when one is
named. Tags name known GPUs: `Target("nvidia/h100")` is the cuda target with its arch and limits.
"""

from __future__ import annotations

import functools
import os
import re
import subprocess

CPU_KINDS = ("llvm", "c")
KINDS = CPU_KINDS + ("cuda",)

# option spelling in strings -> attribute, per kind family
_CPU_OPTIONS = {"mcpu": "mcpu", "mattr": "mattr", "num-cores": "num_cores", "vector-bytes": "vector_bytes",
                "vector-registers": "vector_registers"}
_CUDA_OPTIONS = {
    "arch": "arch", "max-threads-per-block": "max_threads_per_block",
    "max-shared-memory-per-block": "max_shared_memory_per_block",
    "thread-warp-size": "thread_warp_size", "registers-per-block": "registers_per_block",
}
_CUDA_DEFAULTS = {"arch": None, "max_threads_per_block": 1024,
                  "max_shared_memory_per_block": 49152, "thread_warp_size": 32, "registers_per_block": 65536}
# known GPUs: arch and per-block limits (shared memory: the 48 KiB every kernel gets without opt-in)
_CUDA_TAGS = {
    "h100": {"arch": "sm_90"}, "a100": {"arch": "sm_80"}, "rtx-4090": {"arch": "sm_89"},
    "l4": {"arch": "sm_89"}, "a10g": {"arch": "sm_86"}, "rtx-3090": {"arch": "sm_86"},
    "t4": {"arch": "sm_75"}, "v100": {"arch": "sm_70"},
}
VECTOR_BYTES = (16, 32, 64)

_AVX512 = {
    "skylake-avx512", "cascadelake", "cooperlake", "cannonlake", "icelake-client",
    "icelake-server", "tigerlake", "rocketlake", "sapphirerapids", "emeraldrapids",
    "graniterapids", "graniterapids-d", "diamondrapids", "knl", "knm", "znver4", "znver5",
    "x86-64-v4",
}
_AVX = {
    "haswell", "broadwell", "skylake", "alderlake", "raptorlake", "meteorlake", "arrowlake",
    "arrowlake-s", "lunarlake", "pantherlake", "gracemont", "sierraforest", "grandridge",
    "clearwaterforest", "znver1", "znver2", "znver3", "x86-64-v3", "core-avx2", "bdver1",
    "bdver2", "bdver3", "bdver4", "btver2", "sandybridge", "ivybridge", "corei7-avx", "core-avx-i",
}
# CPU names newer than gcc 12 knows, spelled as flags gcc 12 accepts (a static table, so the
# flags stay a function of the target, not of the compiler found on the build host)
_GCC_COMPAT = {
    "znver4": ["-march=x86-64-v4", "-mtune=znver3"],
    "znver5": ["-march=x86-64-v4", "-mtune=znver3"],
    "emeraldrapids": ["-march=sapphirerapids"],
    "graniterapids": ["-march=sapphirerapids"],
    "graniterapids-d": ["-march=sapphirerapids"],
    "diamondrapids": ["-march=sapphirerapids"],
    "raptorlake": ["-march=alderlake"],
    "meteorlake": ["-march=alderlake"],
    "arrowlake": ["-march=alderlake"],
    "arrowlake-s": ["-march=alderlake"],
    "lunarlake": ["-march=alderlake"],
    "pantherlake": ["-march=alderlake"],
    "gracemont": ["-march=alderlake"],
    "sierraforest": ["-march=alderlake"],
    "grandridge": ["-march=alderlake"],
    "clearwaterforest": ["-march=alderlake"],
}
# -mattr features (LLVM and gcc spell these alike) and, for those that set the SIMD width, the
# width they enable (+) and the width left once they are disabled (-): disabling AVX2 also
# disables AVX-512, as in gcc.
_WIDTH_FEATURES = {"avx512f": (64, 32), "avx2": (32, 16), "avx": (32, 16)}
_FEATURES = frozenset({
    "sse", "sse2", "sse3", "ssse3", "sse4.1", "sse4.2", "sse4a", "avx", "avx2", "fma", "fma4", "f16c",
    "bmi", "bmi2", "popcnt", "lzcnt", "movbe", "aes", "pclmul", "vpclmulqdq", "gfni", "vaes", "sha",
    "adx", "rdrnd", "rdseed", "prfchw", "xsave", "avxvnni", "avx512f", "avx512cd", "avx512bw",
    "avx512dq", "avx512vl", "avx512vnni", "avx512bf16", "avx512fp16", "avx512ifma", "avx512vbmi",
    "avx512vbmi2", "avx512bitalg", "avx512vpopcntdq", "amx-tile", "amx-int8", "amx-bf16",
})
_MATTR_ITEM_RE = re.compile(r"^[+-][a-z0-9][a-z0-9._-]*$")
_MCPU_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]*$")
_ARCH_RE = re.compile(r"^sm_[0-9]+[a-z]?$")


# ---------------------------------------------------------------------------- host facts


def _cpuinfo() -> dict:
    """First-processor fields of /proc/cpuinfo (empty where there is none)."""
    try:
        with open("/proc/cpuinfo") as f:
            text = f.read()
    except OSError:
        return {}
    out = {}
    for line in text.split("\n\n", 1)[0].splitlines():
        key, _, value = line.partition(":")
        out[key.strip()] = value.strip()
    return out


@functools.lru_cache(maxsize=1)
def _host_flags() -> frozenset:
    return frozenset(_cpuinfo().get("flags", "").split())


def _gcc_native_march() -> str | None:
    try:
        out = subprocess.run(
            ["gcc", "-march=native", "-Q", "--help=target"], capture_output=True, text=True,
            timeout=30,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    m = re.search(r"^\s*-march=\s+(\S+)", out, re.MULTILINE)
    return m.group(1) if m else None


@functools.lru_cache(maxsize=1)
def host_mcpu() -> str:
    """The host CPU as a -march name: AMD Zen generations from the CPU family (gcc 12 calls a
    Zen 4 "znver3", losing AVX-512), else gcc's -march=native answer, checked against the
    /proc/cpuinfo flags; x86-64-v2/v3/v4 when nothing better is known."""
    info, flags = _cpuinfo(), _host_flags()
    level = ("x86-64-v4" if "avx512f" in flags else "x86-64-v3" if "avx2" in flags
             else "x86-64-v2" if "sse4_2" in flags else "x86-64")
    if info.get("vendor_id") == "AuthenticAMD":
        family = int(info.get("cpu family", "0") or 0)
        if family == 26:
            return "znver5"
        if family == 25:
            return "znver4" if "avx512f" in flags else "znver3"
        if family == 23:
            return "znver2" if int(info.get("model", "0") or 0) >= 0x30 else "znver1"
    name = _gcc_native_march()
    if name is None or name in ("x86-64", "native") or not _MCPU_RE.match(name):
        return level
    if "avx512f" in flags and name not in _AVX512:
        return "x86-64-v4"
    return name


# gcc's predefined macro for an instruction-set extension -> its /proc/cpuinfo flag
_ISA_MACROS = {
    "__SSE4_2__": "sse4_2", "__AVX__": "avx", "__AVX2__": "avx2", "__FMA__": "fma", "__F16C__": "f16c",
    "__BMI__": "bmi1", "__BMI2__": "bmi2", "__AVXVNNI__": "avx_vnni", "__AVX512F__": "avx512f",
    "__AVX512CD__": "avx512cd", "__AVX512BW__": "avx512bw", "__AVX512DQ__": "avx512dq",
    "__AVX512VL__": "avx512vl", "__AVX512VNNI__": "avx512_vnni", "__AVX512BF16__": "avx512_bf16",
    "__AVX512FP16__": "avx512_fp16", "__AVX512IFMA__": "avx512ifma", "__AVX512VBMI__": "avx512vbmi",
    "__AVX512VBMI2__": "avx512_vbmi2", "__AVX512BITALG__": "avx512_bitalg",
    "__AVX512VPOPCNTDQ__": "avx512_vpopcntdq", "__AMX_TILE__": "amx_tile",
}


@functools.lru_cache(maxsize=64)
def _missing_on_host(march_flags: tuple) -> tuple:
    flags = _host_flags()
    if not flags:  # not an x86 Linux host, or no /proc/cpuinfo: nothing to compare with
        return ()
    try:
        out = subprocess.run(["gcc", *march_flags, "-dM", "-E", "-x", "c", os.devnull],
                             capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return ()
    defined = {line.split()[1] for line in out.splitlines() if line.startswith("#define ")}
    return tuple(flag for macro, flag in _ISA_MACROS.items() if macro in defined and flag not in flags)


def missing_host_features(target) -> tuple:
    """The instruction-set extensions (cpuinfo names) that code compiled for CPU `target` may
    use and this machine's CPU lacks: running such code here dies of an illegal instruction
    (an AVX-512 target on an AVX2 machine). Empty when it runs here, or when the host's
    features are unknown."""
    target = Target(target) if not isinstance(target, Target) else target
    return _missing_on_host(tuple(target.march_flags())) if target.is_cpu else ()


@functools.lru_cache(maxsize=1)
def host_num_cores() -> int:
    """Physical cores this process may run on (hyperthread siblings counted once)."""
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count() or 1
    cores, phys = set(), None
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, value = line.partition(":")
                key = key.strip()
                if key == "physical id":
                    phys = value.strip()
                elif key == "core id":
                    cores.add((phys, value.strip()))
    except OSError:
        pass
    return max(1, min(usable, len(cores)) if cores else usable)


def default_vector_registers(vector_bytes: int) -> int:
    """SIMD registers of an x86-64 CPU with this vector width: AVX-512 has 32, AVX2/SSE 16."""
    return 32 if vector_bytes >= 64 else 16


def _vector_bytes_of(mcpu: str, mattr=()) -> int:
    if mcpu == host_mcpu():
        flags = _host_flags()
        width = 64 if "avx512f" in flags else 32 if "avx2" in flags or "avx" in flags else 16
    else:
        width = 64 if mcpu in _AVX512 else 32 if mcpu in _AVX else 16
    for item in mattr:  # in order, as the compiler applies them
        enabled, disabled = _WIDTH_FEATURES.get(item[1:], (None, None))
        if enabled is not None:
            width = max(width, enabled) if item[0] == "+" else min(width, disabled)
    return width


def parse_mattr(kind, value) -> tuple:
    """`-mattr` as a tuple of "+feature"/"-feature" items (a comma-separated string, or a list),
    each checked against the known x86 features."""
    items = value.split(",") if isinstance(value, str) else list(value)
    if not items:
        raise ValueError(f"target {kind!r}: option 'mattr' is empty")
    for item in items:
        if not isinstance(item, str) or not _MATTR_ITEM_RE.match(item):
            raise ValueError(f"target {kind!r}: malformed option 'mattr' item {item!r} (expected "
                             f"+feature or -feature, comma-separated, e.g. +avx2,+fma,-avx512f)")
        if item[1:] not in _FEATURES:
            raise ValueError(f"target {kind!r}: unknown option 'mattr' feature {item[1:]!r}; "
                             f"known: {', '.join(sorted(_FEATURES))}")
    return tuple(items)


# ---------------------------------------------------------------------------- Target


def _parse_int(kind, option, text):
    try:
        value = int(text)
    except (TypeError, ValueError):
        raise ValueError(f"target {kind!r}: option {option!r} needs an integer, got {text!r}") from None
    if value <= 0:
        raise ValueError(f"target {kind!r}: option {option!r} must be positive, got {value}")
    return value


class Target:
    """A compilation target; see the module docstring. Equal targets have equal strings."""

    __slots__ = ("kind", "mcpu", "mattr", "num_cores", "vector_bytes", "vector_registers", "arch",
                 "max_threads_per_block", "max_shared_memory_per_block", "thread_warp_size",
                 "registers_per_block")

    def __init__(self, spec="llvm"):
        if isinstance(spec, Target):
            spec = spec.to_json()
        if isinstance(spec, str):
            kind, options = self._parse_string(spec)
        elif isinstance(spec, dict):
            options = dict(spec)
            kind = options.pop("kind", None)
            if kind is None:
                raise ValueError(f"target dict needs a 'kind' field, got {sorted(spec)}")
        else:
            raise TypeError(f"a target is a string, dict or Target, got {type(spec).__name__}")
        if kind not in KINDS:
            raise ValueError(f"unknown target kind {kind!r}; known kinds: {', '.join(KINDS)}")
        for slot in self.__slots__:
            object.__setattr__(self, slot, None)
        object.__setattr__(self, "kind", kind)
        if kind in CPU_KINDS:
            self._init_cpu(options)
        else:
            self._init_cuda(options)

    @staticmethod
    def _parse_string(text):
        parts = text.split()
        if not parts:
            raise ValueError("empty target string")
        tag = None
        if parts[0].startswith("nvidia/"):
            tag = parts[0][len("nvidia/"):].removeprefix("nvidia-").removeprefix("geforce-")
            if tag not in _CUDA_TAGS:
                raise ValueError(f"unknown target tag {parts[0]!r}; known: "
                                 f"{', '.join('nvidia/' + t for t in _CUDA_TAGS)}")
            parts[0] = "cuda"
        kind, options = parts[0], {}
        table = _CPU_OPTIONS if kind in CPU_KINDS else _CUDA_OPTIONS if kind == "cuda" else {}
        if kind not in KINDS:
            raise ValueError(f"unknown target kind {kind!r}; known kinds: {', '.join(KINDS)}")
        for part in parts[1:]:
            m = re.match(r"^-{1,2}([A-Za-z][A-Za-z0-9-]*)=(\S+)$", part)
            if not m:
                raise ValueError(f"target {kind!r}: malformed option {part!r} (expected -name=value)")
            name, value = m.groups()
            if name not in table:
                raise ValueError(
                    f"target {kind!r}: unknown option {name!r}; known: {', '.join(table)}")
            if table[name] in options:
                raise ValueError(f"target {kind!r}: option {name!r} given twice")
            options[table[name]] = value
        if tag is not None:
            options = {**_CUDA_TAGS[tag], **options}
        return kind, options

    def _init_cpu(self, options):
        known = set(_CPU_OPTIONS.values())
        unknown = sorted(set(options) - known)
        if unknown:
            raise ValueError(f"target {self.kind!r}: unknown option(s) {unknown}; known: {sorted(known)}")
        mcpu = options.get("mcpu")
        if mcpu is None or mcpu == "native":
            mcpu = host_mcpu()
        if not isinstance(mcpu, str) or not _MCPU_RE.match(mcpu):
            raise ValueError(f"target {self.kind!r}: malformed option 'mcpu' value {mcpu!r}")
        num_cores = options.get("num_cores")
        num_cores = host_num_cores() if num_cores is None else _parse_int(self.kind, "num_cores", num_cores)
        mattr = options.get("mattr")
        mattr = None if mattr is None else parse_mattr(self.kind, mattr)
        vb = options.get("vector_bytes")
        vb = _vector_bytes_of(mcpu, mattr or ()) if vb is None else _parse_int(self.kind, "vector_bytes", vb)
        if vb not in VECTOR_BYTES:
            raise ValueError(f"target {self.kind!r}: option 'vector_bytes' must be one of {VECTOR_BYTES}, got {vb}")
        regs = options.get("vector_registers")
        regs = default_vector_registers(vb) if regs is None else _parse_int(self.kind, "vector_registers", regs)
        object.__setattr__(self, "mcpu", mcpu)
        object.__setattr__(self, "mattr", None if mattr is None else ",".join(mattr))
        object.__setattr__(self, "num_cores", num_cores)
        object.__setattr__(self, "vector_bytes", vb)
        object.__setattr__(self, "vector_registers", regs)

    def _init_cuda(self, options):
        unknown = sorted(set(options) - set(_CUDA_DEFAULTS))
        if unknown:
            raise ValueError(f"target 'cuda': unknown option(s) {unknown}; known: {sorted(_CUDA_DEFAULTS)}")
        for key, default in _CUDA_DEFAULTS.items():
            value = options.get(key, default)
            if key == "arch":
                if value is not None and (not isinstance(value, str) or not _ARCH_RE.match(value)):
                    raise ValueError(f"target 'cuda': malformed option 'arch' value {value!r} (expected sm_XX)")
            else:
                value = _parse_int("cuda", key, value)
            object.__setattr__(self, key, value)

    def __setattr__(self, name, value):
        raise AttributeError("Target is immutable")

    # --- identity

    def __str__(self):
        if self.kind in CPU_KINDS:
            mattr = f" -mattr={self.mattr}" if self.mattr else ""
            text = (f"{self.kind} -mcpu={self.mcpu}{mattr} -num-cores={self.num_cores} "
                    f"-vector-bytes={self.vector_bytes}")
            if self.vector_registers != default_vector_registers(self.vector_bytes):
                text += f" -vector-registers={self.vector_registers}"
            return text
        return " ".join(["cuda"] + [f"-{opt}={getattr(self, attr)}" for opt, attr in _CUDA_OPTIONS.items()
                                    if getattr(self, attr) is not None])

    def __repr__(self):
        return f"Target({str(self)!r})"

    def __eq__(self, other):
        return isinstance(other, Target) and str(self) == str(other)

    def __hash__(self):
        return hash(str(self))

    def __reduce__(self):
        return (Target, (str(self),))

    def to_json(self) -> dict:
        table = _CPU_OPTIONS if self.kind in CPU_KINDS else _CUDA_OPTIONS
        out = {"kind": self.kind, **{attr: getattr(self, attr) for attr in table.values()
                                     if getattr(self, attr) is not None}}
        if self.kind in CPU_KINDS and self.vector_registers == default_vector_registers(self.vector_bytes):
            del out["vector_registers"]  # implied by the width, as in the string form
        return out

    @staticmethod
    def from_json(obj) -> Target:
        return Target(dict(obj))

    @staticmethod
    def host() -> Target:
        return Target("llvm")

    @property
    def keys(self) -> tuple:
        return ("cpu",) if self.kind in CPU_KINDS else ("cuda", "gpu")

    @property
    def is_cpu(self) -> bool:
        return self.kind in CPU_KINDS

    @property
    def vector_lanes(self) -> int:
        """float32 lanes of one SIMD register (8 with AVX2, 16 with AVX-512)."""
        return max(self.vector_bytes // 4, 1) if self.is_cpu else 1

    # --- compilation

    def march_flags(self) -> list:
        """-march (and -mtune) for the CPU, then -mFEATURE / -mno-FEATURE for each -mattr item."""
        features = [("-m" if a[0] == "+" else "-mno-") + a[1:] for a in (self.mattr or "").split(",") if a]
        return list(_GCC_COMPAT.get(self.mcpu, [f"-march={self.mcpu}"])) + features

    def cflags(self) -> list:
        """gcc flags for a shared object of generated C. No -ffast-math: it would break the
        inf/nan semantics of max/min reductions; FMA contraction is allowed.
        -fno-unswitch-loops -fno-tree-loop-if-convert: gcc 12.2 miscompiles (-O3, AVX2/AVX-512)
        loops whose select reads the input only inside the bounds (padding in C3D, and a
        cache_write + reverse_compute_at of C3D); each flag alone leaves one of the two wrong.
        Our vector code is explicit, so losing if-conversion costs little."""
        if not self.is_cpu:
            raise ValueError(f"target {self.kind!r} is not compiled with gcc")
        return ["-O3", *self.march_flags(), "-fopenmp", "-fPIC", "-shared", "-std=gnu11",
                "-fno-math-errno", "-ffp-contract=fast", "-fno-semantic-interposition",
                "-fno-unswitch-loops", "-fno-tree-loop-if-convert"]
