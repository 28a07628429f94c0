// AVX2 + FMA kernels (x86-64). This file alone is compiled with -mavx2 -mfma; it is only called
// after CPUID says the CPU has both.
#include <array>
#include <utility>

#include "kernels.h"

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>

namespace gatedrnn {
namespace avx2 {

constexpr const char* kIsaName = "avx2";

struct V {
  using T = __m256;
  static constexpr int L = 8;
  static T zero() { return _mm256_setzero_ps(); }
  static T load(const float* p) { return _mm256_load_ps(p); }
  static T bcast(float x) { return _mm256_set1_ps(x); }
  static T fma(T a, T b, T acc) { return _mm256_fmadd_ps(a, b, acc); }
  static void store(float* p, T x) { _mm256_storeu_ps(p, x); }
};
// Accumulators per block stay at or under 12 of the 16 ymm registers.
constexpr int kBlockPanels[5] = {0, 6, 3, 2, 1};

#include "gemm_packed.inc"
#include "kernels_common.inc"

}  // namespace avx2

const KernelTable* kernels_avx2() { return &avx2::kTable; }

}  // namespace gatedrnn
#else
namespace gatedrnn {
const KernelTable* kernels_avx2() { return nullptr; }
}  // namespace gatedrnn
#endif
