// AVX-512 (F) kernels (x86-64). This file alone is compiled with -mavx512f and friends; it is only
// called after CPUID and XGETBV say the CPU and OS support them.
#include <array>
#include <utility>

#include "kernels.h"

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>

namespace gatedrnn {
namespace avx512 {

constexpr const char* kIsaName = "avx512";

struct V {
  using T = __m512;
  static constexpr int L = 16;
  static T zero() { return _mm512_setzero_ps(); }
  static T load(const float* p) { return _mm512_load_ps(p); }
  static T bcast(float x) { return _mm512_set1_ps(x); }
  static T fma(T a, T b, T acc) { return _mm512_fmadd_ps(a, b, acc); }
  static void store(float* p, T x) { _mm512_storeu_ps(p, x); }
};
// Up to 24 of the 32 zmm registers hold accumulators; one row gets 16 independent chains to
// hide FMA latency in the matrix-vector case (batch 1).
constexpr int kBlockPanels[5] = {0, 16, 12, 8, 6};

#include "gemm_packed.inc"
#include "kernels_common.inc"

}  // namespace avx512

const KernelTable* kernels_avx512() { return &avx512::kTable; }

}  // namespace gatedrnn
#else
namespace gatedrnn {
const KernelTable* kernels_avx512() { return nullptr; }
}  // namespace gatedrnn
#endif
