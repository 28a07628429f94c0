// The description of one ONNX recurrent operator (RNN, GRU or LSTM) and of one call to it.
// Shared by the fast path (rnn/) and the reference (reference/); nothing here allocates.
#pragma once

#include <cstddef>
#include <cstdint>

namespace gatedrnn {

enum class Cell : int { RNN = 0, GRU = 1, LSTM = 2 };

// ONNX activation functions, in the order the spec lists them.
enum class ActKind : int {
  Relu = 0,
  Tanh,
  Sigmoid,
  Affine,
  LeakyRelu,
  ThresholdedRelu,
  ScaledTanh,
  HardSigmoid,
  Elu,
  Softsign,
  Softplus,
  Count
};

struct Act {
  ActKind kind = ActKind::Tanh;
  float alpha = 0.f;
  float beta = 0.f;
};

// Gates per cell, in ONNX order: RNN i; GRU z r h; LSTM i o f c.
inline int gate_count(Cell c) { return c == Cell::RNN ? 1 : c == Cell::GRU ? 3 : 4; }
// Activation functions per direction: RNN f; GRU f g; LSTM f g h.
inline int act_count(Cell c) { return c == Cell::RNN ? 1 : c == Cell::GRU ? 2 : 3; }

struct RnnSpec {
  Cell cell = Cell::GRU;
  int hidden = 0;           // H
  int input = 0;            // I
  int num_dirs = 1;         // 2 when bidirectional
  bool reverse = false;     // direction == "reverse" (only with num_dirs == 1)
  bool linear_before_reset = false;  // GRU
  bool input_forget = false;         // LSTM: f = 1 - i
  bool has_clip = false;
  float clip = 0.f;
  int layout = 0;           // 0: [T, B, ...]; 1: [B, T, ...]
  bool bf16_weights = false;  // W and R stored as bf16, sums in fp32 (opt-in reduced precision)
  Act acts[2][3];           // [direction][f, g, h]

  int gates() const { return gate_count(cell); }
  // Direction d runs backwards in time when it is the second half of a bidirectional op,
  // or the only direction of a "reverse" op.
  bool dir_reversed(int d) const { return num_dirs == 2 ? d == 1 : reverse; }
};

// Raw ONNX weights, exactly as the operator's inputs: W [D, G*H, I], R [D, G*H, H],
// B [D, 2*G*H] (Wb then Rb) or null, P [D, 3*H] (i o f) or null.
struct RnnWeights {
  const float* W = nullptr;
  const float* R = nullptr;
  const float* B = nullptr;
  const float* P = nullptr;
};

struct RnnInputs {
  const float* X = nullptr;           // layout 0: [T, B, I]; layout 1: [B, T, I]
  int seq_len = 0;                    // T
  int batch = 0;                      // B
  const int32_t* seq_lens = nullptr;  // [B], each in [0, T]; null: all T
  const float* initial_h = nullptr;   // layout 0: [D, B, H]; layout 1: [B, D, H]
  const float* initial_c = nullptr;   // LSTM, same shape as initial_h
};

// Any output may be null when the caller does not want it.
struct RnnOutputs {
  float* Y = nullptr;    // layout 0: [T, D, B, H]; layout 1: [B, T, D, H]
  float* Y_h = nullptr;  // like initial_h
  float* Y_c = nullptr;  // like initial_c
};

// Where element (t, d, b) of Y and (d, b) of Y_h / Y_c start, for either layout.
inline size_t y_offset(const RnnSpec& s, int T, int B, int t, int d, int b) {
  const size_t H = static_cast<size_t>(s.hidden), D = static_cast<size_t>(s.num_dirs);
  return s.layout == 0 ? ((static_cast<size_t>(t) * D + d) * B + b) * H
                       : ((static_cast<size_t>(b) * T + t) * D + d) * H;
}
inline size_t state_offset(const RnnSpec& s, int B, int d, int b) {
  const size_t H = static_cast<size_t>(s.hidden), D = static_cast<size_t>(s.num_dirs);
  return s.layout == 0 ? (static_cast<size_t>(d) * B + b) * H : (static_cast<size_t>(b) * D + d) * H;
}
// Row of X (and of the hoisted input projection) that holds timestep t of batch entry b.
inline size_t x_row(const RnnSpec& s, int T, int B, int t, int b) {
  return s.layout == 0 ? static_cast<size_t>(t) * B + b : static_cast<size_t>(b) * T + t;
}

}  // namespace gatedrnn
