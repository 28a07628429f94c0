// Portable kernels: plain C++ compiled for the target's baseline, the fallback on every CPU.
#include <array>
#include <utility>

#include "kernels.h"

namespace gatedrnn {
namespace scalar {

constexpr const char* kIsaName = "scalar";

// A "vector" of one float: the generic micro-kernel then compiles to scalar code that the
// compiler may still vectorize for the baseline (SSE2 on x86-64).
struct V {
  using T = float;
  static constexpr int L = 1;
  static T zero() { return 0.f; }
  static T load(const float* p) { return *p; }
  static T bcast(float x) { return x; }
  static T fma(T a, T b, T acc) { return acc + a * b; }
  static void store(float* p, T x) { *p = x; }
};
constexpr int kBlockPanels[5] = {0, 2, 1, 1, 1};

#include "gemm_packed.inc"
#include "kernels_common.inc"

}  // namespace scalar

const KernelTable* kernels_scalar() { return &scalar::kTable; }

}  // namespace gatedrnn
