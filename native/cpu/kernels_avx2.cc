// AVX2 + FMA kernels (x86-64). This file alone is compiled with -mavx2 -mfma; it is only called
// after CPUID says the CPU has both.
#include <array>
#include <cstdint>
#include <utility>

#include "kernels.h"
#include "optimizer.h"

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>

namespace gatedrnn {
namespace avx2 {

constexpr const char* kIsaName = "avx2";
constexpr AdamFn kAdam = adam_update_reference;

struct V {
  using T = __m256;
  static constexpr int L = 8;
  static T zero() { return _mm256_setzero_ps(); }
  static T load(const float* p) { return _mm256_load_ps(p); }
  static T bcast(float x) { return _mm256_set1_ps(x); }
  static T fma(T a, T b, T acc) { return _mm256_fmadd_ps(a, b, acc); }
  static T loadu(const float* p) { return _mm256_loadu_ps(p); }
  static T add(T a, T b) { return _mm256_add_ps(a, b); }
  static void store(float* p, T x) { _mm256_storeu_ps(p, x); }
  static void widen_bf16(const uint16_t* p, T& even, T& odd) {
    const __m256i pair = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
    even = _mm256_castsi256_ps(_mm256_slli_epi32(pair, 16));
    odd = _mm256_castsi256_ps(_mm256_and_si256(pair, _mm256_set1_epi32(static_cast<int>(0xffff0000u))));
  }
};
// Accumulators per block stay at or under 12 of the 16 ymm registers.
constexpr int kBlockPanels[5] = {0, 6, 3, 2, 1};
// bf16: two broadcasts per row, the widened pair and the mask come out of the same 16, so blocks
// stop at 2 rows (3 rows of one panel measured slower: 6 accumulators, each taking both halves of
// a pair in turn, leave the FMA latency exposed).
constexpr int kBf16BlockPanels[5] = {0, 5, 2, 0, 0};

#include "gemm_packed.inc"
#include "gemm_bf16.inc"
#include "kernels_common.inc"

}  // namespace avx2

const KernelTable* kernels_avx2() { return &avx2::kTable; }

}  // namespace gatedrnn
#else
namespace gatedrnn {
const KernelTable* kernels_avx2() { return nullptr; }
}  // namespace gatedrnn
#endif
