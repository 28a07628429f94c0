// NEON kernels (arm64, where NEON is part of the baseline).
#include <array>
#include <cstdint>
#include <utility>

#include "kernels.h"
#include "optimizer.h"

#if defined(__aarch64__)
#include <arm_neon.h>

namespace gatedrnn {
namespace neon {

constexpr const char* kIsaName = "neon";
constexpr AdamFn kAdam = adam_update_reference;

struct V {
  using T = float32x4_t;
  static constexpr int L = 4;
  static T zero() { return vdupq_n_f32(0.f); }
  static T load(const float* p) { return vld1q_f32(p); }
  static T bcast(float x) { return vdupq_n_f32(x); }
  static T fma(T a, T b, T acc) { return vfmaq_f32(acc, a, b); }
  static T loadu(const float* p) { return vld1q_f32(p); }
  static T add(T a, T b) { return vaddq_f32(a, b); }
  static void store(float* p, T x) { vst1q_f32(p, x); }
  static void widen_bf16(const uint16_t* p, T& even, T& odd) {
    const uint32x4_t pair = vreinterpretq_u32_u16(vld1q_u16(p));
    even = vreinterpretq_f32_u32(vshlq_n_u32(pair, 16));
    odd = vreinterpretq_f32_u32(vandq_u32(pair, vdupq_n_u32(0xffff0000u)));
  }
};
// A panel is 4 q registers; blocks keep 16 to 24 of the 32 as accumulators.
constexpr int kBlockPanels[5] = {0, 6, 3, 2, 1};
// bf16: two broadcasts per row, the widened pair and the mask also take registers: three rows of
// two panels would not fit in 32.
constexpr int kBf16BlockPanels[5] = {0, 6, 3, 1, 1};

#include "gemm_packed.inc"
#include "gemm_bf16.inc"
#include "kernels_common.inc"

}  // namespace neon

const KernelTable* kernels_neon() { return &neon::kTable; }

}  // namespace gatedrnn
#else
namespace gatedrnn {
const KernelTable* kernels_neon() { return nullptr; }
}  // namespace gatedrnn
#endif
