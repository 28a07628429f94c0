// A CPU stand-in for the part of CUDA that native/cuda uses, so that its kernels and host code
// run, unchanged, on machines without a GPU (cmake -DGATEDRNN_CUDA_EMULATE=ON compiles the .cu
// files as C++ with this header). Every CUDA thread is an OS thread; __syncthreads, warp
// shuffles and grid syncs are barriers. It is slow and exists only to test the CUDA code's
// indexing, synchronization structure and results against the reference; it says nothing about
// speed, and races that a real GPU would expose may stay hidden.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(...)

struct dim3 {
  unsigned x, y, z;
  constexpr dim3(unsigned x_ = 1, unsigned y_ = 1, unsigned z_ = 1) : x(x_), y(y_), z(z_) {}
};

enum cudaError_t {
  cudaSuccess = 0,
  cudaErrorInvalidValue = 1,
  cudaErrorMemoryAllocation = 2,
  cudaErrorCooperativeLaunchTooLarge = 720,
};

inline const char* cudaGetErrorName(cudaError_t e) {
  switch (e) {
    case cudaSuccess: return "cudaSuccess";
    case cudaErrorInvalidValue: return "cudaErrorInvalidValue";
    case cudaErrorMemoryAllocation: return "cudaErrorMemoryAllocation";
    case cudaErrorCooperativeLaunchTooLarge: return "cudaErrorCooperativeLaunchTooLarge";
  }
  return "cudaErrorUnknown";
}
inline const char* cudaGetErrorString(cudaError_t e) {
  switch (e) {
    case cudaSuccess: return "no error";
    case cudaErrorInvalidValue: return "invalid argument";
    case cudaErrorMemoryAllocation: return "out of memory";
    case cudaErrorCooperativeLaunchTooLarge: return "too many blocks in cooperative launch";
  }
  return "unknown error";
}
inline cudaError_t cudaGetLastError() { return cudaSuccess; }

// Streams: everything runs synchronously, in call order.
struct gdr_emulated_stream;
using cudaStream_t = gdr_emulated_stream*;
constexpr unsigned cudaStreamNonBlocking = 1;
inline cudaError_t cudaStreamCreateWithFlags(cudaStream_t* s, unsigned) {
  *s = nullptr;
  return cudaSuccess;
}
inline cudaError_t cudaStreamDestroy(cudaStream_t) { return cudaSuccess; }
inline cudaError_t cudaStreamSynchronize(cudaStream_t) { return cudaSuccess; }

// Device memory is host memory.
enum cudaMemcpyKind { cudaMemcpyHostToHost, cudaMemcpyHostToDevice, cudaMemcpyDeviceToHost, cudaMemcpyDeviceToDevice };
inline cudaError_t cudaMalloc(void** p, size_t n) {
  *p = std::malloc(n ? n : 1);
  return *p ? cudaSuccess : cudaErrorMemoryAllocation;
}
inline cudaError_t cudaFree(void* p) {
  std::free(p);
  return cudaSuccess;
}
inline cudaError_t cudaMallocAsync(void** p, size_t n, cudaStream_t) { return cudaMalloc(p, n); }
inline cudaError_t cudaFreeAsync(void* p, cudaStream_t) { return cudaFree(p); }
inline cudaError_t cudaMemcpy(void* dst, const void* src, size_t n, cudaMemcpyKind) {
  if (n) std::memcpy(dst, src, n);
  return cudaSuccess;
}
inline cudaError_t cudaMemcpyAsync(void* dst, const void* src, size_t n, cudaMemcpyKind k, cudaStream_t) {
  return cudaMemcpy(dst, src, n, k);
}
inline cudaError_t cudaMemsetAsync(void* p, int value, size_t n, cudaStream_t) {
  if (n) std::memset(p, value, n);
  return cudaSuccess;
}

// The stream-ordered allocator's pool: nothing to configure.
using cudaMemPool_t = void*;
enum cudaMemPoolAttr { cudaMemPoolAttrReleaseThreshold };
inline cudaError_t cudaDeviceGetDefaultMemPool(cudaMemPool_t* pool, int) {
  *pool = nullptr;
  return cudaSuccess;
}
inline cudaError_t cudaMemPoolSetAttribute(cudaMemPool_t, cudaMemPoolAttr, void*) { return cudaSuccess; }

// One small pretend device: few multiprocessors and 64 KiB of shared memory per block, so that
// small test sizes take the persistent kernel and larger ones the per-step fallback.
namespace gatedrnn {
namespace cuda {
namespace emulate {
constexpr int kMultiprocessors = 8;
constexpr int kSharedMemoryPerBlock = 64 * 1024;
}  // namespace emulate
}  // namespace cuda
}  // namespace gatedrnn

enum cudaDeviceAttr {
  cudaDevAttrMultiProcessorCount,
  cudaDevAttrMaxSharedMemoryPerBlockOptin,
  cudaDevAttrCooperativeLaunch,
  cudaDevAttrComputeCapabilityMajor,
  cudaDevAttrComputeCapabilityMinor,
};
inline cudaError_t cudaGetDeviceCount(int* n) {
  *n = 1;
  return cudaSuccess;
}
inline cudaError_t cudaSetDevice(int d) { return d == 0 ? cudaSuccess : cudaErrorInvalidValue; }
inline cudaError_t cudaDeviceGetAttribute(int* v, cudaDeviceAttr a, int) {
  using namespace gatedrnn::cuda::emulate;
  switch (a) {
    case cudaDevAttrMultiProcessorCount: *v = kMultiprocessors; break;
    case cudaDevAttrMaxSharedMemoryPerBlockOptin: *v = kSharedMemoryPerBlock; break;
    case cudaDevAttrCooperativeLaunch: *v = 1; break;
    case cudaDevAttrComputeCapabilityMajor: *v = 0; break;
    case cudaDevAttrComputeCapabilityMinor: *v = 0; break;
  }
  return cudaSuccess;
}
struct cudaDeviceProp {
  char name[256];
};
inline cudaError_t cudaGetDeviceProperties(cudaDeviceProp* p, int) {
  std::strcpy(p->name, "CPU emulation of the CUDA kernels (GATEDRNN_CUDA_EMULATE)");
  return cudaSuccess;
}
enum cudaFuncAttribute { cudaFuncAttributeMaxDynamicSharedMemorySize };
template <typename F>
cudaError_t cudaFuncSetAttribute(F*, cudaFuncAttribute, int) {
  return cudaSuccess;
}
// One block per multiprocessor when its shared memory fits.
template <typename F>
cudaError_t cudaOccupancyMaxActiveBlocksPerMultiprocessor(int* n, F*, int, size_t smem) {
  *n = smem <= static_cast<size_t>(gatedrnn::cuda::emulate::kSharedMemoryPerBlock) ? 1 : 0;
  return cudaSuccess;
}

namespace gatedrnn {
namespace cuda {
namespace emulate {

class Barrier {
 public:
  explicit Barrier(int n) : n_(n) {}
  void wait() {
    std::unique_lock<std::mutex> lock(mu_);
    const unsigned long generation = generation_;
    if (++arrived_ == n_) {
      arrived_ = 0;
      ++generation_;
      cv_.notify_all();
    } else {
      cv_.wait(lock, [&] { return generation != generation_; });
    }
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int n_;
  int arrived_ = 0;
  unsigned long generation_ = 0;
};

// What the threads of one block share: its barrier, shared memory and warp exchange slots.
struct Block {
  Block(int threads, size_t smem_bytes) : barrier(threads), smem((smem_bytes + sizeof(float) - 1) / sizeof(float)), lanes(threads) {
    for (int w = 0; w < (threads + 31) / 32; ++w) warp_barriers.push_back(std::make_unique<Barrier>(32));
  }
  Barrier barrier;
  std::vector<float> smem;
  std::vector<float> lanes;
  std::vector<std::unique_ptr<Barrier>> warp_barriers;
};

struct ThreadState {
  dim3 thread_idx, block_idx, block_dim, grid_dim;
  Block* block = nullptr;
  Barrier* grid = nullptr;
};
inline thread_local ThreadState self;

inline dim3 unflatten(unsigned i, dim3 d) { return dim3(i % d.x, (i / d.x) % d.y, i / (d.x * d.y)); }

// Runs body() as every thread of the grid. Cooperative: all blocks at once (grid_sync works);
// otherwise one block after another, by the same block-sized set of threads.
inline void run(dim3 grid, dim3 block, size_t smem, bool cooperative, const std::function<void()>& body) {
  const unsigned threads = block.x * block.y * block.z, blocks = grid.x * grid.y * grid.z;
  const unsigned groups = cooperative ? blocks : 1;  // blocks alive at a time
  std::vector<std::unique_ptr<Block>> state;
  for (unsigned g = 0; g < groups; ++g) state.push_back(std::make_unique<Block>(threads, smem));
  Barrier grid_barrier(static_cast<int>(threads * groups));
  std::vector<std::thread> pool;
  for (unsigned g = 0; g < groups; ++g) {
    for (unsigned t = 0; t < threads; ++t) {
      pool.emplace_back([&, g, t] {
        for (unsigned b = g; b < blocks; b += groups) {
          self = ThreadState{unflatten(t, block), unflatten(b, grid), block, grid, state[g].get(), &grid_barrier};
          body();
          state[g]->barrier.wait();  // the next block reuses this shared memory
        }
      });
    }
  }
  for (auto& th : pool) th.join();
}

inline float* block_smem() { return self.block->smem.data(); }
inline void grid_sync() { self.grid->wait(); }
inline unsigned flat_thread() {
  return self.thread_idx.x + self.block_dim.x * (self.thread_idx.y + self.block_dim.y * self.thread_idx.z);
}

}  // namespace emulate
}  // namespace cuda
}  // namespace gatedrnn

#define threadIdx (::gatedrnn::cuda::emulate::self.thread_idx)
#define blockIdx (::gatedrnn::cuda::emulate::self.block_idx)
#define blockDim (::gatedrnn::cuda::emulate::self.block_dim)
#define gridDim (::gatedrnn::cuda::emulate::self.grid_dim)

inline void __syncthreads() { gatedrnn::cuda::emulate::self.block->barrier.wait(); }

// Lane i gets lane (i ^ mask)'s value; all 32 lanes of the warp take part, as on the GPU.
inline float __shfl_xor_sync(unsigned, float v, int mask) {
  using namespace gatedrnn::cuda::emulate;
  const unsigned t = flat_thread(), lane = t % 32, base = t - lane;
  Block& b = *self.block;
  Barrier& warp = *b.warp_barriers[t / 32];
  b.lanes[t] = v;
  warp.wait();
  const float other = b.lanes[base + (lane ^ static_cast<unsigned>(mask))];
  warp.wait();
  return other;
}
