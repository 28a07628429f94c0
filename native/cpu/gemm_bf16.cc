#include "gemm_bf16.h"

#include <cstring>

namespace gatedrnn {

uint16_t fp32_to_bf16(float x) {
  uint32_t u;
  std::memcpy(&u, &x, 4);
  // Truncating a NaN could leave an all-zero significand (infinity); set the quiet bit instead.
  if ((u & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((u >> 16) | 0x40u);
  // Adding 0x7fff plus the kept part's lowest bit rounds half to even; a carry into the exponent
  // is the right answer (up to infinity past the largest bf16).
  u += 0x7fffu + ((u >> 16) & 1u);
  return static_cast<uint16_t>(u >> 16);
}

float bf16_to_fp32(uint16_t x) {
  const uint32_t u = static_cast<uint32_t>(x) << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

void pack_panels_bf16(const float* src, int row0, int H, int K, int blocks, uint16_t* dst) {
  const int kp = (K + 1) & ~1;
  for (int blk = 0; blk < blocks; ++blk) {
    uint16_t* panel = dst + static_cast<size_t>(blk) * bf16_panel_elems(K);
    for (int lane = 0; lane < kPanel; ++lane) {
      const int unit = blk * kPanel + lane;
      const float* row = unit < H ? src + static_cast<size_t>(row0 + unit) * K : nullptr;
      for (int k = 0; k < kp; ++k) {
        const uint16_t w = row != nullptr && k < K ? fp32_to_bf16(row[k]) : 0;
        panel[static_cast<size_t>(k / 2) * 2 * kPanel + lane * 2 + (k & 1)] = w;
      }
    }
  }
}

void gemm_bf16_reference(int K, const float* A, size_t lda, int mr, const uint16_t* const* panels, int np,
                         float* C, size_t ldc) {
  for (int r = 0; r < mr; ++r) {
    for (int p = 0; p < np; ++p) {
      for (int lane = 0; lane < kPanel; ++lane) {
        double sum = 0;  // a bf16 x fp32 product is exact in double, and so are short sums
        for (int k = 0; k < K; ++k) {
          const uint16_t w = panels[p][static_cast<size_t>(k / 2) * 2 * kPanel + lane * 2 + (k & 1)];
          sum += static_cast<double>(A[r * lda + k]) * bf16_to_fp32(w);
        }
        C[r * ldc + p * kPanel + lane] = static_cast<float>(sum);
      }
    }
  }
}

}  // namespace gatedrnn
