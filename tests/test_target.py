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
