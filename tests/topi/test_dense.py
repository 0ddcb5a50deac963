"""The te matmuls at a size the suite does not use, run against the numpy references."""

from raytune_ms.topi import dense, reference


def test_matmuls_at_a_third_size(check_op):
    check_op(dense.batch_matmul_nkkm(B=3, N=5, M=7, K=9),
             lambda a, b: reference.batch_matmul_nkkm(a, b, B=3, N=5, M=7, K=9))
    check_op(dense.gemv(K=33, N=17), lambda x, w: reference.gemv(x, w, K=33, N=17))
    check_op(dense.transpose_batch_matmul(2, 5, 3, 4),
             lambda q, k: reference.transpose_batch_matmul(q, k, batch=2, seq=5, heads=3, dim=4))
