// The fast forward pass: weights packed once into panels, then per call one input GEMM for all
// timesteps and, per step, one recurrent GEMM whose output goes straight into the fused gate
// epilogue.
#pragma once

#include <cstdlib>
#include <memory>

#include "spec.h"

namespace gatedrnn {

struct AlignedFree {
  void operator()(float* p) const { std::free(p); }
};
using AlignedBuffer = std::unique_ptr<float[], AlignedFree>;
// 64-byte aligned, zero-filled; throws std::bad_alloc when the memory is not there.
AlignedBuffer aligned_floats(size_t count);

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
  // Panel (d, g, block) of W (K = I) or R (K = H).
  const float* w_panel(int d, int g, int blk) const;
  const float* r_panel(int d, int g, int blk) const;
  // Hidden blocks per recurrent GEMM call for `gates` gates.
  int tile_blocks(int gates) const;

  RnnSpec spec_;
  int blocks_ = 0;       // ceil(H / kPanel)
  int hp_ = 0;           // blocks_ * kPanel: the padded hidden size every buffer uses
  AlignedBuffer w_packed_, r_packed_;
  AlignedBuffer bias_;   // [D][G][hp]: Wb + Rb (reset-after GRU's h gate: Wb only)
  AlignedBuffer rbh_;    // [D][hp]: reset-after GRU's Rb of the h gate
  AlignedBuffer peep_;   // [D][3][hp] or null
  size_t packed_bytes_ = 0;
};

}  // namespace gatedrnn
