#include "sgemm.h"

#include <algorithm>
#include <cstring>

#include "../common/aligned.h"
#include "isa.h"
#include "kernels.h"
#include "parallel.h"

namespace gatedrnn {

namespace {

// Rows per tile, K per block (a tile's panels for one block stay in L2 while its rows pass) and
// the most panels a tile spans.
constexpr int kRowTile = 32;
constexpr int kDepth = 256;
constexpr int kMaxTilePanels = 16;
// Below this many multiply-adds a second thread costs more than it saves.
constexpr double kMinWorkPerThread = 64.0 * 1024;

// Panels per tile: whole register blocks of the micro-kernel, about 8 panels or more.
int tile_panels(const KernelTable& kt) {
  const int bp = std::max(1, kt.block_panels);
  return std::min(kMaxTilePanels, bp * ((8 + bp - 1) / bp));
}

int threads_for(double work, int threads) {
  const int n = threads > 0 ? threads : default_threads();
  return std::max(1, std::min(n, static_cast<int>(work / kMinWorkPerThread)));
}

}  // namespace

void pack_panels_part(bool trans, int K, int N, const float* B, size_t ldb, float* dst, int tid, int nt) {
  int p0, p1;
  split_range(panel_count(N), nt, tid, p0, p1);
  for (int p = p0; p < p1; ++p) {
    float* panel = dst + p * panel_floats(K);
    const int n0 = p * 16, width = std::min(16, N - n0);
    if (trans) {
      for (int lane = 0; lane < 16; ++lane) {
        if (lane < width) {
          const float* src = B + static_cast<size_t>(n0 + lane) * ldb;
          for (int k = 0; k < K; ++k) panel[static_cast<size_t>(k) * 16 + lane] = src[k];
        } else {
          for (int k = 0; k < K; ++k) panel[static_cast<size_t>(k) * 16 + lane] = 0.f;
        }
      }
    } else {
      for (int k = 0; k < K; ++k) {
        float* out = panel + static_cast<size_t>(k) * 16;
        std::memcpy(out, B + static_cast<size_t>(k) * ldb + n0, sizeof(float) * width);
        if (width < 16) std::memset(out + width, 0, sizeof(float) * (16 - width));
      }
    }
  }
}

void transpose(int rows, int cols, const float* src, size_t lds, float* dst, size_t ldd) {
  // Tiles of 16 x 16 through a local buffer: each source row piece is read once and each
  // destination row piece written as 16 contiguous floats.
  constexpr int kT = 16;
  alignas(64) float tile[kT * kT];
  for (int r0 = 0; r0 < rows; r0 += kT) {
    const int nr = std::min(kT, rows - r0);
    for (int cb = 0; cb < cols; cb += kT) {
      const int nc = std::min(cols, cb + kT) - cb;
      for (int i = 0; i < nr; ++i) {
        const float* s = src + static_cast<size_t>(r0 + i) * lds + cb;
        for (int j = 0; j < nc; ++j) tile[j * kT + i] = s[j];
      }
      for (int j = 0; j < nc; ++j) std::memcpy(dst + static_cast<size_t>(cb + j) * ldd + r0, tile + j * kT, sizeof(float) * nr);
    }
  }
}

void gemm_panels_part(const KernelTable& kt, int M, int N, int K, float alpha, const float* A, size_t lda, bool trans_a,
                      const float* panels, size_t pstride, size_t kstride, float beta, float* C, size_t ldc, int tid,
                      int nt) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0) {  // an empty sum: only the beta * C term
    int r0, r1;
    split_range(M, nt, tid, r0, r1);
    for (int r = r0; r < r1; ++r)
      for (int j = 0; j < N; ++j) C[static_cast<size_t>(r) * ldc + j] = beta == 0.f ? 0.f : beta * C[static_cast<size_t>(r) * ldc + j];
    return;
  }
  const int ppt = tile_panels(kt);
  const int np = panel_count(N);
  const int col_tiles = (np + ppt - 1) / ppt, row_tiles = (M + kRowTile - 1) / kRowTile;
  int t0, t1;
  split_range(col_tiles * row_tiles, nt, tid, t0, t1);
  alignas(64) float tmp[kRowTile * kMaxTilePanels * 16];
  const float* pp[kMaxTilePanels];
  // This thread's tiles are a run of column-major tile indices: per column tile, a range of row
  // tiles. K blocks go outside the row tiles so that a block of panels serves every row tile.
  for (int t = t0; t < t1;) {
    const int ct = t / row_tiles, rt0 = t % row_tiles;
    const int rt1 = std::min(row_tiles, rt0 + (t1 - t));
    t += rt1 - rt0;
    const int p0 = ct * ppt, npc = std::min(ppt, np - p0);
    const int n0 = p0 * 16, width = std::min(npc * 16, N - n0);
    for (int k0 = 0; k0 < K; k0 += kDepth) {
      const int kc = std::min(kDepth, K - k0);
      // No scaling and whole panels inside C: the kernel writes the first block into C and adds
      // the others to it.
      const bool direct = alpha == 1.f && (beta == 0.f || k0 > 0) && width == npc * 16;
      for (int p = 0; p < npc; ++p) pp[p] = panels + static_cast<size_t>(p0 + p) * pstride + static_cast<size_t>(k0) * kstride;
      for (int rt = rt0; rt < rt1; ++rt) {
        const int r0 = rt * kRowTile, mr = std::min(kRowTile, M - r0);
        const float* a = trans_a ? A + static_cast<size_t>(k0) * lda + r0 : A + static_cast<size_t>(r0) * lda + k0;
        float* c = C + static_cast<size_t>(r0) * ldc + n0;
        if (direct) {
          kt.gemm_ex(kc, a, lda, trans_a, mr, pp, kstride, npc, c, ldc, k0 > 0);
          continue;
        }
        const size_t ldt = static_cast<size_t>(npc) * 16;
        kt.gemm_ex(kc, a, lda, trans_a, mr, pp, kstride, npc, tmp, ldt, false);
        for (int i = 0; i < mr; ++i) {
          float* ci = c + static_cast<size_t>(i) * ldc;
          const float* ti = tmp + i * ldt;
          if (k0 > 0) {
            for (int j = 0; j < width; ++j) ci[j] += alpha * ti[j];
          } else if (beta == 0.f) {
            for (int j = 0; j < width; ++j) ci[j] = alpha * ti[j];
          } else {
            for (int j = 0; j < width; ++j) ci[j] = alpha * ti[j] + beta * ci[j];
          }
        }
      }
    }
  }
}

void gemm_panels(const KernelTable& kt, int M, int N, int K, float alpha, const float* A, size_t lda, bool trans_a,
                 const float* panels, size_t pstride, size_t kstride, float beta, float* C, size_t ldc, int threads) {
  const int n = threads_for(static_cast<double>(M) * N * std::max(K, 1), threads);
  auto part = [&](int tid, int nt) {
    gemm_panels_part(kt, M, N, K, alpha, A, lda, trans_a, panels, pstride, kstride, beta, C, ldc, tid, nt);
  };
  if (n == 1) {
    part(0, 1);
  } else {
    parallel_run(n, part);
  }
}

void sgemm(bool transA, bool transB, int M, int N, int K, float alpha, const float* A, size_t lda, const float* B,
           size_t ldb, float beta, float* C, size_t ldc, int threads) {
  if (M <= 0 || N <= 0) return;
  const KernelTable& kt = active_kernels();
  const int kk = std::max(K, 0);
  AlignedBuffer packed = aligned_floats_uninit(std::max<size_t>(1, panel_count(N) * panel_floats(kk)));
  const int n = threads_for(static_cast<double>(M) * N * std::max(kk, 1), threads);
  auto pack = [&](int tid, int nt) { pack_panels_part(transB, kk, N, B, ldb, packed.get(), tid, nt); };
  if (n == 1) {
    pack(0, 1);
  } else {
    parallel_run(n, pack);
  }
  gemm_panels(kt, M, N, kk, alpha, A, lda, transA, packed.get(), panel_floats(kk), kPanel, beta, C, ldc, n);
}

}  // namespace gatedrnn
