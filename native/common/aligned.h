// Buffers for the float arrays every layer uses: 64-byte aligned (whole cache lines, the SIMD
// kernels' loads), big ones mapped from the OS, and a small pool of scratch buffers reused across
// calls.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

namespace gatedrnn {

// Frees what aligned_floats allocated: `mapped` is the byte length of a buffer that came straight
// from the OS (0 for the C heap).
void release_floats(float* p, size_t mapped);
struct AlignedFree {
  size_t mapped = 0;
  void operator()(float* p) const { release_floats(p, mapped); }
};
using AlignedBuffer = std::unique_ptr<float[], AlignedFree>;
// 64-byte aligned, zero-filled; throws std::bad_alloc when the memory is not there. Buffers of
// 1 MiB and more are mapped from the OS and unmapped when freed, so the outputs of big calls go
// back to the system instead of staying in the C heap of a long-running server.
AlignedBuffer aligned_floats(size_t count);
// The same for memory that lives as long as an operator (its packed weights): always mapped from
// the OS (whole pages), and unmapped when freed. From the C heap, a freed block is split by the
// small objects that outlive it (a disposed operator's JS wrapper and its reference wait for their
// finalizer, which runs only when the event loop turns), the next operator's block no longer fits
// in what is left, and a loop that makes and disposes operators grows the heap by one block each
// time (300,000 at H = 64: RSS from 60 MiB to several GiB).
AlignedBuffer aligned_floats_long_lived(size_t count);
// The same without the zero fill, for buffers that are written in full before they are read.
AlignedBuffer aligned_floats_uninit(size_t count);

// Scratch memory reused across calls: a call takes a buffer (a kept one that is big enough, else
// a new one) and gives it back; the two largest are kept, enough for a couple of concurrent
// callers (or a training forward's and backward's) and bounded for a long-running server.
// Thread-safe.
class WorkspacePool {
 public:
  AlignedBuffer take(size_t floats, size_t& capacity);
  void give(AlignedBuffer buf, size_t capacity);

 private:
  std::mutex mu_;
  std::vector<std::pair<AlignedBuffer, size_t>> kept_;  // largest first
};

}  // namespace gatedrnn
