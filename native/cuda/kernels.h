// The launchers of native/cuda's kernels, as the host code (cuda_rnn.cu) calls them. Each
// enqueues its work on `stream` and throws CudaError when a launch fails.
#pragma once

#include <cstddef>
#include <string>

#include "cell_math.cuh"
#include "runtime.h"

namespace gatedrnn {
namespace cuda {

// C[m][n] = bias[n] + Σk A[m][k]·B[n][k] for m < M, n < N (A and B both K-contiguous, row-major),
// `batch` times over blockIdx.z with the given element strides. bias may be null. fp32 throughout.
void sgemm_nt_f32(cudaStream_t stream, int M, int N, int K, const float* A, size_t lda, size_t stride_a, const float* B,
                  size_t ldb, size_t stride_b, const float* bias, float* C, size_t ldc, size_t stride_c, int batch);

// The input projection of every timestep: XG[M][N] = X[M][K]·Wᵀ + bias, W [N][K]. cuBLAS when the
// build found it, else sgemm_nt_f32.
void input_projection(cudaStream_t stream, int M, int N, int K, const float* X, const float* W, const float* bias,
                      float* XG);

// What the planner needs to know of the GPU.
struct DeviceLimits {
  int multiprocessors = 0;
  int smem_per_block = 0;  // bytes a block may opt in to
  bool cooperative = false;
};

// How the persistent kernel would split the hidden units, or why it cannot run.
struct PersistentPlan {
  bool fits = false;
  std::string why_not;
  int units = 0;           // hidden units per block (all G gates of each)
  int blocks_per_dir = 0;  // ceil(H / units); the grid is D times that
  size_t smem_bytes = 0;
};

PersistentPlan plan_persistent(const DeviceLimits& dev, int G, int H, int B, int D);

// All `steps` steps in one cooperative launch: each block keeps its slice of R in shared memory
// and the grid meets once per step (twice for GRU with linear_before_reset = 0).
// h: [2][D][B][H] ping-pong, h[0] holding the initial state; rh: [D][B][H] (GRU lbr = 0).
void run_recurrent_persistent(cudaStream_t stream, const PersistentPlan& plan, const CellParams& p, const float* R,
                              float* h, float* rh, int steps);

// The fallback: per step, the recurrent GEMM (sgemm_nt_f32) and the fused update, one launch each.
// hr: [D][B][G*H] scratch; the other buffers as for the persistent kernel.
void run_recurrent_steps(cudaStream_t stream, const CellParams& p, const float* R, float* h, float* rh, float* hr,
                         int steps);

}  // namespace cuda
}  // namespace gatedrnn
