// Adam with AVX-512: 8 elements a vector, in double precision like the reference loop
// (optimizer.cc), each operation the same IEEE operation in the same order, and each stored value
// rounded to float by vcvtpd2ps under the default rounding: the same bits. Compiled with
// -mavx512f and without floating-point contraction (CMakeLists.txt), which would fuse the
// multiplies and adds below; only called after CPUID says the CPU has AVX-512.
#include "optimizer.h"

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>

namespace gatedrnn {
namespace {

// The all-lanes masked forms: GCC 12's unmasked ones start from an undefined vector and warn
// (-Wmaybe-uninitialized). The same instructions.
__m512d widen(const float* p) { return _mm512_maskz_cvtps_pd(0xff, _mm256_loadu_ps(p)); }
__m256 narrow(__m512d x) { return _mm512_maskz_cvtpd_ps(0xff, x); }

}  // namespace

void adam_update_avx512(float* w, const float* g, float* m, float* v, size_t a, size_t b, const AdamStep& s) {
  const __m512d scale = _mm512_set1_pd(s.scale), decay = _mm512_set1_pd(s.decay), c1 = _mm512_set1_pd(s.c1),
                c2 = _mm512_set1_pd(s.c2), alpha = _mm512_set1_pd(s.alpha), eps = _mm512_set1_pd(s.eps);
  const bool decays = s.decay != 0.0;
  size_t i = a;
  for (; i + 8 <= b; i += 8) {
    __m512d wi = widen(w + i);
    // The reference rounds the decayed weight to float before the update reads it.
    if (decays) wi = _mm512_maskz_cvtps_pd(0xff, narrow(_mm512_sub_pd(wi, _mm512_mul_pd(wi, decay))));
    const __m512d gi = _mm512_mul_pd(widen(g + i), scale);
    const __m512d mi = widen(m + i), vi = widen(v + i);
    const __m256 mn = narrow(_mm512_add_pd(mi, _mm512_mul_pd(_mm512_sub_pd(gi, mi), c1)));
    const __m256 vn = narrow(_mm512_add_pd(vi, _mm512_mul_pd(_mm512_sub_pd(_mm512_mul_pd(gi, gi), vi), c2)));
    _mm256_storeu_ps(m + i, mn);
    _mm256_storeu_ps(v + i, vn);
    const __m512d step = _mm512_div_pd(_mm512_mul_pd(alpha, _mm512_maskz_cvtps_pd(0xff, mn)),
                                       _mm512_add_pd(_mm512_maskz_sqrt_pd(0xff, _mm512_maskz_cvtps_pd(0xff, vn)), eps));
    _mm256_storeu_ps(w + i, narrow(_mm512_sub_pd(wi, step)));
  }
  adam_update_reference(w, g, m, v, i, b, s);
}

}  // namespace gatedrnn
#endif
