// What every file in native/cuda includes instead of the CUDA headers: the runtime (or, with
// GATEDRNN_CUDA_EMULATE, its CPU stand-in in emulate.h), checked calls that throw, and the few
// device helpers whose spelling differs between the two (launches, grid sync, shared memory).
#pragma once

#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>

#ifndef GATEDRNN_CUDA_EMULATE
#define GATEDRNN_CUDA_EMULATE 0
#endif

#if GATEDRNN_CUDA_EMULATE
#include "emulate.h"
#else
#include <cooperative_groups.h>
#include <cuda_runtime.h>
#endif

namespace gatedrnn {
namespace cuda {

// A failed CUDA call. The message names the call and carries the runtime's own words.
class CudaError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

inline void check(cudaError_t err, const char* what) {
  if (err == cudaSuccess) return;
  throw CudaError(std::string("CUDA: ") + what + " failed: " + cudaGetErrorString(err) + " (" +
                  cudaGetErrorName(err) + ")");
}

// Checks a runtime call, naming it in the error: GDR_CUDA_CHECK(cudaMalloc(&p, n)).
#define GDR_CUDA_CHECK(call) ::gatedrnn::cuda::check((call), #call)

// kernel<<<grid, block, smem, stream>>>(args...), then the launch error, if any, as an exception.
template <typename... Params, typename... Args>
void launch(const char* name, void (*kernel)(Params...), dim3 grid, dim3 block, size_t smem, cudaStream_t stream,
            Args&&... args) {
#if GATEDRNN_CUDA_EMULATE
  emulate::run(grid, block, smem, false, [&] { kernel(args...); });
#else
  kernel<<<grid, block, smem, stream>>>(std::forward<Args>(args)...);
#endif
  check(cudaGetLastError(), name);
}

// The same as a cooperative launch: every block resident at once, so grid_sync() may be called.
// The caller must have checked that the grid fits (cudaOccupancyMaxActiveBlocksPerMultiprocessor).
template <typename... Params, typename... Args>
void launch_cooperative(const char* name, void (*kernel)(Params...), dim3 grid, dim3 block, size_t smem,
                        cudaStream_t stream, Args&&... args) {
#if GATEDRNN_CUDA_EMULATE
  emulate::run(grid, block, smem, true, [&] { kernel(args...); });
  check(cudaGetLastError(), name);
#else
  // cudaLaunchCooperativeKernel takes the address of each argument, converted to the parameter type.
  std::tuple<Params...> values(std::forward<Args>(args)...);
  std::apply(
      [&](auto&... v) {
        void* ptrs[] = {static_cast<void*>(&v)...};
        check(cudaLaunchCooperativeKernel(kernel, grid, block, ptrs, smem, stream), name);
      },
      values);
#endif
}

// Device-side helpers.
#if GATEDRNN_CUDA_EMULATE
inline float* dynamic_smem() { return emulate::block_smem(); }
inline void grid_sync() { emulate::grid_sync(); }
inline float load_cg(const float* p) { return *p; }
#else
__device__ __forceinline__ float* dynamic_smem() {
  extern __shared__ float4 gdr_dynamic_smem[];  // float4: 16-byte aligned
  return reinterpret_cast<float*>(gdr_dynamic_smem);
}
__device__ __forceinline__ void grid_sync() { cooperative_groups::this_grid().sync(); }
// Data other blocks wrote since the last grid sync: read through L2, never a stale L1 line.
__device__ __forceinline__ float load_cg(const float* p) { return __ldcg(p); }
#endif

// Sum over the 32 lanes of a warp; every lane gets it. All lanes must call it.
__device__ __forceinline__ float warp_sum(float v) {
  for (int offset = 16; offset > 0; offset >>= 1) v += __shfl_xor_sync(0xffffffffu, v, offset);
  return v;
}

}  // namespace cuda
}  // namespace gatedrnn
