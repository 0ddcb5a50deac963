"""The te normalisations at a size the suite does not use, run against the numpy references."""

from raytune_ms.topi import norm, reference


def test_norms_at_a_third_size(check_op):
    check_op(norm.norm_bmn(3, 4, 5), lambda a: reference.norm_bmn(a, B=3, M=4, N=5))
    check_op(norm.softmax_mn(3, 17), lambda a: reference.softmax_mn(a, M=3, N=17))
    check_op(norm.layer_norm(3, 17), lambda a, g, b: reference.layer_norm(a, g, b, M=3, N=17))
