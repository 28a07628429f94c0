// The training oracle: the ONNX GRU (both linear_before_reset forms), LSTM (no peepholes) and
// plain RNN (Tanh) forward and its backward pass (BPTT), with the default activations, one batch entry and one
// step at a time, written straight from the equations. Templated on the number type: the fast
// float backward is checked against it in double, and its double forward gives the central
// finite differences that check this backward. Never optimize this file.
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

#include "../common/spec.h"

namespace gatedrnn {
namespace reference {

// One call's data in ONNX layouts (spec.layout decides X's, Y's and the states'); an empty
// vector is an absent input (B, lens, h0, c0) or output gradient (dY, dYh, dYc).
template <typename Real>
struct TrainCase {
  std::vector<Real> W, R, B, X, h0, c0;
  std::vector<int32_t> lens;
  int T = 0, batch = 0;
};

template <typename Real>
struct TrainOutputs {
  std::vector<Real> Y, Yh, Yc;
};

template <typename Real>
struct TrainGrads {
  std::vector<Real> dX, dW, dR, dB, dH0, dC0;
};

namespace detail {

template <typename Real>
Real sigm(Real x) { return Real(1) / (Real(1) + std::exp(-x)); }

// One direction of one batch entry: forward step by step, keeping what the backward pass
// (BPTT) needs, and back again.
template <typename Real>
class Sequence {
 public:
  using Vec = std::vector<Real>;

  Sequence(const RnnSpec& s, const TrainCase<Real>& c, int d, int b)
      : s_(s), c_(c), d_(d), b_(b), H(s.hidden), I(s.input), G(s.gates()), T(c.T), Bn(c.batch),
        gru(s.cell == Cell::GRU), lstm(s.cell == Cell::LSTM), lbr(s.linear_before_reset),
        W(c.W.data() + static_cast<size_t>(d) * G * H * I), R(c.R.data() + static_cast<size_t>(d) * G * H * H),
        len(c.lens.empty() ? T : c.lens[b]), so(state_offset(s, Bn, d, b)) {}

  // Runs the steps, writing Y, Y_h and Y_c where `out` has them.
  void forward(TrainOutputs<Real>& out) {
    Vec h(H, Real(0)), cs(H, Real(0));
    if (!c_.h0.empty()) for (int u = 0; u < H; ++u) h[u] = c_.h0[so + u];
    if (!c_.c0.empty() && lstm) for (int u = 0; u < H; ++u) cs[u] = c_.c0[so + u];
    xs.resize(len);
    hs.resize(len);
    css.resize(len);
    gs.resize(len);
    ex.resize(len);
    ts.resize(len);
    for (int step = 0; step < len; ++step) {
      const int t = s_.dir_reversed(d_) ? len - 1 - step : step;
      ts[step] = t;
      Vec x(I);
      for (int k = 0; k < I; ++k) x[k] = c_.X[x_row(s_, T, Bn, t, b_) * I + k];
      Vec g(static_cast<size_t>(G) * H), e(H), hn(H);
      if (gru) {
        gru_step(x, h, g, e, hn);
      } else if (!lstm) {
        rnn_step(x, h, g, hn);
      } else {
        Vec cn(H);
        lstm_step(x, h, cs, g, hn, cn);
        css[step] = cs;
        cs = cn;
      }
      xs[step] = x;
      hs[step] = h;
      gs[step] = g;
      ex[step] = e;
      h = hn;
      if (!out.Y.empty())
        for (int u = 0; u < H; ++u) out.Y[y_offset(s_, T, Bn, t, d_, b_) + u] = h[u];
    }
    if (!out.Yh.empty()) for (int u = 0; u < H; ++u) out.Yh[so + u] = h[u];
    if (!out.Yc.empty()) for (int u = 0; u < H; ++u) out.Yc[so + u] = cs[u];
  }

  // Backward through the steps forward() kept, in reverse, adding into `gr`.
  void backward(const TrainOutputs<Real>& dout, TrainGrads<Real>& gr) const {
    Vec dh(H, Real(0)), dc(H, Real(0));
    if (!dout.Yh.empty()) for (int u = 0; u < H; ++u) dh[u] = dout.Yh[so + u];
    if (!dout.Yc.empty() && lstm) for (int u = 0; u < H; ++u) dc[u] = dout.Yc[so + u];
    for (int step = len - 1; step >= 0; --step) {
      const int t = ts[step];
      if (!dout.Y.empty())
        for (int u = 0; u < H; ++u) dh[u] += dout.Y[y_offset(s_, T, Bn, t, d_, b_) + u];
      // da: pre-activation gradients of the input side; dar: of the recurrent side (they differ
      // only in a GRU's h gate).
      Vec da(static_cast<size_t>(G) * H), dar, dhp(H, Real(0));
      if (gru) {
        gru_grad(dh, hs[step], gs[step], ex[step], da, dar, dhp);
      } else if (!lstm) {
        for (int u = 0; u < H; ++u) da[u] = dh[u] * (Real(1) - gs[step][u] * gs[step][u]);
        dar = da;
      } else {
        lstm_grad(dh, gs[step], css[step], dc, da);
        dar = da;
      }
      accumulate(step, da, dar, dhp, gr);
      dh = dhp;
    }
    for (int u = 0; u < H; ++u) gr.dH0[so + u] = dh[u];
    if (lstm) for (int u = 0; u < H; ++u) gr.dC0[so + u] = dc[u];
  }

 private:
  Real bias(int g, int u, bool rec) const {
    return c_.B.empty() ? Real(0) : c_.B[static_cast<size_t>(d_) * 2 * G * H + (rec ? G * H : 0) + g * H + u];
  }
  Real matvec(const Real* M, int row, int cols, const Vec& v) const {
    Real a = 0;
    for (int k = 0; k < cols; ++k) a += M[static_cast<size_t>(row) * cols + k] * v[k];
    return a;
  }

  // One GRU step: the gates z, r, h~ into g, Rh·H + Rbh (linear_before_reset) or r ⊙ H into e,
  // and H(t) into hn.
  void gru_step(const Vec& x, const Vec& h, Vec& g, Vec& e, Vec& hn) const {
    for (int u = 0; u < H; ++u) {
      g[u] = sigm(matvec(W, u, I, x) + matvec(R, u, H, h) + bias(0, u, false) + bias(0, u, true));
      g[H + u] = sigm(matvec(W, H + u, I, x) + matvec(R, H + u, H, h) + bias(1, u, false) + bias(1, u, true));
    }
    Vec rh(H);
    for (int u = 0; u < H; ++u) rh[u] = g[H + u] * h[u];
    for (int u = 0; u < H; ++u) {
      Real a = matvec(W, 2 * H + u, I, x) + bias(2, u, false);
      if (lbr) {
        e[u] = matvec(R, 2 * H + u, H, h) + bias(2, u, true);
        a += g[H + u] * e[u];
      } else {
        e[u] = rh[u];
        a += matvec(R, 2 * H + u, H, rh) + bias(2, u, true);
      }
      g[2 * H + u] = std::tanh(a);
      hn[u] = (Real(1) - g[u]) * g[2 * H + u] + g[u] * h[u];
    }
  }

  // One plain RNN (Tanh) step.
  void rnn_step(const Vec& x, const Vec& h, Vec& g, Vec& hn) const {
    for (int u = 0; u < H; ++u) {
      g[u] = std::tanh(matvec(W, u, I, x) + matvec(R, u, H, h) + bias(0, u, false) + bias(0, u, true));
      hn[u] = g[u];
    }
  }

  // One LSTM step from the cell state cs: the gates i, o, f, c~ into g, H(t) into hn, C(t) into cn.
  void lstm_step(const Vec& x, const Vec& h, const Vec& cs, Vec& g, Vec& hn, Vec& cn) const {
    for (int gi = 0; gi < 4; ++gi)
      for (int u = 0; u < H; ++u) {
        const Real a = matvec(W, gi * H + u, I, x) + matvec(R, gi * H + u, H, h) + bias(gi, u, false) + bias(gi, u, true);
        g[gi * H + u] = gi == 3 ? std::tanh(a) : sigm(a);
      }
    for (int u = 0; u < H; ++u) {
      cn[u] = g[2 * H + u] * cs[u] + g[u] * g[3 * H + u];
      hn[u] = g[H + u] * std::tanh(cn[u]);
    }
  }

  // A GRU step's da and dar from dL/dH(t) = dh, and the part of dL/dH(t-1) that does not go
  // through R (all of it, for the reset-before form's h gate) into dhp.
  void gru_grad(const Vec& dh, const Vec& hp, const Vec& g, const Vec& e, Vec& da, Vec& dar, Vec& dhp) const {
    for (int u = 0; u < H; ++u) {
      const Real z = g[u], ht = g[2 * H + u];
      da[2 * H + u] = dh[u] * (Real(1) - z) * (Real(1) - ht * ht);
      da[u] = dh[u] * (hp[u] - ht) * z * (Real(1) - z);
      dhp[u] = dh[u] * z;
    }
    dar = da;
    if (lbr) {
      for (int u = 0; u < H; ++u) {
        const Real r = g[H + u];
        da[H + u] = da[2 * H + u] * e[u] * r * (Real(1) - r);
        dar[H + u] = da[H + u];
        dar[2 * H + u] = da[2 * H + u] * r;
      }
    } else {
      for (int u = 0; u < H; ++u) {
        Real drh = 0;
        for (int v = 0; v < H; ++v) drh += R[static_cast<size_t>(2 * H + v) * H + u] * da[2 * H + v];
        const Real r = g[H + u];
        da[H + u] = drh * hp[u] * r * (Real(1) - r);
        dar[H + u] = da[H + u];
        dhp[u] += drh * r;
      }
    }
  }

  // An LSTM step's da from dL/dH(t) = dh and dL/dC(t) = dc (which becomes dL/dC(t-1)); cp is C(t-1).
  void lstm_grad(const Vec& dh, const Vec& g, const Vec& cp, Vec& dc, Vec& da) const {
    for (int u = 0; u < H; ++u) {
      const Real i = g[u], o = g[H + u], f = g[2 * H + u], cc = g[3 * H + u];
      const Real tc = std::tanh(f * cp[u] + i * cc);
      const Real dct = dc[u] + dh[u] * o * (Real(1) - tc * tc);
      da[u] = dct * cc * i * (Real(1) - i);
      da[H + u] = dh[u] * tc * o * (Real(1) - o);
      da[2 * H + u] = dct * cp[u] * f * (Real(1) - f);
      da[3 * H + u] = dct * i * (Real(1) - cc * cc);
      dc[u] = dct * f;
    }
  }

  // Adds one step's dW, dR, dB and dX, and the part of dL/dH(t-1) that goes through R into dhp.
  void accumulate(int step, const Vec& da, const Vec& dar, Vec& dhp, TrainGrads<Real>& gr) const {
    const int t = ts[step];
    const Vec &x = xs[step], &hp = hs[step], &e = ex[step];
    Real* dW = gr.dW.data() + static_cast<size_t>(d_) * G * H * I;
    Real* dR = gr.dR.data() + static_cast<size_t>(d_) * G * H * H;
    Real* dWb = gr.dB.data() + static_cast<size_t>(d_) * 2 * G * H;
    Real* dRb = dWb + static_cast<size_t>(G) * H;
    for (int gi = 0; gi < G; ++gi) {
      // The reset-before GRU's h gate multiplies r ⊙ H(t-1); its part of dL/dH(t-1) went above.
      const bool rh_input = gru && !lbr && gi == 2;
      for (int u = 0; u < H; ++u) {
        const size_t row = static_cast<size_t>(gi) * H + u;
        const Real a = da[row], ar = dar[row];
        for (int k = 0; k < I; ++k) {
          dW[row * I + k] += a * x[k];
          gr.dX[x_row(s_, T, Bn, t, b_) * I + k] += a * W[row * I + k];
        }
        for (int k = 0; k < H; ++k) {
          dR[row * H + k] += ar * (rh_input ? e[k] : hp[k]);
          if (!rh_input) dhp[k] += ar * R[row * H + k];
        }
        dWb[row] += a;
        dRb[row] += ar;
      }
    }
  }

  const RnnSpec& s_;
  const TrainCase<Real>& c_;
  const int d_, b_;
  const int H, I, G, T, Bn;
  const bool gru, lstm, lbr;
  const Real *W, *R;  // this direction's
  const int len;
  const size_t so;  // this entry's offset in the state tensors
  // Per step: its time index, x, H(t-1), C(t-1), the gates (post-activation) and the GRU's e.
  std::vector<int> ts;
  std::vector<Vec> xs, hs, css, gs, ex;
};

// Runs one direction of one batch entry forward and, when `grads` is given, back again.
template <typename Real>
void sequence(const RnnSpec& s, const TrainCase<Real>& c, int d, int b, TrainOutputs<Real>& out,
              const TrainOutputs<Real>* dout, TrainGrads<Real>* grads) {
  Sequence<Real> seq(s, c, d, b);
  seq.forward(out);
  if (grads) seq.backward(*dout, *grads);
}

template <typename Real>
TrainOutputs<Real> allocate_outputs(const RnnSpec& s, const TrainCase<Real>& c) {
  const size_t ns = static_cast<size_t>(s.num_dirs) * c.batch * s.hidden;
  TrainOutputs<Real> o;
  o.Y.assign(static_cast<size_t>(c.T) * ns, Real(0));
  o.Yh.assign(ns, Real(0));
  if (s.cell == Cell::LSTM) o.Yc.assign(ns, Real(0));
  return o;
}

}  // namespace detail

// Y (zeros past each sequence's end), Y_h and, for LSTM, Y_c.
template <typename Real>
TrainOutputs<Real> train_forward(const RnnSpec& s, const TrainCase<Real>& c) {
  TrainOutputs<Real> out = detail::allocate_outputs(s, c);
  for (int d = 0; d < s.num_dirs; ++d)
    for (int b = 0; b < c.batch; ++b) detail::sequence<Real>(s, c, d, b, out, nullptr, nullptr);
  return out;
}

// The gradients of sum(dY ⊙ Y) + sum(dYh ⊙ Y_h) + sum(dYc ⊙ Y_c) with respect to every input
// (dB, dH0 and dC0 always, as if B and the initial states were zeros when absent).
template <typename Real>
TrainGrads<Real> train_backward(const RnnSpec& s, const TrainCase<Real>& c, const TrainOutputs<Real>& dout) {
  const size_t D = s.num_dirs, G = s.gates(), H = s.hidden, I = s.input;
  TrainGrads<Real> g;
  g.dX.assign(c.X.size(), Real(0));
  g.dW.assign(D * G * H * I, Real(0));
  g.dR.assign(D * G * H * H, Real(0));
  g.dB.assign(D * 2 * G * H, Real(0));
  g.dH0.assign(D * c.batch * H, Real(0));
  if (s.cell == Cell::LSTM) g.dC0.assign(D * c.batch * H, Real(0));
  TrainOutputs<Real> out = detail::allocate_outputs(s, c);
  for (size_t d = 0; d < D; ++d)
    for (int b = 0; b < c.batch; ++b) detail::sequence<Real>(s, c, static_cast<int>(d), b, out, &dout, &g);
  return g;
}

}  // namespace reference
}  // namespace gatedrnn
