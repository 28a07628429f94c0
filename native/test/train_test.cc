// Training checks, run by native_test.cc for every kernel table the CPU runs:
//  - the fast training forward and backward (rnn/rnn_train.cc) of GRU, LSTM and the plain RNN
//    against the double-precision reference (reference/rnn_grad_reference.h) on odd sizes, tails,
//    sequence lengths, both layouts and all three directions;
//  - the reference backward against central finite differences of the reference forward, in
//    double, on small sizes;
//  - sgemm against a plain loop for the four transpose combinations.
#include "train_test.h"

#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "cpu/isa.h"
#include "cpu/sgemm.h"
#include "reference/rnn_grad_reference.h"
#include "rnn/rnn_train.h"

using namespace gatedrnn;

namespace {

struct TCase {
  Cell cell;
  bool lbr;
  int T, B, I, H, dirs;
  bool reverse, lens, init, bias, want_y, want_yh;
  int layout, threads;
};

// 0: GRU (reset before), 1: GRU (linear before reset), 2: LSTM, 3: plain RNN.
Cell cell_of(int k) { return k == 3 ? Cell::RNN : k == 2 ? Cell::LSTM : Cell::GRU; }

RnnSpec make_spec(const TCase& c) {
  RnnSpec s;
  s.cell = c.cell;
  s.hidden = c.H;
  s.input = c.I;
  s.num_dirs = c.dirs;
  s.reverse = c.reverse;
  s.linear_before_reset = c.lbr;
  s.layout = c.layout;
  if (c.cell != Cell::RNN)
    for (int d = 0; d < 2; ++d) s.acts[d][0] = {ActKind::Sigmoid, 0, 0};
  return s;
}

template <typename Real>
std::vector<Real> randv(std::mt19937& rng, size_t n, double scale) {
  std::uniform_real_distribution<double> u(-scale, scale);
  std::vector<Real> v(n);
  for (auto& x : v) x = static_cast<Real>(u(rng));
  return v;
}

reference::TrainCase<double> make_case(const TCase& c, const RnnSpec& s, std::mt19937& rng) {
  const size_t D = c.dirs, G = s.gates(), H = c.H, I = c.I;
  reference::TrainCase<double> tc;
  tc.T = c.T;
  tc.batch = c.B;
  // Values exactly representable in float, so both sides see the same inputs.
  auto f = [&](size_t n, double scale) {
    auto v = randv<float>(rng, n, scale);
    return std::vector<double>(v.begin(), v.end());
  };
  tc.W = f(D * G * H * I, 1.0 / std::sqrt(static_cast<double>(H)));
  tc.R = f(D * G * H * H, 1.0 / std::sqrt(static_cast<double>(H)));
  if (c.bias) tc.B = f(D * 2 * G * H, 0.5);
  tc.X = f(static_cast<size_t>(c.T) * c.B * I, 1.0);
  if (c.init) {
    tc.h0 = f(D * c.B * H, 1.0);
    if (c.cell == Cell::LSTM) tc.c0 = f(D * c.B * H, 1.0);
  }
  if (c.lens) {
    tc.lens.resize(c.B);
    for (int b = 0; b < c.B; ++b) tc.lens[b] = static_cast<int32_t>(rng() % (c.T + 1));
    tc.lens[0] = c.T;
  }
  return tc;
}

std::vector<float> to_f(const std::vector<double>& v) { return std::vector<float>(v.begin(), v.end()); }

// Worst |a - b| / (atol + rtol |b|) over the arrays.
double worst_error(const std::vector<float>& a, const std::vector<double>& b, double atol, double rtol) {
  double worst = 0;
  for (size_t i = 0; i < b.size(); ++i) {
    const double e = std::fabs(static_cast<double>(a[i]) - b[i]) / (atol + rtol * std::fabs(b[i]));
    if (!(e <= worst)) worst = std::isnan(e) ? 1e30 : e;
  }
  return worst;
}

// Fast forward + backward against the reference; returns the worst scaled error.
double check_fast(const TCase& c, std::mt19937& rng, std::string& where) {
  const RnnSpec s = make_spec(c);
  const auto tc = make_case(c, s, rng);
  const size_t ns = static_cast<size_t>(c.dirs) * c.B * c.H;
  reference::TrainOutputs<double> dout;
  if (c.want_y) {
    auto v = randv<float>(rng, c.T * ns, 1.0);
    dout.Y.assign(v.begin(), v.end());
  }
  if (c.want_yh) {
    auto v = randv<float>(rng, ns, 1.0);
    dout.Yh.assign(v.begin(), v.end());
    if (c.cell == Cell::LSTM) {
      auto w = randv<float>(rng, ns, 1.0);
      dout.Yc.assign(w.begin(), w.end());
    }
  }
  const auto ref_out = reference::train_forward(s, tc);
  const auto ref = reference::train_backward(s, tc, dout);

  const auto W = to_f(tc.W), R = to_f(tc.R), Bv = to_f(tc.B), X = to_f(tc.X), h0 = to_f(tc.h0), c0 = to_f(tc.c0);
  const auto dY = to_f(dout.Y), dYh = to_f(dout.Yh), dYc = to_f(dout.Yc);
  RnnWeights w{W.data(), R.data(), c.bias ? Bv.data() : nullptr, nullptr};
  RnnInputs in;
  in.X = X.data();
  in.seq_len = c.T;
  in.batch = c.B;
  in.seq_lens = c.lens ? tc.lens.data() : nullptr;
  in.initial_h = c.init ? h0.data() : nullptr;
  in.initial_c = c.init && c.cell == Cell::LSTM ? c0.data() : nullptr;
  RnnTrainer tr(s);
  std::vector<float> saved(tr.saved_floats(c.T, c.B), 5.f), Y(c.T * ns, 7.f), Yh(ns, 7.f), Yc(ns, 7.f);
  tr.forward(w, in, RnnOutputs{Y.data(), Yh.data(), c.cell == Cell::LSTM ? Yc.data() : nullptr}, saved.data(), c.threads);
  const size_t G = s.gates();
  std::vector<float> dX(X.size(), 9.f), dW(W.size(), 9.f), dR(R.size(), 9.f), dB(ns / c.B * 2 * G, 9.f),
      dH0(ns, 9.f), dC0(ns, 9.f);
  TrainGradInputs gi{c.want_y ? dY.data() : nullptr, c.want_yh ? dYh.data() : nullptr,
                     c.want_yh && c.cell == Cell::LSTM ? dYc.data() : nullptr};
  tr.backward(w, in, saved.data(), gi, TrainGradOutputs{dX.data(), dW.data(), dR.data(), dB.data(), dH0.data(), dC0.data()},
              c.threads);

  double worst = 0;
  auto cmp = [&](const char* name, const std::vector<float>& a, const std::vector<double>& b, double atol) {
    const double e = worst_error(a, b, atol, 1e-4);
    if (e > worst) {
      worst = e;
      where = name;
    }
  };
  cmp("Y", Y, ref_out.Y, 1e-5);
  cmp("Y_h", Yh, ref_out.Yh, 1e-5);
  if (c.cell == Cell::LSTM) cmp("Y_c", Yc, ref_out.Yc, 1e-5);
  // Gradients sum over T * B terms: an absolute tolerance that grows with it.
  const double ga = 2e-5 * std::sqrt(static_cast<double>(c.T) * c.B) * std::sqrt(static_cast<double>(c.H + c.I));
  cmp("dX", dX, ref.dX, ga);
  cmp("dW", dW, ref.dW, ga);
  cmp("dR", dR, ref.dR, ga);
  cmp("dB", dB, ref.dB, ga);
  cmp("dH0", dH0, ref.dH0, ga);
  if (c.cell == Cell::LSTM) cmp("dC0", dC0, ref.dC0, ga);
  return worst;
}

// The reference backward against central differences of the reference forward, in double.
double check_finite_differences(const TCase& c, std::mt19937& rng, std::string& where) {
  const RnnSpec s = make_spec(c);
  auto tc = make_case(c, s, rng);
  const size_t ns = static_cast<size_t>(c.dirs) * c.B * c.H;
  reference::TrainOutputs<double> dout;
  dout.Y = randv<double>(rng, c.T * ns, 1.0);
  dout.Yh = randv<double>(rng, ns, 1.0);
  if (c.cell == Cell::LSTM) dout.Yc = randv<double>(rng, ns, 1.0);
  if (tc.h0.empty()) tc.h0.assign(ns, 0.0);
  if (c.cell == Cell::LSTM && tc.c0.empty()) tc.c0.assign(ns, 0.0);
  if (tc.B.empty()) tc.B.assign(static_cast<size_t>(c.dirs) * 2 * s.gates() * c.H, 0.0);
  const auto g = reference::train_backward(s, tc, dout);
  auto loss = [&]() {
    const auto o = reference::train_forward(s, tc);
    double l = 0;
    for (size_t i = 0; i < o.Y.size(); ++i) l += o.Y[i] * dout.Y[i];
    for (size_t i = 0; i < o.Yh.size(); ++i) l += o.Yh[i] * dout.Yh[i];
    for (size_t i = 0; i < o.Yc.size(); ++i) l += o.Yc[i] * dout.Yc[i];
    return l;
  };
  double worst = 0;
  auto check = [&](const char* name, std::vector<double>& x, const std::vector<double>& grad) {
    for (size_t i = 0; i < x.size(); ++i) {
      const double keep = x[i], eps = 1e-6;
      x[i] = keep + eps;
      const double lp = loss();
      x[i] = keep - eps;
      const double lm = loss();
      x[i] = keep;
      const double fd = (lp - lm) / (2 * eps);
      const double e = std::fabs(fd - grad[i]) / (1e-7 + 1e-5 * std::fabs(fd));
      if (!(e <= worst)) {
        worst = std::isnan(e) ? 1e30 : e;
        where = name;
      }
    }
  };
  check("W", tc.W, g.dW);
  check("R", tc.R, g.dR);
  check("B", tc.B, g.dB);
  check("X", tc.X, g.dX);
  check("initial_h", tc.h0, g.dH0);
  if (c.cell == Cell::LSTM) check("initial_c", tc.c0, g.dC0);
  return worst;
}

double check_sgemm(std::mt19937& rng, bool ta, bool tb, int M, int N, int K, int threads) {
  const auto A = randv<float>(rng, static_cast<size_t>(M) * K, 1.0), B = randv<float>(rng, static_cast<size_t>(K) * N, 1.0);
  auto C = randv<float>(rng, static_cast<size_t>(M) * N, 1.0);
  const float alpha = 0.75f, beta = -0.5f;
  std::vector<double> want(C.size());
  for (int i = 0; i < M; ++i)
    for (int j = 0; j < N; ++j) {
      double acc = 0;
      for (int k = 0; k < K; ++k)
        acc += static_cast<double>(ta ? A[static_cast<size_t>(k) * M + i] : A[static_cast<size_t>(i) * K + k]) *
               (tb ? B[static_cast<size_t>(j) * K + k] : B[static_cast<size_t>(k) * N + j]);
      want[static_cast<size_t>(i) * N + j] = alpha * acc + beta * static_cast<double>(C[static_cast<size_t>(i) * N + j]);
    }
  sgemm(ta, tb, M, N, K, alpha, A.data(), ta ? M : K, B.data(), tb ? K : N, beta, C.data(), N, threads);
  return worst_error(C, want, 1e-5 * std::sqrt(static_cast<double>(K) + 1), 1e-4);
}

}  // namespace

namespace gatedrnn_test {

void run_train_tests(int& passed, int& failed) {
  std::mt19937 rng(4321);
  auto record = [&](bool ok, const std::string& what) {
    if (ok) {
      ++passed;
    } else {
      ++failed;
      std::printf("FAIL %s\n", what.c_str());
    }
  };
  // The reference backward against finite differences: once, it has no ISA.
  int fd = 0;
  for (int cell = 0; cell < 4; ++cell) {
    for (int variant = 0; variant < 3; ++variant) {
      TCase c{};
      c.cell = cell_of(cell);
      c.lbr = cell == 1;
      c.T = 3 + variant;
      c.B = 2;
      c.I = 3;
      c.H = 2 + variant;
      c.dirs = variant == 2 ? 2 : 1;
      c.reverse = variant == 1;
      c.lens = variant != 0;
      c.init = variant != 2;
      c.bias = variant != 1;
      c.layout = variant == 1 ? 1 : 0;
      std::string where;
      const double e = check_finite_differences(c, rng, where);
      record(e <= 1.0, "finite differences cell=" + std::to_string(cell) + " variant=" + std::to_string(variant) +
                           ": d" + where + " off by " + std::to_string(e) + " x tolerance");
      ++fd;
    }
  }
  std::printf("train reference vs finite differences: %d cases\n", fd);

  const int hs[] = {1, 5, 16, 17, 33, 131};  // 131: 9 blocks, more than one step tile
  for (const std::string& isa : supported_isas()) {
    select_isa(isa);
    int n = 0;
    for (int cell = 0; cell < 4; ++cell) {
      for (int hi = 0; hi < 6; ++hi) {
        for (int variant = 0; variant < 4; ++variant) {
          TCase c{};
          c.cell = cell_of(cell);
          c.lbr = cell == 1;
          c.H = hs[hi];
          c.I = hs[(hi + 2) % 6] + 2;
          // 9 and 13 rows: enough for the forward pass to split the batch on 2 and 3 threads.
          c.B = (hi + variant) % 4 == 3 ? 9 + 4 * (variant % 2) : 1 + (hi + variant) % 5;
          c.T = 1 + (hi * 3 + variant * 5) % 9;
          c.dirs = variant == 3 ? 2 : 1;
          c.reverse = variant == 1;
          c.lens = variant >= 2;
          c.init = variant != 0;
          c.bias = variant != 1;
          c.want_y = variant != 2;
          c.want_yh = variant != 0;
          c.layout = variant == 2 || (variant == 3 && hi % 2) ? 1 : 0;
          c.threads = 1 + (hi + variant) % 3;
          std::string where;
          const double e = check_fast(c, rng, where);
          record(e <= 1.0, "isa=" + isa + " train cell=" + std::to_string(cell) + " H=" + std::to_string(c.H) +
                               " variant=" + std::to_string(variant) + ": " + where + " off by " + std::to_string(e) +
                               " x tolerance");
          ++n;
        }
      }
    }
    // More than one K block (256 rows) in the weight-gradient GEMMs.
    for (int cell = 0; cell < 4; ++cell) {
      TCase c{};
      c.cell = cell_of(cell);
      c.lbr = cell == 1;
      c.T = 70;
      c.B = 5;
      c.I = 9;
      c.H = 17;
      c.dirs = 2;
      c.lens = c.init = c.bias = c.want_y = c.want_yh = true;
      c.layout = cell % 2;
      c.threads = 2;
      std::string where;
      const double e = check_fast(c, rng, where);
      record(e <= 1.0, "isa=" + isa + " train long cell=" + std::to_string(cell) + ": " + where + " off by " +
                           std::to_string(e) + " x tolerance");
      ++n;
    }
    const int shapes[][3] = {{1, 1, 1}, {5, 17, 3}, {33, 40, 300}, {70, 19, 513}};
    for (int ta = 0; ta < 2; ++ta)
      for (int tb = 0; tb < 2; ++tb)
        for (const auto& sh : shapes) {
          const double e = check_sgemm(rng, ta, tb, sh[0], sh[1], sh[2], 1 + (sh[0] % 3));
          record(e <= 1.0, "isa=" + isa + " sgemm transA=" + std::to_string(ta) + " transB=" + std::to_string(tb) +
                               " M=" + std::to_string(sh[0]) + ": off by " + std::to_string(e) + " x tolerance");
          ++n;
        }
    std::printf("isa %s: %d training cases\n", isa.c_str(), n);
  }
}

}  // namespace gatedrnn_test
