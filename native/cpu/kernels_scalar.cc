// Portable kernels: plain C++ compiled for the target's baseline, the fallback on every CPU.
#include <array>
#include <cstdint>
#include <cstring>
#include <utility>

#include "kernels.h"
#include "optimizer.h"

namespace gatedrnn {
namespace scalar {

constexpr const char* kIsaName = "scalar";
constexpr AdamFn kAdam = adam_update_reference;

// A "vector" of one float: the generic micro-kernel then compiles to scalar code that the
// compiler may still vectorize for the baseline (SSE2 on x86-64).
struct V {
  using T = float;
  static constexpr int L = 1;
  static T zero() { return 0.f; }
  static T load(const float* p) { return *p; }
  static T bcast(float x) { return x; }
  static T fma(T a, T b, T acc) { return acc + a * b; }
  static T loadu(const float* p) { return *p; }
  static T add(T a, T b) { return a + b; }
  static void store(float* p, T x) { *p = x; }
  static void widen_bf16(const uint16_t* p, T& even, T& odd) {
    uint32_t pair, lo, hi;
    std::memcpy(&pair, p, 4);
    lo = pair << 16;
    hi = pair & 0xffff0000u;
    std::memcpy(&even, &lo, 4);
    std::memcpy(&odd, &hi, 4);
  }
};
constexpr int kBlockPanels[5] = {0, 2, 1, 1, 1};
constexpr int kBf16BlockPanels[5] = {0, 2, 1, 1, 1};

#include "gemm_packed.inc"
#include "gemm_bf16.inc"
#include "kernels_common.inc"

}  // namespace scalar

const KernelTable* kernels_scalar() { return &scalar::kTable; }

}  // namespace gatedrnn
