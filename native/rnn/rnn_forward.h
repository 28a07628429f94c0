// The fast forward pass: weights packed once into panels, then per call, chunk by chunk of
// timesteps, the input projection X·Wᵀ as one GEMM and, per step, one recurrent GEMM whose
// output goes straight into the fused gate epilogue.
#pragma once

#include <cstddef>
#include <mutex>

#include "../common/aligned.h"
#include "../common/spec.h"

namespace gatedrnn {

struct KernelTable;
class ForwardPass;

// Whether a small recurrence step runs faster on one thread or split across threads. The cost of
// handing a step's state between cores depends on where the OS (in a VM, the host) puts the
// threads, and it changes while a process runs: on this project's 2-vCPU machine the round trip
// between the cores went from 0.1 to 0.4 µs from one minute to the next, which took a 1000x1x64
// GRU from 0.65 ms on two threads to 1.47 ms (one thread: 0.92 ms). So both ways are timed now
// and then, per size of step, and the faster one is used. Thread-safe.
class ThreadChoice {
 public:
  static constexpr int kBuckets = 24;  // by log2 of a step's multiply-adds
  struct Pick {
    bool single;  // run the recurrence on one thread
    bool timed;   // report the call's time with record()
  };
  // How the next call in `bucket` should run.
  Pick pick(int bucket);
  // What a call took, per timestep.
  void record(int bucket, bool single, double ns_per_step);

 private:
  // Calls that try each way before choosing, and how often the way not chosen is tried again:
  // twice in a row, timing the second only, since the first may have to wake the pool's
  // sleeping threads and refill the caches.
  static constexpr unsigned kExplore = 6, kRetryEvery = 64;
  struct Way {  // the last three times per step of one way
    double ns[3] = {0, 0, 0};
    int next = 0, count = 0;
    double estimate() const;
  };
  struct Bucket {
    unsigned calls = 0;
    Way way[2];  // split, single
  };
  std::mutex mu_;
  Bucket buckets_[kBuckets];
};

class PackedRnn {
 public:
  // Copies what it needs from the raw ONNX weights; they may be freed afterwards.
  PackedRnn(const RnnSpec& spec, const RnnWeights& weights);

  const RnnSpec& spec() const { return spec_; }
  // Bytes held by the packed weights and biases.
  size_t packed_bytes() const { return packed_bytes_; }

  // Thread-safe: several calls may run at once on one PackedRnn. threads <= 0: the default.
  void forward(const RnnInputs& in, const RnnOutputs& out, int threads) const;

 private:
  friend class ForwardPass;  // one call of forward (rnn_forward.cc)

  // Panel of gate g of hidden block blk in direction d, of W (K = I) or R (K = H), fp32 or bf16
  // as the spec says. Panels are stored block-major: the gates of one block are adjacent.
  const void* w_panel(int d, int blk, int g) const;
  const void* r_panel(int d, int blk, int g) const;
  // The packed-panel GEMM of the weights' precision (kernels.h: GemmFn, GemmBf16Fn).
  // kstride: floats between consecutive k of an fp32 panel (kernels.h); bf16 panels are not interleaved.
  void gemm(const KernelTable& kt, int K, const float* A, size_t lda, int mr, const void* const* panels, size_t kstride,
            int np, float* C, size_t ldc) const;

  RnnSpec spec_;
  int blocks_ = 0;       // ceil(H / kPanel)
  int hp_ = 0;           // blocks_ * kPanel: the padded hidden size every buffer uses
  size_t w_panel_bytes_ = 0, r_panel_bytes_ = 0;
  AlignedBuffer storage_;  // everything below, in one block (aligned_floats_long_lived)
  float* w_packed_ = nullptr;  // fp32 panels, or bf16 panels stored in float-sized words
  float* r_packed_ = nullptr;
  float* bias_ = nullptr;  // [D][block][G][kPanel]: Wb + Rb (reset-after GRU's h gate: Wb only)
  float* rbh_ = nullptr;   // [D][hp]: reset-after GRU's Rb of the h gate
  float* peep_ = nullptr;  // [D][block][i o f][kPanel], or null
  size_t packed_bytes_ = 0;

  mutable WorkspacePool workspaces_;  // concurrent calls get their own buffer
  mutable ThreadChoice thread_choice_;
};

}  // namespace gatedrnn
