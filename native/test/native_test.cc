// Standalone check of the fast forward pass against the reference, for every ISA this CPU runs,
// without Node. It is what runs under qemu for the NEON kernels and under the sanitizers.
// Exit status 0 when every case is within tolerance. Prints "N passed, M failed".
// It also runs the bf16-weight GEMM checks of bf16_test.cc and the training checks of train_test.cc.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "bf16_test.h"
#include "phase_shares_test.h"
#include "task_runner_test.h"
#include "train_test.h"
#include "cpu/isa.h"
#include "reference/rnn_reference.h"
#include "rnn/rnn_forward.h"

using namespace gatedrnn;

namespace {

struct Case {
  Cell cell;
  int T, B, I, H, dirs;
  bool reverse, lbr, peep, seq_lens, init, bias, input_forget, clip;
  int layout;
  int threads;
};

std::vector<float> randv(std::mt19937& rng, size_t n, float scale) {
  std::uniform_real_distribution<float> u(-scale, scale);
  std::vector<float> v(n);
  for (auto& x : v) x = u(rng);
  return v;
}

double run_case(const Case& c, std::mt19937& rng) {
  RnnSpec s;
  s.cell = c.cell;
  s.hidden = c.H;
  s.input = c.I;
  s.num_dirs = c.dirs;
  s.reverse = c.reverse;
  s.linear_before_reset = c.lbr;
  s.input_forget = c.input_forget;
  s.has_clip = c.clip;
  s.clip = 0.7f;
  s.layout = c.layout;
  for (int d = 0; d < 2; ++d) {
    s.acts[d][0] = {c.cell == Cell::RNN ? ActKind::Tanh : ActKind::Sigmoid, 0, 0};
    s.acts[d][1] = {ActKind::Tanh, 0, 0};
    s.acts[d][2] = {ActKind::Tanh, 0, 0};
  }
  const int G = s.gates(), D = c.dirs, H = c.H, I = c.I, T = c.T, B = c.B;
  const float ws = 1.f / std::sqrt(static_cast<float>(H));
  auto W = randv(rng, static_cast<size_t>(D) * G * H * I, ws);
  auto R = randv(rng, static_cast<size_t>(D) * G * H * H, ws);
  auto Bv = randv(rng, static_cast<size_t>(D) * 2 * G * H, 0.5f);
  auto P = randv(rng, static_cast<size_t>(D) * 3 * H, 0.5f);
  auto X = randv(rng, static_cast<size_t>(T) * B * I, 1.f);
  auto h0 = randv(rng, static_cast<size_t>(D) * B * H, 1.f);
  auto c0 = randv(rng, static_cast<size_t>(D) * B * H, 1.f);
  std::vector<int32_t> lens(B);
  for (int b = 0; b < B; ++b) lens[b] = c.seq_lens ? static_cast<int32_t>(rng() % (T + 1)) : T;

  RnnWeights w{W.data(), R.data(), c.bias ? Bv.data() : nullptr, c.peep ? P.data() : nullptr};
  RnnInputs in;
  in.X = X.data();
  in.seq_len = T;
  in.batch = B;
  in.seq_lens = c.seq_lens ? lens.data() : nullptr;
  in.initial_h = c.init ? h0.data() : nullptr;
  in.initial_c = c.init && c.cell == Cell::LSTM ? c0.data() : nullptr;

  const size_t ny = static_cast<size_t>(T) * D * B * H, ns = static_cast<size_t>(D) * B * H;
  std::vector<float> y1(ny, 7.f), yh1(ns, 7.f), yc1(ns, 7.f), y2(ny, 9.f), yh2(ns, 9.f), yc2(ns, 9.f);
  RnnOutputs ref{y1.data(), yh1.data(), c.cell == Cell::LSTM ? yc1.data() : nullptr};
  RnnOutputs fast{y2.data(), yh2.data(), c.cell == Cell::LSTM ? yc2.data() : nullptr};
  reference::rnn_forward(s, w, in, ref);
  PackedRnn packed(s, w);
  packed.forward(in, fast, c.threads);

  double worst = 0;
  auto cmp = [&](const std::vector<float>& a, const std::vector<float>& b) {
    for (size_t i = 0; i < a.size(); ++i) {
      const double err = std::fabs(static_cast<double>(a[i]) - b[i]);
      const double scaled = std::min(err / 1e-5, err / (1e-4 * std::fabs(static_cast<double>(a[i])) + 1e-30));
      if (!(scaled <= worst)) worst = std::isnan(scaled) ? 1e30 : std::max(worst, scaled);
    }
  };
  cmp(y1, y2);
  cmp(yh1, yh2);
  if (c.cell == Cell::LSTM) cmp(yc1, yc2);
  return worst;  // <= 1 means within atol 1e-5 or rtol 1e-4 everywhere
}

// ThreadChoice: tries both ways, then keeps the faster one; one slow outlier does not flip it, the
// other way is retried now and then, and a lasting change of speeds flips the choice.
bool thread_choice_works() {
  ThreadChoice tc;
  const int bucket = 14;
  auto calls = [&](int n, double split_ns, double single_ns, int outlier_at) {
    int singles = 0;
    for (int i = 0; i < n; ++i) {
      const ThreadChoice::Pick p = tc.pick(bucket);
      singles += p.single;
      // A retry's first call, untimed, would look slow (cold threads): it must not count.
      const double ns = i == outlier_at ? 20 * split_ns : p.single ? single_ns : split_ns;
      if (p.timed) tc.record(bucket, p.single, ns);
    }
    return singles;
  };
  bool ok = calls(6, 600, 900, -1) == 3;        // exploring: each way three times
  ok = ok && calls(122, 600, 900, 10) == 2;     // split is faster: calls 64 and 65 retry single
  ok = ok && calls(128, 1500, 900, -1) >= 124;  // split became slower: single from then on
  ok = ok && calls(6, 1500, 900, -1) == 4;      // calls 256 and 257 retry split
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  int passed = 0, failed = 0;
  // First, so that it sees the kernel tables as GATEDRNN_ISA and GATEDRNN_BF16 chose them at load.
  gatedrnn_test::run_bf16_tests(passed, failed);
  gatedrnn_test::run_phase_shares_tests(passed, failed);
  gatedrnn_test::run_task_runner_tests(passed, failed);
  if (thread_choice_works()) {
    ++passed;
  } else {
    ++failed;
    std::printf("FAIL thread choice: does not settle on the faster way\n");
  }
  std::mt19937 rng(1234);
  const int hs[] = {1, 3, 17, 63, 64, 65, 257};
  const int bs[] = {1, 3, 9};  // 9 rows on 2 threads: rows split 5 + 4, the 4-row tile with a tail
  const int ts[] = {1, 7, 100};
  for (const std::string& isa : supported_isas()) {
    select_isa(isa);
    int n = 0;
    for (int cell = 0; cell < 3; ++cell) {
      for (int hi = 0; hi < 7; ++hi) {
        for (int variant = 0; variant < 4; ++variant) {
          Case c{};
          c.cell = static_cast<Cell>(cell);
          c.H = hs[hi];
          c.I = hs[(hi + 3) % 7] == c.H ? c.H + 2 : hs[(hi + 3) % 7];
          c.B = bs[(hi + variant) % 3];
          c.T = ts[(hi * 3 + variant) % 3];
          if (c.H == 257 && c.T == 100) c.T = 7;  // keep the oracle quick
          c.dirs = variant == 3 ? 2 : 1;
          c.reverse = variant == 1;
          c.lbr = variant % 2 == 0;
          c.peep = variant >= 2;
          c.seq_lens = variant == 2 || variant == 3;
          c.init = variant != 0;
          c.bias = variant != 1;
          c.input_forget = variant == 1 && cell == 2;
          c.clip = variant == 2;
          c.layout = variant == 3 ? 1 : 0;
          c.threads = 1 + ((variant + hi) % 2);
          const double worst = run_case(c, rng);
          ++n;
          if (worst <= 1.0) {
            ++passed;
          } else {
            ++failed;
            std::printf("FAIL isa=%s cell=%d T=%d B=%d I=%d H=%d dirs=%d variant=%d: error %.3g x tolerance\n",
                        isa.c_str(), cell, c.T, c.B, c.I, c.H, c.dirs, variant, worst);
          }
        }
      }
    }
    std::printf("isa %s: %d cases\n", isa.c_str(), n);
  }
  gatedrnn_test::run_train_tests(passed, failed);
  std::printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
