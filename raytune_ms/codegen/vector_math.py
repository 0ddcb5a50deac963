"""Vector forms of math calls for vectorized loops (GCC vector extensions, any lane count).

Without -ffast-math gcc never vectorizes a call of expf (glibc declares its SIMD versions only
for fast-math), so a vectorized loop holding exp (a softmax, a sigmoid, GELU) would run one
lane at a time. `rtms_vexp_*` computes exp lane by lane in vector registers instead:
n = round(x / ln2) (by the 1.5 * 2^23 trick, exact in round-to-nearest), f = x - n ln2 in two
parts (Cody-Waite), e^f by a degree-6 polynomial (Cephes' expf coefficients, about 1 ulp), and
2^n applied as two halves so that results near overflow and in the denormal range round as
they should. x is clamped to [-104, 89] first (exp is 0 below and inf above in float32), and a
NaN lane passes through.
"""

from __future__ import annotations

# op -> (dtype it has a vector form for, helper kind)
VECTOR_CALLS = {"exp": ("float32", "vexp")}

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


def vector_call_helpers(name: str, mask: str, dtype: str) -> list:
    """C definitions of the vector math helpers of vector type `name` (lanes of `dtype`,
    comparison masks of type `mask`)."""
    if dtype != "float32":
        return []
    return [_EXP_F32.format(v=name, m=mask, s=name[len("rtms_"):])]
