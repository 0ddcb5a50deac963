"""Vector forms of math calls for vectorized loops (GCC vector extensions, any lane count).

Without -ffast-math gcc never vectorizes a call of expf (glibc declares its SIMD versions only
for fast-math), so a vectorized loop holding exp (a softmax, a sigmoid, GELU) would run one
lane at a time. `rtms_vexp_*` computes exp lane by lane in vector registers instead:
n = round(x / ln2) (by the 1.5 * 2^23 trick, exact in round-to-nearest), f = x - n ln2 in two
parts (Cody-Waite), e^f by a degree-6 polynomial (Cephes' expf coefficients, about 1 ulp), and
2^n applied as two halves so that results near overflow and in the denormal range round as
they should. x is clamped to [-104, 89] first (exp is 0 below and inf above in float32), and a
NaN lane passes through.

`rtms_verf_*` (GELU's erf) works on a = min(|x|, 4) (erf is 1 in float32 from 3.92 on) and
puts the sign back: below 1, a * P(a^2) with P of degree 5; from 1, 1 - exp(-a^2) * Q(1/a)
with Q of degree 8 (erfc(a) e^(a^2) is smooth in 1/a). Both are weighted least-squares fits made
for this file (numpy polyfit against math.erf on [0, 1] and [1, 4]); within 4 ulp of float64
erf rounded to float32, tested. A NaN lane passes through.

`rtms_vtanh_*` works on a = min(|x|, 9) (tanh is 1 in float32 from 9 on) and puts the sign
back: below 0.625, a + a^3 P(a^2) (Cephes' tanhf coefficients), above, 1 - 2 / (e^(2a) + 1)
with the vector exp. `rtms_vsigmoid_*` is 1 / (1 + e^(-x)) with the vector exp (0 once e^(-x)
overflows, below about -88.7, as the scalar form). Both within a few ulp of float64 (sigmoid's
results in the denormal range within a few denormal steps), tested; a NaN lane passes through.
"""

from __future__ import annotations

# op -> (dtype it has a vector form for, helper kind)
VECTOR_CALLS = {"exp": ("float32", "vexp"), "erf": ("float32", "verf"), "tanh": ("float32", "vtanh"),
                "sigmoid": ("float32", "vsigmoid")}

_EXP_F32 = """static inline {v} rtms_vexp_{s}({v} x) {{
  {m} nan = ({m})(x != x);
  {v} xc = rtms_vmax_{s}(rtms_vmin_{s}(x, rtms_splat_{s}(89.0f)), rtms_splat_{s}(-104.0f));
  {v} big = rtms_splat_{s}(12582912.0f);
  {v} nf = (xc * 1.44269504088896341f + big) - big;
  {v} f = xc - nf * 0.693359375f;
  f = f - nf * -2.12194440e-4f;
  {v} p = rtms_splat_{s}(1.9875691500e-4f);
  p = p * f + 1.3981999507e-3f;
  p = p * f + 8.3334519073e-3f;
  p = p * f + 4.1665795894e-2f;
  p = p * f + 1.6666665459e-1f;
  p = p * f + 5.0000001201e-1f;
  {v} y = p * f * f + f + 1.0f;
  {m} n = __builtin_convertvector(nf, {m});
  {m} n1 = n >> 1;
  {v} r = y * ({v})((n1 + 127) << 23) * ({v})((n - n1 + 127) << 23);
  return ({v})((({m})r & ~nan) | (({m})x & nan));
}}"""


def _odd_tail(threshold: str) -> str:
    """End of an odd function's helper: p (the small-argument branch) below `threshold`, big
    above, x's sign put back, a NaN lane passed through."""
    return f"""  {{m}} small = ({{m}})(a < rtms_splat_{{s}}({threshold}));
  {{m}} r = ((({{m}})p & small) | (({{m}})big & ~small)) | (bits & ~0x7fffffff);
  {{m}} nan = ({{m}})(x != x);
  return ({{v}})((r & ~nan) | (bits & nan));
}}}}"""


_ERF_F32 = """static inline {v} rtms_verf_{s}({v} x) {{
  {m} bits = ({m})x;
  {v} a = rtms_vmin_{s}(({v})(bits & 0x7fffffff), rtms_splat_{s}(4.0f));
  {v} a2 = a * a;
  {v} p = rtms_splat_{s}(-5.688037490e-04f);
  p = p * a2 + 4.931680858e-03f;
  p = p * a2 + -2.672377788e-02f;
  p = p * a2 + 1.128063947e-01f;
  p = p * a2 + -3.761239052e-01f;
  p = (p * a2 + 1.128379107e+00f) * a;
  {v} u = 1.0f / rtms_vmax_{s}(a, rtms_splat_{s}(1.0f));
  {v} q = rtms_splat_{s}(-1.348763704e-02f);
  q = q * u + 4.768987373e-02f;
  q = q * u + -1.478885952e-02f;
  q = q * u + -1.989209652e-01f;
  q = q * u + 4.679623544e-01f;
  q = q * u + -4.595332742e-01f;
  q = q * u + 3.894458339e-02f;
  q = q * u + 5.594727397e-01f;
  q = q * u + 2.446419094e-04f;
  {v} big = 1.0f - rtms_vexp_{s}(-a2) * q;
""" + _odd_tail("1.0f")


_TANH_F32 = """static inline {v} rtms_vtanh_{s}({v} x) {{
  {m} bits = ({m})x;
  {v} a = rtms_vmin_{s}(({v})(bits & 0x7fffffff), rtms_splat_{s}(9.0f));
  {v} z = a * a;
  {v} p = rtms_splat_{s}(-5.70498872745e-3f);
  p = p * z + 2.06390887954e-2f;
  p = p * z + -5.37397155531e-2f;
  p = p * z + 1.33314422036e-1f;
  p = p * z + -3.33332819422e-1f;
  p = p * z * a + a;
  {v} big = 1.0f - 2.0f / (rtms_vexp_{s}(a + a) + 1.0f);
""" + _odd_tail("0.625f")


_SIGMOID_F32 = """static inline {v} rtms_vsigmoid_{s}({v} x) {{
  return 1.0f / (1.0f + rtms_vexp_{s}(-x));
}}"""


def vector_call_helpers(name: str, mask: str, dtype: str) -> list:
    """C definitions of the vector math helpers of vector type `name` (lanes of `dtype`,
    comparison masks of type `mask`)."""
    if dtype != "float32":
        return []
    return [t.format(v=name, m=mask, s=name[len("rtms_"):]) for t in (_EXP_F32, _ERF_F32, _TANH_F32, _SIGMOID_F32)]
