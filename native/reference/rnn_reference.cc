// The oracle: the ONNX RNN, GRU and LSTM equations, one batch entry and one timestep at a time,
// in double precision. Never optimize this file; tests compare every fast kernel against it.
#include "rnn_reference.h"

#include <cstring>
#include <vector>

#include "activations.h"

namespace gatedrnn {
namespace reference {

namespace {

double clipped(const RnnSpec& s, double x) {
  if (!s.has_clip) return x;
  const double c = s.clip;
  return x < -c ? -c : (x > c ? c : x);
}

// sum_k M[row, k] * v[k] for a row-major matrix with `cols` columns.
double dot_row(const float* M, int row, int cols, const double* v) {
  double acc = 0.0;
  for (int k = 0; k < cols; ++k) acc += static_cast<double>(M[static_cast<size_t>(row) * cols + k]) * v[k];
  return acc;
}

// One direction of one batch entry, every timestep it owns.
void run_sequence(const RnnSpec& s, const RnnWeights& w, const RnnInputs& in, const RnnOutputs& out,
                  int d, int b) {
  const int H = s.hidden, I = s.input, G = s.gates(), T = in.seq_len, B = in.batch;
  const float* W = w.W + static_cast<size_t>(d) * G * H * I;
  const float* R = w.R + static_cast<size_t>(d) * G * H * H;
  const float* Wb = w.B ? w.B + static_cast<size_t>(d) * 2 * G * H : nullptr;
  const float* Rb = Wb ? Wb + static_cast<size_t>(G) * H : nullptr;
  const float* P = w.P ? w.P + static_cast<size_t>(d) * 3 * H : nullptr;
  const Act* act = s.acts[d];
  auto wb = [&](int g, int u) { return Wb ? static_cast<double>(Wb[g * H + u]) : 0.0; };
  auto rb = [&](int g, int u) { return Rb ? static_cast<double>(Rb[g * H + u]) : 0.0; };

  std::vector<double> h(H, 0.0), c(H, 0.0), x(I), hn(H), rh(H), gate(static_cast<size_t>(G) * H);
  if (in.initial_h) {
    const float* h0 = in.initial_h + state_offset(s, B, d, b);
    for (int u = 0; u < H; ++u) h[u] = h0[u];
  }
  if (in.initial_c) {
    const float* c0 = in.initial_c + state_offset(s, B, d, b);
    for (int u = 0; u < H; ++u) c[u] = c0[u];
  }

  const int len = in.seq_lens ? in.seq_lens[b] : T;
  for (int step = 0; step < len; ++step) {
    const int t = s.dir_reversed(d) ? len - 1 - step : step;
    const float* xt = in.X + x_row(s, T, B, t, b) * I;
    for (int k = 0; k < I; ++k) x[k] = xt[k];

    if (s.cell == Cell::RNN) {
      for (int u = 0; u < H; ++u) {
        const double a = dot_row(W, u, I, x.data()) + dot_row(R, u, H, h.data()) + wb(0, u) + rb(0, u);
        hn[u] = activate(act[0], clipped(s, a));
      }
    } else if (s.cell == Cell::GRU) {
      // Gates z (0), r (1), h (2).
      std::vector<double> z(H), r(H);
      for (int u = 0; u < H; ++u) {
        z[u] = activate(act[0], clipped(s, dot_row(W, u, I, x.data()) + dot_row(R, u, H, h.data()) +
                                               wb(0, u) + rb(0, u)));
        r[u] = activate(act[0], clipped(s, dot_row(W, H + u, I, x.data()) +
                                               dot_row(R, H + u, H, h.data()) + wb(1, u) + rb(1, u)));
      }
      for (int u = 0; u < H; ++u) rh[u] = r[u] * h[u];
      for (int u = 0; u < H; ++u) {
        const double xh = dot_row(W, 2 * H + u, I, x.data()) + wb(2, u);
        double a;
        if (s.linear_before_reset)
          a = xh + r[u] * (dot_row(R, 2 * H + u, H, h.data()) + rb(2, u));
        else
          a = xh + dot_row(R, 2 * H + u, H, rh.data()) + rb(2, u);
        const double ht = activate(act[1], clipped(s, a));
        hn[u] = (1.0 - z[u]) * ht + z[u] * h[u];
      }
    } else {
      // Gates i (0), o (1), f (2), c (3); peepholes P = [Pi, Po, Pf].
      for (int g = 0; g < G; ++g)
        for (int u = 0; u < H; ++u)
          gate[g * H + u] = dot_row(W, g * H + u, I, x.data()) + dot_row(R, g * H + u, H, h.data()) +
                            wb(g, u) + rb(g, u);
      for (int u = 0; u < H; ++u) {
        const double pi = P ? P[u] : 0.0, po = P ? P[H + u] : 0.0, pf = P ? P[2 * H + u] : 0.0;
        const double i = activate(act[0], clipped(s, gate[u] + pi * c[u]));
        const double f = s.input_forget ? 1.0 - i : activate(act[0], clipped(s, gate[2 * H + u] + pf * c[u]));
        const double cc = activate(act[1], clipped(s, gate[3 * H + u]));
        const double ct = f * c[u] + i * cc;
        const double o = activate(act[0], clipped(s, gate[H + u] + po * ct));
        c[u] = ct;
        hn[u] = o * activate(act[2], ct);
      }
    }
    h.swap(hn);
    if (out.Y) {
      float* y = out.Y + y_offset(s, T, B, t, d, b);
      for (int u = 0; u < H; ++u) y[u] = static_cast<float>(h[u]);
    }
  }

  // Steps past the end of this sequence produce zeros in Y.
  if (out.Y) {
    for (int t = len; t < T; ++t) std::memset(out.Y + y_offset(s, T, B, t, d, b), 0, sizeof(float) * H);
  }
  if (out.Y_h) {
    float* yh = out.Y_h + state_offset(s, B, d, b);
    for (int u = 0; u < H; ++u) yh[u] = static_cast<float>(h[u]);
  }
  if (out.Y_c) {
    float* yc = out.Y_c + state_offset(s, B, d, b);
    for (int u = 0; u < H; ++u) yc[u] = static_cast<float>(c[u]);
  }
}

}  // namespace

void rnn_forward(const RnnSpec& spec, const RnnWeights& weights, const RnnInputs& in,
                 const RnnOutputs& out) {
  for (int d = 0; d < spec.num_dirs; ++d)
    for (int b = 0; b < in.batch; ++b) run_sequence(spec, weights, in, out, d, b);
}

}  // namespace reference
}  // namespace gatedrnn
