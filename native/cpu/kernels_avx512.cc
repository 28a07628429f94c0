// AVX-512 (F) kernels (x86-64). This file alone is compiled with -mavx512f and friends; it is only
// called after CPUID and XGETBV say the CPU and OS support them.
#include <array>
#include <cstdint>
#include <utility>

#include "kernels.h"
#include "optimizer.h"

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>

namespace gatedrnn {
namespace avx512 {

constexpr const char* kIsaName = "avx512";
constexpr AdamFn kAdam = adam_update_avx512;

struct V {
  using T = __m512;
  static constexpr int L = 16;
  static T zero() { return _mm512_setzero_ps(); }
  static T load(const float* p) { return _mm512_load_ps(p); }
  static T bcast(float x) { return _mm512_set1_ps(x); }
  static T fma(T a, T b, T acc) { return _mm512_fmadd_ps(a, b, acc); }
  static T loadu(const float* p) { return _mm512_loadu_ps(p); }
  static T add(T a, T b) { return _mm512_add_ps(a, b); }
  static void store(float* p, T x) { _mm512_storeu_ps(p, x); }
  static void widen_bf16(const uint16_t* p, T& even, T& odd) {
    // A vector-extension shift, not _mm512_slli_epi32: GCC 12 warns (-Wmaybe-uninitialized) about
    // the undefined vector inside that intrinsic. Both compile to vpslld.
    using U32x16 = uint32_t __attribute__((vector_size(64)));
    const __m512i pair = _mm512_loadu_si512(p);
    even = _mm512_castsi512_ps(reinterpret_cast<__m512i>(reinterpret_cast<U32x16>(pair) << 16));
    odd = _mm512_castsi512_ps(_mm512_and_si512(pair, _mm512_set1_epi32(static_cast<int>(0xffff0000u))));
  }
};
// Up to 24 of the 32 zmm registers hold accumulators. Few rows read weights that are used
// once: more than 8 panel streams at a time measured about 2x slower (the prefetchers lose
// track), so blocks of 1 to 3 rows stop at 8 panels.
constexpr int kBlockPanels[5] = {0, 8, 8, 8, 6};
// bf16: the same 8-stream cap; two broadcasts per row plus the widened pair cost registers, so four
// rows drop to 5 panels to stay in 32.
constexpr int kBf16BlockPanels[5] = {0, 8, 8, 8, 5};

#define GATEDRNN_VMATH_AVX512 1  // vmath.inc: the vscalefps / vrcp14ps forms
#include "gemm_packed.inc"
#include "gemm_bf16.inc"
#include "kernels_common.inc"

}  // namespace avx512

const KernelTable* kernels_avx512() { return &avx512::kTable; }

}  // namespace gatedrnn
#else
namespace gatedrnn {
const KernelTable* kernels_avx512() { return nullptr; }
}  // namespace gatedrnn
#endif
