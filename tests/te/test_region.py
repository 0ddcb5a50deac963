"""Read regions: points for single accesses, hulls for constant offsets, whole dims otherwise."""

from raytune_ms import te, tir


def reads_of(fcompute, shape=(6,), in_shape=(10,), name="B"):
    A = te.placeholder(in_shape, name="A")
    B = te.compute(shape, lambda *i: fcompute(A, *i), name=name)
    f = te.create_prim_func([A, B])
    blk = [b for b in tir.collect(f.body, tir.Block) if b.name == name][0]
    return blk, blk.reads


def bounds(rng):
    return rng.min, rng.extent.value


def test_single_access_is_a_point():
    blk, (r,) = reads_of(lambda A, i: A[i * 2 + 1] * 3.0, in_shape=(12,))
    m, e = bounds(r.region[0])
    assert e == 1 and isinstance(m, tir.Add)


def test_repeated_identical_access_is_one_point():
    blk, (r,) = reads_of(lambda A, i: A[i + 1] * A[i + 1])
    assert bounds(r.region[0])[1] == 1


def test_constant_offsets_give_the_hull():
    blk, (r,) = reads_of(lambda A, i: A[i + 2] + A[i] + A[i + 1])
    m, e = bounds(r.region[0])
    assert e == 3 and m is blk.iter_vars[0].var


def test_negative_offsets_and_scaled_vars():
    blk, (r,) = reads_of(lambda A, i: te.if_then_else(i >= 1, A[i * 2 + 3] - A[2 * i - 1], 0.0), in_shape=(20,))
    m, e = bounds(r.region[0])
    assert e == 5
    assert isinstance(m, tir.Sub) and m.b.value == 1


def test_different_strides_give_the_whole_dimension():
    blk, (r,) = reads_of(lambda A, i: A[i] + A[i * 2], in_shape=(12,))
    m, e = bounds(r.region[0])
    assert (m.value, e) == (0, 12)


def test_non_affine_differing_give_the_whole_dimension():
    blk, (r,) = reads_of(lambda A, i: A[i // 2] + A[i % 3], in_shape=(12,))
    assert (r.region[0].min.value, r.region[0].extent.value) == (0, 12)


def test_data_dependent_index_gives_the_whole_dimension():
    A = te.placeholder((10,), name="A")
    I = te.placeholder((4,), dtype="int32", name="I")
    B = te.compute((4,), lambda i: A[I[i]], name="B")
    f = te.create_prim_func([A, I, B])
    blk = tir.collect(f.body, tir.Block)[1]
    ra, ri = blk.reads
    assert ra.buffer.name == "A" and (ra.region[0].min.value, ra.region[0].extent.value) == (0, 10)
    assert ri.buffer.name == "I" and ri.region[0].extent.value == 1


def test_regions_per_dimension_and_buffer_order():
    A = te.placeholder((4, 8), name="A")
    Bt = te.placeholder((8,), name="Bt")
    C = te.compute((4, 6), lambda i, j: Bt[j] + A[i, j] + A[i, j + 2], name="C")
    f = te.create_prim_func([A, Bt, C])
    blk = tir.collect(f.body, tir.Block)[1]
    assert [r.buffer.name for r in blk.reads] == ["Bt", "A"]
    a = blk.reads[1]
    assert [e.extent.value for e in a.region] == [1, 3]
