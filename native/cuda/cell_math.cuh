// The per-unit arithmetic of one GRU or LSTM step on the GPU (the fused "postgemm"), shared by
// the persistent kernel and the per-step fallback, and the index rules of the ONNX layouts.
// The equations are those of native/reference/rnn_reference.cc with the default activations
// (f = Sigmoid, g = h = Tanh), in fp32.
#pragma once

#include <cmath>
#include <cstddef>

#include "runtime.h"

namespace gatedrnn {
namespace cuda {

// One call, as the kernels see it. Plain data, passed by value to every kernel.
struct CellParams {
  int lstm;          // 1: LSTM (gates i o f c); 0: GRU (gates z r h)
  int H, B, T, D, G;  // hidden size, batch, timesteps, directions, gates
  int layout;        // 0: [T, B, ...]; 1: [B, T, ...]
  int lbr;           // GRU linear_before_reset
  int input_forget;  // LSTM: f = 1 - i
  int has_clip;
  float clip;
  int reversed;           // bit d: direction d walks each sequence from its last valid step
                          // (a mask, not an array: indexing an array by d would copy the
                          // parameters to local memory)
  const float* xg;        // [T*B rows of X, in X's order][D*G*H]: X·Wᵀ plus the folded biases
  const float* rbh;       // GRU: [D][H] recurrent bias of the h gate (kept apart: r scales it)
  const float* P;         // LSTM: [D][3H] peepholes i, o, f; null when absent
  const int* lens;        // [B] or null (every sequence is T long)
  float* Y;               // in the output layout, or null; zeroed beforehand where steps are padding
  float* c;               // LSTM: [D][B][H] cell state, updated in place
};

__device__ __forceinline__ int imin(int a, int b) { return a < b ? a : b; }

__device__ __forceinline__ float sigmoid_f32(float x) { return 1.f / (1.f + expf(-x)); }

// As the reference: a NaN passes through (fminf/fmaxf would drop it).
__device__ __forceinline__ float clip_f32(const CellParams& p, float x) {
  if (!p.has_clip) return x;
  return x < -p.clip ? -p.clip : (x > p.clip ? p.clip : x);
}

__device__ __forceinline__ int seq_len_of(const CellParams& p, int b) { return p.lens ? p.lens[b] : p.T; }

// Row of X (and of xg) holding timestep t of batch entry b.
__device__ __forceinline__ size_t x_row_of(const CellParams& p, int t, int b) {
  return p.layout == 0 ? static_cast<size_t>(t) * p.B + b : static_cast<size_t>(b) * p.T + t;
}

// Start of Y's H values for (t, d, b), either layout.
__device__ __forceinline__ size_t y_offset_of(const CellParams& p, int t, int d, int b) {
  const size_t H = p.H, D = p.D;
  return p.layout == 0 ? ((static_cast<size_t>(t) * D + d) * p.B + b) * H : ((static_cast<size_t>(b) * p.T + t) * D + d) * H;
}

// Where step `step` of direction d is in time for batch entry b, or -1 past the sequence's end.
__device__ __forceinline__ int time_of(const CellParams& p, int d, int b, int step) {
  const int len = seq_len_of(p, b);
  if (step >= len) return -1;
  return (p.reversed >> d) & 1 ? len - 1 - step : step;
}

__device__ __forceinline__ const float* xg_of(const CellParams& p, int d, int b, int t) {
  return p.xg + x_row_of(p, t, b) * (static_cast<size_t>(p.D) * p.G * p.H) + static_cast<size_t>(d) * p.G * p.H;
}

// GRU with linear_before_reset = 0: r ⊙ h_prev for unit u, the input of the candidate's product.
// hr_r is the recurrent product of the r gate. Past a sequence's end the value is never used.
__device__ __forceinline__ float gru_reset_hidden(const CellParams& p, int d, int b, int u, int step, float hr_r,
                                                  float h_prev) {
  const int t = time_of(p, d, b, step);
  if (t < 0) return 0.f;
  const float r = sigmoid_f32(clip_f32(p, xg_of(p, d, b, t)[p.H + u] + hr_r));
  return r * h_prev;
}

// One unit's step: the new h, with Y and (LSTM) c written. hr[g * stride] is the recurrent
// product of gate g for this unit (GRU with linear_before_reset = 0: gate h's is R_h·(r ⊙ h)).
// Past a sequence's end the state is carried unchanged and nothing is written.
__device__ __forceinline__ float unit_update(const CellParams& p, int d, int b, int u, int step, const float* hr,
                                             int stride, float h_prev) {
  const int t = time_of(p, d, b, step);
  if (t < 0) return h_prev;
  const int H = p.H;
  const float* xg = xg_of(p, d, b, t);
  float h;
  if (!p.lstm) {
    const float z = sigmoid_f32(clip_f32(p, xg[u] + hr[0]));
    const float r = sigmoid_f32(clip_f32(p, xg[H + u] + hr[stride]));
    const float rb = p.rbh[static_cast<size_t>(d) * H + u];
    const float a = p.lbr ? xg[2 * H + u] + r * (hr[2 * stride] + rb) : xg[2 * H + u] + hr[2 * stride] + rb;
    const float candidate = tanhf(clip_f32(p, a));
    h = (1.f - z) * candidate + z * h_prev;
  } else {
    float* cp = p.c + (static_cast<size_t>(d) * p.B + b) * H + u;
    const float c = *cp;
    const float* P = p.P ? p.P + static_cast<size_t>(d) * 3 * H : nullptr;
    const float pi = P ? P[u] : 0.f, po = P ? P[H + u] : 0.f, pf = P ? P[2 * H + u] : 0.f;
    const float i = sigmoid_f32(clip_f32(p, xg[u] + hr[0] + pi * c));
    const float f = p.input_forget ? 1.f - i : sigmoid_f32(clip_f32(p, xg[2 * H + u] + hr[2 * stride] + pf * c));
    const float cand = tanhf(clip_f32(p, xg[3 * H + u] + hr[3 * stride]));
    const float ct = f * c + i * cand;
    const float o = sigmoid_f32(clip_f32(p, xg[H + u] + hr[stride] + po * ct));
    *cp = ct;
    h = o * tanhf(ct);
  }
  if (p.Y) p.Y[y_offset_of(p, t, d, b) + u] = h;
  return h;
}

}  // namespace cuda
}  // namespace gatedrnn
