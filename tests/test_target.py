"""Target parsing, canonical strings, JSON, host defaults and compile flags."""

import os
import pickle

import pytest

from raytune_ms.target import Target, host_mcpu


def test_host_defaults_filled():
    t = Target("llvm")
    assert t.kind == "llvm" and t.mcpu == host_mcpu()
    assert 1 <= t.num_cores <= (os.cpu_count() or 1)
    flags = open("/proc/cpuinfo").read()
    want = 64 if " avx512f" in flags else 32 if " avx2" in flags else 16
    assert t.vector_bytes == want
    assert Target.host() == t


def test_string_options_and_round_trip():
    t = Target("llvm -mcpu=znver4 -num-cores=2")
    assert (t.mcpu, t.num_cores, t.vector_bytes) == ("znver4", 2, 64)
    assert str(t) == "llvm -mcpu=znver4 -num-cores=2 -vector-bytes=64"
    assert Target(str(t)) == t and hash(Target(str(t))) == hash(t)
    assert Target("c -mcpu=haswell -num-cores=4").vector_bytes == 32
    assert Target("c -mcpu=x86-64 -num-cores=1").vector_bytes == 16
    assert Target("llvm -mcpu=znver4 -num-cores=2 -vector-bytes=32").vector_bytes == 32


def test_dict_json_and_pickle():
    t = Target({"kind": "llvm", "mcpu": "skylake-avx512", "num_cores": 8, "vector_bytes": 64})
    assert t.to_json() == {"kind": "llvm", "mcpu": "skylake-avx512", "num_cores": 8,
                           "vector_bytes": 64}
    assert Target.from_json(t.to_json()) == t
    assert pickle.loads(pickle.dumps(t)) == t
    assert Target(t) == t
    assert Target("llvm -mcpu=znver4 -num-cores=2") != Target("c -mcpu=znver4 -num-cores=2")


@pytest.mark.parametrize("spec, words", [
    ("rocm", "rocm"),
    ("", "empty"),
    ("llvm -mcpu", "-mcpu"),
    ("llvm -bogus=1", "bogus"),
    ("llvm -num-cores=two", "num_cores"),
    ("llvm -num-cores=0", "num_cores"),
    ("llvm -mcpu=a;b", "mcpu"),
    ("llvm -vector-bytes=24", "vector_bytes"),
    ({"mcpu": "znver4"}, "kind"),
    ({"kind": "llvm", "threads": 2}, "threads"),
])
def test_errors_name_the_problem(spec, words):
    with pytest.raises(ValueError, match=words):
        Target(spec)


def test_cflags_come_from_the_target_only():
    t = Target("llvm -mcpu=skylake-avx512 -num-cores=2")
    flags = t.cflags()
    assert flags[0] == "-O3" and "-march=skylake-avx512" in flags
    for f in ("-fopenmp", "-fPIC", "-shared", "-fno-math-errno"):
        assert f in flags
    assert "-ffast-math" not in flags and "-march=native" not in flags
    # a CPU newer than the system gcc spelled with flags gcc 12 accepts, still AVX-512
    assert "-march=x86-64-v4" in Target("llvm -mcpu=znver4 -num-cores=2").cflags()


def test_cuda_parsed_but_not_a_cpu():
    t = Target("cuda -arch=sm_90")
    assert t.arch == "sm_90" and not t.is_cpu and Target(str(t)) == t
    with pytest.raises(ValueError, match="gcc"):
        t.cflags()


def test_vector_lanes_and_registers_from_the_cpu_or_overridden():
    avx512 = Target("llvm -mcpu=skylake-avx512 -num-cores=2")
    avx2 = Target("llvm -mcpu=znver3 -num-cores=2")
    assert (avx512.vector_lanes, avx512.vector_registers) == (16, 32)
    assert (avx2.vector_lanes, avx2.vector_registers) == (8, 16)
    # the register count is spelled only when it is not what the width implies
    assert "vector-registers" not in str(avx512) and "vector_registers" not in avx512.to_json()
    odd = Target("llvm -mcpu=znver3 -num-cores=2 -vector-registers=32")
    assert str(odd).endswith("-vector-registers=32") and Target(str(odd)) == odd != avx2
    assert Target.from_json(odd.to_json()) == odd
    with pytest.raises(ValueError, match="vector_registers"):
        Target("llvm -vector-registers=0")


@pytest.mark.parametrize("spec, lanes, registers", [
    ("llvm -mcpu=znver3 -mattr=+avx2,+fma,-avx512f", 8, 16),
    ("llvm -mcpu=znver4 -mattr=-avx512f", 8, 16),
    ("llvm -mcpu=haswell -mattr=+avx512f", 16, 32),
    ("llvm -mcpu=skylake-avx512 -mattr=-avx2", 4, 16),  # no AVX2 means no AVX-512 either
    ("llvm -mcpu=znver4 -mattr=-avx512f,+avx512f", 16, 32),  # in order: the last one wins
    ("llvm -mcpu=znver4 -mattr=-avx512f -vector-registers=32", 8, 32),
    ("llvm -mcpu=znver3 -mattr=+avx512f -vector-bytes=32", 8, 16),
])
def test_mattr_sets_the_vector_width_unless_overridden(spec, lanes, registers):
    t = Target(spec + " -num-cores=2")
    assert (t.vector_lanes, t.vector_registers) == (lanes, registers)
    assert Target(str(t)) == t and Target.from_json(t.to_json()) == t
    assert pickle.loads(pickle.dumps(t)) == t


def test_mattr_becomes_gcc_feature_flags_after_march():
    t = Target("llvm -mcpu=znver3 -mattr=+avx2,+fma,-avx512f -num-cores=2")
    assert t.mattr == "+avx2,+fma,-avx512f"
    assert str(t) == "llvm -mcpu=znver3 -mattr=+avx2,+fma,-avx512f -num-cores=2 -vector-bytes=32"
    assert t.march_flags() == ["-march=znver3", "-mavx2", "-mfma", "-mno-avx512f"]
    assert t.march_flags() == [f for f in t.cflags() if f.startswith(("-march", "-mtune", "-mavx", "-mfma", "-mno"))]
    assert Target("llvm -mcpu=znver4 -mattr=-avx512f -num-cores=2").march_flags() == [
        "-march=x86-64-v4", "-mtune=znver3", "-mno-avx512f"]
    listed = Target({"kind": "llvm", "mcpu": "znver3", "mattr": ["+avx2", "-avx512f"], "num_cores": 1})
    assert listed == Target("llvm -mcpu=znver3 -mattr=+avx2,-avx512f -num-cores=1")
    assert Target("llvm -mcpu=znver3 -num-cores=2").mattr is None


@pytest.mark.parametrize("spec, words", [
    ("llvm -mattr=avx2", "malformed option 'mattr' item 'avx2'"),
    ("llvm -mattr=+avx2,,+fma", "malformed option 'mattr' item ''"),
    ("llvm -mattr=+AVX2", "malformed option 'mattr'"),
    ("llvm -mattr=+avx9", "unknown option 'mattr' feature 'avx9'"),
    ({"kind": "llvm", "mattr": []}, "'mattr' is empty"),
])
def test_mattr_errors_name_the_item(spec, words):
    with pytest.raises(ValueError, match=words):
        Target(spec)


def test_an_avx2_target_compiles_and_runs_on_this_host():
    """-mattr=-avx512f on the host CPU: 8-lane code that gcc builds without AVX-512."""
    import numpy as np

    from raytune_ms.codegen import build
    from raytune_ms.testing import bare_matmul, random_inputs

    t = Target("llvm -mattr=-avx512f -num-cores=1")
    assert t.vector_bytes == 32 and "-mno-avx512f" in t.cflags()
    func = bare_matmul(8, 16, 4)
    arrays = random_inputs(func, seed=0)
    build(func, t)(*arrays)
    np.testing.assert_allclose(arrays[-1], arrays[0] @ arrays[1], rtol=1e-5)


def test_missing_host_features_names_what_this_cpu_lacks():
    """An AVX-512 target's code needs avx512f, which an AVX2 host lacks; AVX2 code runs on any
    host of these machines; the host's own target always runs."""
    from raytune_ms.target import _host_flags, missing_host_features

    assert missing_host_features("llvm") == ()
    assert missing_host_features(Target("llvm -mcpu=haswell")) == ()
    avx512 = missing_host_features("llvm -mcpu=skylake-avx512 -num-cores=2")
    assert ("avx512f" in avx512) == ("avx512f" not in _host_flags())
    assert missing_host_features("cuda") == ()
