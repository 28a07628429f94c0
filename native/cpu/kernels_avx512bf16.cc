// The bf16-weight GEMM on AVX512_BF16: vdpbf16ps multiplies a bf16 pair of A by the bf16 weight
// pair of each of 16 lanes and adds both products into the fp32 lane: twice the multiply-adds of an
// fp32 FMA per instruction, from half the weight bytes.
//
// It takes A in bf16 too, so each call rounds its rows of A to bf16 (nearest even) once, into a
// small stack buffer: unlike the emulated kernels this one rounds the activations as well, which
// moves each a_k by at most 2^-8 |a_k|. vdpbf16ps and the conversion also treat denormal inputs
// and results as zero. The products of two bf16 are exact in fp32; only the sums round.
//
// This file alone is compiled with -mavx512f -mavx512bf16 -mavx512vl -mavx512bw (when the compiler
// has them); it is only called after CPUID and XGETBV say the CPU and OS support AVX512_BF16.
#include <array>
#include <cstdint>
#include <utility>

#include "kernels.h"

#if (defined(__x86_64__) || defined(_M_X64)) && defined(__AVX512BF16__) && defined(__AVX512F__)
#include <immintrin.h>

namespace gatedrnn {
namespace avx512bf16 {

// Panels per block for 1..4 rows: up to 24 accumulators of the 32 zmm registers. One row (the
// batch-1 matrix-vector product) reads every weight once, so its speed is how fast the panels
// stream in: 4 streams measured fastest, from L2 and from L3 (16 were 2x slower, 8 5-15% slower).
constexpr int kBlockPanels[5] = {0, 4, 8, 8, 6};
// One k pair of a panel: kPanel lanes x 2 bf16 = 64 bytes.
constexpr int kPairStride = 2 * kPanel;
// A is rounded this many k at a time (4 rows: 16 KiB of stack); longer K runs in chunks that add
// into C.
constexpr int kChunkK = 2048;
constexpr int kChunkPairs = kChunkK / 2;

// acc (+)= A2 · panels over `pairs` k pairs, where A2 holds R rows of bf16 pairs (stride kChunkPairs)
// and each panel pointer is offset by `offset` elements. `add` keeps what C holds (a later chunk).
template <int R, int P>
static void block(int pairs, const uint32_t* __restrict A2, const uint16_t* const* panels, size_t offset,
                  float* __restrict C, size_t ldc, bool add) {
  __m512 acc[R][P];
  for (int r = 0; r < R; ++r)
    for (int p = 0; p < P; ++p) acc[r][p] = add ? _mm512_loadu_ps(C + r * ldc + p * kPanel) : _mm512_setzero_ps();
  const uint16_t* pp[P];
  for (int p = 0; p < P; ++p) pp[p] = panels[p] + offset;
  for (int j = 0; j < pairs; ++j) {
    __m512bh a[R];
    for (int r = 0; r < R; ++r) a[r] = (__m512bh)_mm512_set1_epi32(static_cast<int>(A2[r * kChunkPairs + j]));
    for (int p = 0; p < P; ++p) {
      const __m512bh w = (__m512bh)_mm512_loadu_si512(pp[p] + static_cast<size_t>(j) * kPairStride);
      for (int r = 0; r < R; ++r) acc[r][p] = _mm512_dpbf16_ps(acc[r][p], a[r], w);
    }
  }
  for (int r = 0; r < R; ++r)
    for (int p = 0; p < P; ++p) _mm512_storeu_ps(C + r * ldc + p * kPanel, acc[r][p]);
}

using BlockFn = void (*)(int, const uint32_t*, const uint16_t* const*, size_t, float*, size_t, bool);

template <int R, int... Ps>
static constexpr std::array<BlockFn, sizeof...(Ps)> block_row(std::integer_sequence<int, Ps...>) {
  return {{&block<R, Ps + 1>...}};
}

static BlockFn block_fn(int rows, int panels) {
  static constexpr auto t1 = block_row<1>(std::make_integer_sequence<int, kBlockPanels[1]>());
  static constexpr auto t2 = block_row<2>(std::make_integer_sequence<int, kBlockPanels[2]>());
  static constexpr auto t3 = block_row<3>(std::make_integer_sequence<int, kBlockPanels[3]>());
  static constexpr auto t4 = block_row<4>(std::make_integer_sequence<int, kBlockPanels[4]>());
  switch (rows) {
    case 1: return t1[panels - 1];
    case 2: return t2[panels - 1];
    case 3: return t3[panels - 1];
    default: return t4[panels - 1];
  }
}

// Rounds A[r][k0, k0 + n) for `rows` rows to bf16 pairs: out[r * kChunkPairs + j] holds
// bf16(A[r][k0 + 2j]) in its low half and bf16(A[r][k0 + 2j + 1]) in its high half, zero past n.
// Masked loads never touch (or fault on) the floats past the end of a row.
static void round_rows(const float* A, size_t lda, int rows, int k0, int n, uint32_t* out) {
  for (int r = 0; r < rows; ++r) {
    const float* a = A + r * lda + k0;
    for (int k = 0; k < n; k += 32) {
      const int left = n - k;
      const __mmask16 lo = left >= 16 ? 0xffff : static_cast<__mmask16>((1u << left) - 1);
      const __mmask16 hi = left >= 32 ? 0xffff : left <= 16 ? 0 : static_cast<__mmask16>((1u << (left - 16)) - 1);
      const __m512bh pairs = _mm512_cvtne2ps_pbh(_mm512_maskz_loadu_ps(hi, a + k + 16), _mm512_maskz_loadu_ps(lo, a + k));
      _mm512_storeu_si512(out + r * kChunkPairs + k / 2, (__m512i)pairs);
    }
  }
}

static void gemm(int K, const float* A, size_t lda, int mr, const uint16_t* const* panels, int np, float* C,
                 size_t ldc) {
  if (K <= 0) {
    for (int r = 0; r < mr; ++r)
      for (int c = 0; c < np * kPanel; ++c) C[r * ldc + c] = 0.f;
    return;
  }
  alignas(64) uint32_t a2[4 * kChunkPairs];
  for (int r = 0; r < mr;) {
    const int rows = mr - r < 4 ? mr - r : 4;
    const int width = kBlockPanels[rows];
    for (int k0 = 0; k0 < K; k0 += kChunkK) {
      const int n = K - k0 < kChunkK ? K - k0 : kChunkK;
      round_rows(A + r * lda, lda, rows, k0, n, a2);
      const size_t offset = static_cast<size_t>(k0 / 2) * kPairStride;
      for (int p = 0; p < np; p += width) {
        const int w = np - p < width ? np - p : width;
        block_fn(rows, w)((n + 1) / 2, a2, panels + p, offset, C + r * ldc + p * kPanel, ldc, k0 > 0);
      }
    }
    r += rows;
  }
}

// As fma_loop (kernels_common.inc): the start values come from *sink, unseen by the compiler.
static void dpbf16_loop(long iters, float* sink) {
  const float base = *sink;
  __m512 acc[12];
  for (int i = 0; i < 12; ++i) acc[i] = _mm512_set1_ps(base + 1e-3f * static_cast<float>(i));
  const __m512 x = _mm512_set1_ps(base * 1e-6f + 1e-6f);
  const __m512bh a = _mm512_cvtne2ps_pbh(x, x), b = _mm512_cvtne2ps_pbh(x, x);
  for (long k = 0; k < iters; ++k)
    for (int i = 0; i < 12; ++i) acc[i] = _mm512_dpbf16_ps(acc[i], a, b);
  __m512 sum = acc[0];
  for (int i = 1; i < 12; ++i) sum = _mm512_add_ps(sum, acc[i]);
  *sink = _mm512_reduce_add_ps(sum);
}

}  // namespace avx512bf16

GemmBf16Fn gemm_bf16_avx512_dpbf16() { return &avx512bf16::gemm; }
void (*dpbf16_loop_avx512())(long, float*) { return &avx512bf16::dpbf16_loop; }

}  // namespace gatedrnn
#else
namespace gatedrnn {
GemmBf16Fn gemm_bf16_avx512_dpbf16() { return nullptr; }
void (*dpbf16_loop_avx512())(long, float*) { return nullptr; }
}  // namespace gatedrnn
#endif
