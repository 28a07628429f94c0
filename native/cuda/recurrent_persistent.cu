// The recurrence of a small batch as one persistent, cooperative kernel. Launching a kernel per
// step costs a few microseconds, as long as the step itself at batch 1, and reloads R from L2 each
// time. Here every block owns a slice of hidden units (of one direction; a bidirectional op gives
// each direction half the grid, so both run concurrently), loads the G·units rows of R for them
// into shared memory once, and walks all timesteps: stage h, one warp per dot product against
// the resident rows, the fused update of its units, one grid-wide sync. GRU with
// linear_before_reset = 0 needs a second sync per step, since the candidate's product takes r ⊙ h
// of every unit.
#include <algorithm>
#include <mutex>

#include "kernels.h"

namespace gatedrnn {
namespace cuda {
namespace {

// The kernel works for any multiple of 32; the CPU emulation, whose threads are OS threads, uses fewer.
constexpr int kThreads = GATEDRNN_CUDA_EMULATE ? 64 : 256;
// Batches above this take the per-step GEMMs, whose tiles reuse each R value across the batch;
// unmeasured: to revisit on a GPU.
constexpr int kMaxBatch = 64;
// The planner aims for about this many hidden units per block, so that a block has a few dot
// products per warp and the grid stays small enough for a cheap grid sync.
constexpr int kTargetUnits = 8;

// acc[(b * G + g) * units + j] = R[g rows of unit j] · v[b], for gates g in [g_lo, g_hi).
__device__ __forceinline__ void block_matvec(const float* Rs, const float* vs, float* acc, int g_lo, int g_hi, int nu,
                                             int units, int G, int H, int B) {
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32, warps = blockDim.x / 32;
  const int ng = g_hi - g_lo, items = B * ng * nu;
  for (int it = warp; it < items; it += warps) {  // uniform per warp: every lane reaches warp_sum
    const int b = it / (ng * nu), g = g_lo + (it / nu) % ng, j = it % nu;
    const float* row = Rs + (static_cast<size_t>(g) * units + j) * H;
    const float* v = vs + static_cast<size_t>(b) * H;
    float sum = 0.f;
    for (int k = lane; k < H; k += 32) sum = fmaf(row[k], v[k], sum);
    sum = warp_sum(sum);
    if (lane == 0) acc[(b * G + g) * units + j] = sum;
  }
}

// Copies n floats that other blocks wrote into shared memory.
__device__ __forceinline__ void stage(float* dst, const float* src, int n) {
  for (int i = threadIdx.x; i < n; i += blockDim.x) dst[i] = load_cg(src + i);
}

__global__ void __launch_bounds__(kThreads)
    rnn_recurrent_persistent_f32(CellParams p, const float* __restrict__ R, float* h, float* rh, int steps, int units,
                                 int blocks_per_dir) {
  const int G = p.G, H = p.H, B = p.B, D = p.D;
  const int d = blockIdx.x / blocks_per_dir;
  const int u0 = (blockIdx.x % blocks_per_dir) * units;
  const int nu = imin(units, H - u0);
  float* Rs = dynamic_smem();                           // [G][units][H]
  float* vs = Rs + static_cast<size_t>(G) * units * H;  // [B][H]: h, or r ⊙ h in a GRU's second phase
  float* acc = vs + static_cast<size_t>(B) * H;         // [B][G][units]

  const float* Rd = R + static_cast<size_t>(d) * G * H * H;
  for (int i = threadIdx.x; i < G * nu * H; i += blockDim.x) {
    const int g = i / (nu * H), j = (i / H) % nu, k = i % H;
    Rs[(static_cast<size_t>(g) * units + j) * H + k] = Rd[(static_cast<size_t>(g) * H + u0 + j) * H + k];
  }

  const bool two_phase = !p.lstm && !p.lbr;
  for (int s = 0; s < steps; ++s) {
    const float* hp = h + (static_cast<size_t>(s & 1) * D + d) * B * H;
    float* hn = h + (static_cast<size_t>((s & 1) ^ 1) * D + d) * B * H;
    stage(vs, hp, B * H);
    __syncthreads();
    block_matvec(Rs, vs, acc, 0, two_phase ? 2 : G, nu, units, G, H, B);
    __syncthreads();
    if (two_phase) {
      float* rhd = rh + static_cast<size_t>(d) * B * H;
      for (int i = threadIdx.x; i < B * nu; i += blockDim.x) {
        const int b = i / nu, j = i % nu, u = u0 + j;
        rhd[b * H + u] = gru_reset_hidden(p, d, b, u, s, acc[(b * G + 1) * units + j], vs[b * H + u]);
      }
      grid_sync();
      stage(vs, rhd, B * H);
      __syncthreads();
      block_matvec(Rs, vs, acc, 2, 3, nu, units, G, H, B);
      __syncthreads();
    }
    for (int i = threadIdx.x; i < B * nu; i += blockDim.x) {
      const int b = i / nu, j = i % nu, u = u0 + j;
      const float h_prev = two_phase ? load_cg(hp + b * H + u) : vs[b * H + u];
      hn[b * H + u] = unit_update(p, d, b, u, s, acc + b * G * units + j, units, h_prev);
    }
    grid_sync();
  }
}

size_t smem_floats(int G, int H, int B, int units) {
  return static_cast<size_t>(G) * units * H + static_cast<size_t>(B) * H + static_cast<size_t>(B) * G * units;
}

}  // namespace

PersistentPlan plan_persistent(const DeviceLimits& dev, int G, int H, int B, int D) {
  PersistentPlan plan;
  if (!dev.cooperative) {
    plan.why_not = "the GPU does not support cooperative launches";
    return plan;
  }
  if (B > kMaxBatch) {
    plan.why_not = "batch " + std::to_string(B) + " is above " + std::to_string(kMaxBatch);
    return plan;
  }
  // The most units whose rows of R fit beside h and the accumulators.
  const size_t budget = dev.smem_per_block / sizeof(float);
  const size_t fixed = smem_floats(G, H, B, 0), per_unit = static_cast<size_t>(G) * H + static_cast<size_t>(B) * G;
  const int max_units = budget > fixed ? static_cast<int>(std::min<size_t>((budget - fixed) / per_unit, H)) : 0;
  if (max_units < 1) {
    plan.why_not = "one hidden unit's rows of R and the batch's h need more than the " +
                   std::to_string(dev.smem_per_block) + " bytes of shared memory a block may have";
    return plan;
  }
  // Every block must be resident at once.
  static std::once_flag opt_in;
  std::call_once(opt_in, [&] {
    GDR_CUDA_CHECK(cudaFuncSetAttribute(rnn_recurrent_persistent_f32, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                        dev.smem_per_block));
  });
  const int fewest_blocks = (H + max_units - 1) / max_units;
  int blocks = std::max(fewest_blocks, (H + kTargetUnits - 1) / kTargetUnits);
  int per_sm = 0;
  const int units_at_fewest = (H + fewest_blocks - 1) / fewest_blocks;
  GDR_CUDA_CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, rnn_recurrent_persistent_f32, kThreads,
                                                              smem_floats(G, H, B, units_at_fewest) * sizeof(float)));
  const int resident = per_sm * dev.multiprocessors / D;  // per direction
  if (fewest_blocks > resident) {
    plan.why_not = std::to_string(D * fewest_blocks) + " blocks of " + std::to_string(units_at_fewest) +
                   " units would be needed, but only " + std::to_string(per_sm * dev.multiprocessors) +
                   " can be resident at once";
    return plan;
  }
  blocks = std::min(blocks, resident);
  plan.units = (H + blocks - 1) / blocks;
  plan.blocks_per_dir = (H + plan.units - 1) / plan.units;
  plan.smem_bytes = smem_floats(G, H, B, plan.units) * sizeof(float);
  plan.fits = true;
  return plan;
}

void run_recurrent_persistent(cudaStream_t stream, const PersistentPlan& plan, const CellParams& p, const float* R,
                              float* h, float* rh, int steps) {
  if (steps <= 0) return;
  launch_cooperative("rnn_recurrent_persistent_f32", rnn_recurrent_persistent_f32,
                     dim3(static_cast<unsigned>(plan.blocks_per_dir * p.D)), dim3(kThreads), plan.smem_bytes, stream, p,
                     R, h, rh, steps, plan.units, plan.blocks_per_dir);
}

}  // namespace cuda
}  // namespace gatedrnn
