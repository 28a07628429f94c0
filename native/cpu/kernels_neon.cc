// NEON kernels (arm64, where NEON is part of the baseline).
#include <array>
#include <utility>

#include "kernels.h"

#if defined(__aarch64__)
#include <arm_neon.h>

namespace gatedrnn {
namespace neon {

constexpr const char* kIsaName = "neon";

struct V {
  using T = float32x4_t;
  static constexpr int L = 4;
  static T zero() { return vdupq_n_f32(0.f); }
  static T load(const float* p) { return vld1q_f32(p); }
  static T bcast(float x) { return vdupq_n_f32(x); }
  static T fma(T a, T b, T acc) { return vfmaq_f32(acc, a, b); }
  static void store(float* p, T x) { vst1q_f32(p, x); }
};
// A panel is 4 q registers; blocks keep 16 to 24 of the 32 as accumulators.
constexpr int kBlockPanels[5] = {0, 6, 3, 2, 1};

#include "gemm_packed.inc"
#include "kernels_common.inc"

}  // namespace neon

const KernelTable* kernels_neon() { return &neon::kTable; }

}  // namespace gatedrnn
#else
namespace gatedrnn {
const KernelTable* kernels_neon() { return nullptr; }
}  // namespace gatedrnn
#endif
