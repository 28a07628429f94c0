// The recurrence as a kernel launch or two per step, for what the persistent kernel cannot hold
// (R too large for the grid's shared memory, large batches, GPUs without cooperative launch):
// hr = h·Rᵀ for both directions in one batched GEMM, then the fused update of every unit.
// GRU with linear_before_reset = 0 splits the step: z and r first, then r ⊙ h, then the
// candidate's product, then the update.
#include "kernels.h"

namespace gatedrnn {
namespace cuda {
namespace {

constexpr int kThreads = 256;

// rh[d][b][u] = r ⊙ h_prev, from the r gate's product in hr.
__global__ void __launch_bounds__(kThreads)
    gru_reset_hidden_step_f32(CellParams p, const float* __restrict__ h_prev, const float* __restrict__ hr,
                              float* __restrict__ rh, int step) {
  const size_t i = static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  const size_t n = static_cast<size_t>(p.D) * p.B * p.H;
  if (i >= n) return;
  const int u = static_cast<int>(i % p.H), db = static_cast<int>(i / p.H), b = db % p.B, d = db / p.B;
  rh[i] = gru_reset_hidden(p, d, b, u, step, hr[static_cast<size_t>(db) * p.G * p.H + p.H + u], h_prev[i]);
}

// h_next[d][b][u] from h_prev and the gates' products hr[d][b][g * H + u].
__global__ void __launch_bounds__(kThreads)
    rnn_unit_update_step_f32(CellParams p, const float* __restrict__ h_prev, const float* __restrict__ hr,
                             float* __restrict__ h_next, int step) {
  const size_t i = static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  const size_t n = static_cast<size_t>(p.D) * p.B * p.H;
  if (i >= n) return;
  const int u = static_cast<int>(i % p.H), db = static_cast<int>(i / p.H), b = db % p.B, d = db / p.B;
  h_next[i] = unit_update(p, d, b, u, step, hr + static_cast<size_t>(db) * p.G * p.H + u, p.H, h_prev[i]);
}

}  // namespace

void run_recurrent_steps(cudaStream_t stream, const CellParams& p, const float* R, float* h, float* rh, float* hr,
                         int steps) {
  const int G = p.G, H = p.H, B = p.B, D = p.D;
  const size_t units = static_cast<size_t>(D) * B * H;
  const dim3 grid(static_cast<unsigned>((units + kThreads - 1) / kThreads)), block(kThreads);
  const size_t state = static_cast<size_t>(B) * H, rows = static_cast<size_t>(G) * H;  // per-direction strides
  const bool two_phase = !p.lstm && !p.lbr;
  for (int s = 0; s < steps; ++s) {
    float* hp = h + (s & 1) * units;
    float* hn = h + ((s & 1) ^ 1) * units;
    // hr[d][b][0 : first_rows] = h_prev[d][b] · R[d][0 : first_rows]ᵀ
    const int first_rows = two_phase ? 2 * H : G * H;
    sgemm_nt_f32(stream, B, first_rows, H, hp, H, state, R, H, rows * H, nullptr, hr, rows, B * rows, D);
    if (two_phase) {
      launch("gru_reset_hidden_step_f32", gru_reset_hidden_step_f32, grid, block, 0, stream, p, hp, hr, rh, s);
      // hr[d][b][2H : 3H] = rh[d][b] · R[d][2H : 3H]ᵀ
      sgemm_nt_f32(stream, B, H, H, rh, H, state, R + 2 * static_cast<size_t>(H) * H, H, rows * H, nullptr,
                   hr + 2 * H, rows, B * rows, D);
    }
    launch("rnn_unit_update_step_f32", rnn_unit_update_step_f32, grid, block, 0, stream, p, hp, hr, hn, s);
  }
}

}  // namespace cuda
}  // namespace gatedrnn
