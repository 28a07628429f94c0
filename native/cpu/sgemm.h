// A general row-major SGEMM over the packed-panel micro-kernels of the kernel table (kernels.h),
// for training: C = alpha * op(A) * op(B) + beta * C. op(B) is copied into kPanel-wide panels (the
// layout every micro-kernel reads); the micro-kernel reads A as it lies, transposed or not. The
// product runs in tiles of rows x panels, K in blocks that keep a tile's panels in L2, threads
// over tiles.
#pragma once

#include <cstddef>

namespace gatedrnn {

struct KernelTable;

// Panels needed for N columns, and the floats one panel of K rows holds.
inline int panel_count(int N) { return (N + 15) / 16; }
inline size_t panel_floats(int K) { return static_cast<size_t>(K) * 16; }

// Copies op(B), K x N (B is [K, N] with row stride ldb, or [N, K] when trans), into
// panel_count(N) panels at dst + p * panel_floats(K): element (k, n) at [k * 16 + n % 16] of panel
// n / 16; lanes past N are zero. dst must be 64-byte aligned. Part `tid` of `nt` (split by panels).
void pack_panels_part(bool trans, int K, int N, const float* B, size_t ldb, float* dst, int tid, int nt);

// dst[c * ldd + r] = src[r * lds + c] for r < rows, c < cols.
void transpose(int rows, int cols, const float* src, size_t lds, float* dst, size_t ldd);

// C[M, N] = alpha * op(A) * P + beta * C, where A is row-major [M, K] (row stride lda), or [K, M]
// when trans_a and op(A) = Aᵀ, and P the K x N matrix held as panels of 16 columns: row k of panel
// p at panels + p * pstride + k * kstride, 64-byte aligned (packed panels: pstride =
// panel_floats(K), kstride = 16; a row-major matrix with 16-aligned rows: pstride = 16, kstride =
// its row stride). beta == 0 ignores what C held (NaN included). Part `tid` of `nt`: the threads
// split the tiles.
void gemm_panels_part(const KernelTable& kt, int M, int N, int K, float alpha, const float* A, size_t lda, bool trans_a,
                      const float* panels, size_t pstride, size_t kstride, float beta, float* C, size_t ldc, int tid,
                      int nt);

// The same on `threads` threads of the pool (<= 0: the default).
void gemm_panels(const KernelTable& kt, int M, int N, int K, float alpha, const float* A, size_t lda, bool trans_a,
                 const float* panels, size_t pstride, size_t kstride, float beta, float* C, size_t ldc, int threads);

// Row-major C[M, N] = alpha * op(A) * op(B) + beta * C; op(X) = Xᵀ when trans*. A is [M, K] (or
// [K, M] when transA), B is [K, N] (or [N, K] when transB). Throws std::bad_alloc when the packing
// buffers cannot be had.
void sgemm(bool transA, bool transB, int M, int N, int K, float alpha, const float* A, size_t lda, const float* B,
           size_t ldb, float beta, float* C, size_t ldc, int threads);

}  // namespace gatedrnn
