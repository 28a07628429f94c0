// Training-mode GRU, LSTM and plain RNN: a forward pass that keeps what backward needs in a caller-owned
// buffer ("saved"), and backpropagation through time. The schedule is the inference engine's
// (oneDNN's): one input GEMM over all steps, per step one recurrent GEMM and a fused epilogue;
// backward per step (reverse time) the gate-gradient epilogue and dH(t-1) += dGates·R, then the
// weight and input gradients as a few big GEMMs over all steps at once.
#pragma once

#include <cstddef>
#include <mutex>
#include <utility>
#include <vector>

#include "rnn_forward.h"
#include "../common/spec.h"

namespace gatedrnn {

struct TrainGradInputs {
  const float* dY = nullptr;   // like Y, or null
  const float* dY_h = nullptr; // like Y_h, or null
  const float* dY_c = nullptr; // like Y_c (LSTM), or null
};

// Every pointer is required except dC0 (LSTM only). Shapes: dX like X; dW, dR, dB like W, R, B;
// dH0 and dC0 like initial_h (layout 0: [D, B, H]; layout 1: [B, D, H]).
struct TrainGradOutputs {
  float* dX = nullptr;
  float* dW = nullptr;
  float* dR = nullptr;
  float* dB = nullptr;
  float* dH0 = nullptr;
  float* dC0 = nullptr;
};

class RnnTrainer {
 public:
  // GRU (either linear_before_reset), LSTM without input_forget or the plain RNN, default
  // activations (the RNN's: Tanh), no clip, fp32 weights; anything else throws std::invalid_argument saying what is not supported.
  explicit RnnTrainer(const RnnSpec& spec);

  const RnnSpec& spec() const { return spec_; }
  // Floats of the saved buffer of a call with T steps and B batch entries.
  size_t saved_floats(int T, int B) const;

  // Like PackedRnn::forward (same outputs, same arithmetic), and fills `saved` (every float of it: it
  // need not be cleared first). Peepholes (P)
  // must be null. Thread-safe: nothing in the trainer changes.
  void forward(const RnnWeights& w, const RnnInputs& in, const RnnOutputs& out, float* saved, int threads) const;

  // The gradients of sum(dY ⊙ Y) + sum(dY_h ⊙ Y_h) + sum(dY_c ⊙ Y_c) through the forward call
  // that filled `saved` (same weights and inputs). Padded steps give no gradient; dX is zero there.
  void backward(const RnnWeights& w, const RnnInputs& in, const float* saved, const TrainGradInputs& g,
                const TrainGradOutputs& out, int threads) const;

 private:
  RnnSpec spec_;
  int blocks_ = 0, hp_ = 0;
  size_t row_floats_ = 0;  // one saved row: gates, extra (GRU), H(t-1), C(t-1) (LSTM)
  // Reused scratch: fresh pages cost a fault and a clear each, a quarter of a step's time at
  // T=100, B=32, H=128.
  mutable WorkspacePool workspaces_;
};

}  // namespace gatedrnn
