// bf16 weights: the fp32 -> bf16 rounding, the panel packing, and every table's gemm_bf16 against
// gemm_bf16_reference on odd sizes (both kernels of the avx512 table where the CPU has
// AVX512_BF16: vdpbf16ps and the emulated one), plus what bf16 weights cost in accuracy.
//
// Error bounds, with S = sum_k |a_k| |w_k| per output and u = 2^-24 (fp32's unit roundoff):
//   emulated   (K + 2) u S: the products are exact (FMA) or rounded once, then K fp32 sums, against
//              a reference summed in double and rounded once;
//   vdpbf16ps  (2^-8 + (K + 2) u)(1 + 2^-8) S: A is rounded to bf16 first, which moves each a_k
//              by at most 2^-8 |a_k|; the bf16 x bf16 products are exact in fp32.
// Observed errors are far inside both (printed per kernel, in units of S).
#include "bf16_test.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "cpu/gemm_bf16.h"
#include "cpu/isa.h"

using namespace gatedrnn;

namespace gatedrnn_test {
namespace {

constexpr double kU = 1.0 / (1 << 24);    // fp32 unit roundoff
constexpr double kUBf16 = 1.0 / (1 << 8);  // bf16 unit roundoff (8 significand bits)
constexpr int kMaxRows = 9, kMaxPanels = 20;
constexpr float kSentinel = 12345.f;

uint32_t bits(float x) {
  uint32_t u;
  std::memcpy(&u, &x, 4);
  return u;
}

float from_bits(uint32_t u) {
  float x;
  std::memcpy(&x, &u, 4);
  return x;
}

struct Counter {
  int passed = 0, failed = 0;
  void check(bool ok, const char* what) {
    if (ok) {
      ++passed;
    } else {
      ++failed;
      std::printf("FAIL bf16: %s\n", what);
    }
  }
};

// Round to nearest even, ties, NaN, infinity, overflow, signed zero and denormals.
void test_rounding(Counter& t) {
  struct Case {
    uint32_t in;
    uint16_t out;
  };
  const Case cases[] = {
      {0x3f800000u, 0x3f80},  // 1
      {0x3f808000u, 0x3f80},  // 1 + 2^-8: a tie, to the even 1
      {0x3f818000u, 0x3f82},  // 1 + 3 * 2^-8: a tie, to the even 1 + 2^-6
      {0x3f808001u, 0x3f81},  // just past the tie: up
      {0x3f807fffu, 0x3f80},  // just short of it: down
      {0xbf808001u, 0xbf81},  // negative: the same, by magnitude
      {0x7f800000u, 0x7f80},  // inf
      {0xff800000u, 0xff80},  // -inf
      {0x7f7fffffu, 0x7f80},  // FLT_MAX rounds up to inf
      {0x80000000u, 0x8000},  // -0
      {0x00008000u, 0x0000},  // denormal tie, to even 0
      {0x00018000u, 0x0002},  // denormal tie, to even 2
  };
  bool ok = true;
  for (const Case& c : cases) {
    const uint16_t got = fp32_to_bf16(from_bits(c.in));
    if (got != c.out) {
      std::printf("  fp32_to_bf16(0x%08x) = 0x%04x, expected 0x%04x\n", c.in, got, c.out);
      ok = false;
    }
  }
  // Every NaN, signalling or quiet, with any sign and payload, stays NaN of the same sign.
  for (uint32_t nan : {0x7f800001u, 0x7fc00000u, 0xff800001u, 0x7f80ffffu, 0x7fffffffu}) {
    const uint16_t got = fp32_to_bf16(from_bits(nan));
    if (!std::isnan(bf16_to_fp32(got)) || (got >> 15) != (nan >> 31)) {
      std::printf("  fp32_to_bf16(0x%08x) = 0x%04x, not a NaN of the same sign\n", nan, got);
      ok = false;
    }
  }
  // Every bf16 but NaN survives a round trip; rounding moves a value by at most 2^-8 of itself.
  for (uint32_t h = 0; h < 0x10000; ++h) {
    const float f = bf16_to_fp32(static_cast<uint16_t>(h));
    if (!std::isnan(f) && fp32_to_bf16(f) != h) ok = false;
  }
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> u(-1e3f, 1e3f);
  for (int i = 0; i < 100000; ++i) {
    const float x = u(rng);
    if (std::fabs(bf16_to_fp32(fp32_to_bf16(x)) - x) > kUBf16 * std::fabs(x)) ok = false;
  }
  t.check(ok, "fp32_to_bf16 rounding");
}

// The layout of gemm_bf16.h, every element written (zeros in the padding).
void test_pack(Counter& t) {
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> u(-2.f, 2.f);
  bool ok = true;
  for (int K : {1, 2, 5, 64}) {
    for (int H : {1, 16, 17, 40}) {
      const int row0 = 3, blocks = (H + kPanel - 1) / kPanel + 1;  // one all-padding panel at the end
      std::vector<float> src(static_cast<size_t>(row0 + H + 2) * K);
      for (auto& x : src) x = u(rng);
      std::vector<uint16_t> dst(bf16_panel_elems(K) * blocks, 0xaaaa);
      pack_panels_bf16(src.data(), row0, H, K, blocks, dst.data());
      for (int b = 0; b < blocks; ++b) {
        for (int lane = 0; lane < kPanel; ++lane) {
          for (int k = 0; k < ((K + 1) & ~1); ++k) {
            const int unit = b * kPanel + lane;
            const uint16_t want = unit < H && k < K ? fp32_to_bf16(src[static_cast<size_t>(row0 + unit) * K + k]) : 0;
            const size_t at = b * bf16_panel_elems(K) + (k / 2) * 2 * kPanel + lane * 2 + (k & 1);
            if (dst[at] != want) ok = false;
          }
        }
      }
    }
  }
  t.check(ok, "pack_panels_bf16 layout and padding");
}

// One K: kMaxPanels panels, each in an allocation of exactly its size (so that the sanitizer build
// sees any read past one), and kMaxRows rows of A with lda > K; the reference and S are computed
// once for the largest shape, of which every smaller one is a corner.
struct Problem {
  int K;
  size_t lda, ldc;
  std::vector<float> A, Aabs;
  std::vector<std::vector<uint16_t>> panels, abs_panels;
  std::vector<const uint16_t*> ptrs, abs_ptrs;
  std::vector<float> ref, S;  // [kMaxRows][ldc]

  Problem(int k, std::mt19937& rng) : K(k), lda(k + 3), ldc(kMaxPanels * kPanel + 5) {
    std::uniform_real_distribution<float> u(-1.f, 1.f);
    A.resize(kMaxRows * lda);
    for (auto& x : A) x = u(rng);
    Aabs = A;
    for (auto& x : Aabs) x = std::fabs(x);
    // Units past H stay zero padding in the last panel, as in a real hidden size.
    const int H = kMaxPanels * kPanel - 5;
    std::vector<float> W(static_cast<size_t>(H) * K);
    for (auto& x : W) x = u(rng) / std::sqrt(static_cast<float>(K));
    std::vector<uint16_t> packed(bf16_panel_elems(K) * kMaxPanels);
    pack_panels_bf16(W.data(), 0, H, K, kMaxPanels, packed.data());
    for (int p = 0; p < kMaxPanels; ++p) {
      auto first = packed.begin() + p * bf16_panel_elems(K);
      panels.emplace_back(first, first + bf16_panel_elems(K));
      abs_panels.push_back(panels.back());
      for (auto& w : abs_panels.back()) w &= 0x7fff;
    }
    for (int p = 0; p < kMaxPanels; ++p) {
      ptrs.push_back(panels[p].data());
      abs_ptrs.push_back(abs_panels[p].data());
    }
    ref.assign(kMaxRows * ldc, 0.f);
    S.assign(kMaxRows * ldc, 0.f);
    gemm_bf16_reference(K, A.data(), lda, kMaxRows, ptrs.data(), kMaxPanels, ref.data(), ldc);
    gemm_bf16_reference(K, Aabs.data(), lda, kMaxRows, abs_ptrs.data(), kMaxPanels, S.data(), ldc);
  }
};

struct Kernel {
  std::string label;  // e.g. "avx512 (avx512bf16)"
  std::string isa;
  bool native;
};

// Runs `fn` on the mr x np corner of `pr`; returns the worst error in units of S (and whether C
// outside the corner, the sentinel, is untouched), or a huge number when an error exceeds `bound`
// x S.
double check_shape(GemmBf16Fn fn, const Problem& pr, int mr, int np, double bound, bool& ok) {
  std::vector<float> C(kMaxRows * pr.ldc, kSentinel);
  fn(pr.K, pr.A.data(), pr.lda, mr, pr.ptrs.data(), np, C.data(), pr.ldc);
  double worst = 0;
  for (int r = 0; r < kMaxRows; ++r) {
    for (size_t c = 0; c < pr.ldc; ++c) {
      const size_t i = r * pr.ldc + c;
      if (r >= mr || c >= static_cast<size_t>(np) * kPanel) {
        if (bits(C[i]) != bits(kSentinel)) ok = false;
        continue;
      }
      const double err = std::fabs(static_cast<double>(C[i]) - pr.ref[i]);
      if (!(err <= bound * pr.S[i])) ok = false;  // also catches NaN
      if (pr.S[i] > 0) worst = std::max(worst, err / pr.S[i]);
    }
  }
  return worst;
}

// A NaN weight makes its lane NaN in every row and nothing else; an infinite A likewise.
bool check_nan(GemmBf16Fn fn) {
  const int K = 7, np = 2, mr = 2;
  std::vector<float> W(np * kPanel * K, 0.5f);
  W[5 * K + 3] = std::nanf("");
  std::vector<uint16_t> packed(bf16_panel_elems(K) * np);
  pack_panels_bf16(W.data(), 0, np * kPanel, K, np, packed.data());
  const uint16_t* ptrs[2] = {packed.data(), packed.data() + bf16_panel_elems(K)};
  std::vector<float> A(mr * K, 1.f), C(mr * np * kPanel);
  fn(K, A.data(), K, mr, ptrs, np, C.data(), np * kPanel);
  for (int r = 0; r < mr; ++r)
    for (int c = 0; c < np * kPanel; ++c)
      if (std::isnan(C[r * np * kPanel + c]) != (c == 5)) return false;
  return true;
}

void test_gemm(Counter& t) {
  std::vector<Kernel> kernels;
  for (const std::string& isa : supported_isas()) {
    if (isa == "avx512" && bf16_native_supported()) kernels.push_back({isa + " (avx512bf16)", isa, true});
    kernels.push_back({isa + " (emulated)", isa, false});
  }
  const int Ks[] = {1, 2, 3, 17, 64, 65, 257, 512, 4099};  // 4099: the vdpbf16ps kernel's K chunks
  std::vector<double> worst(kernels.size(), 0);
  std::vector<int> cases(kernels.size(), 0);
  std::mt19937 rng(42);
  for (int K : Ks) {
    const Problem pr(K, rng);
    for (size_t ki = 0; ki < kernels.size(); ++ki) {
      const Kernel& kn = kernels[ki];
      select_isa(kn.isa);
      select_bf16_native(kn.native);
      const KernelTable& table = active_kernels();
      const double bound = kn.native ? (kUBf16 + (K + 2) * kU) * (1 + kUBf16) : (K + 2) * kU;
      bool ok = std::string(table.gemm_bf16_kind) == (kn.native ? "avx512bf16" : "emulated");
      for (int mr = 1; mr <= kMaxRows; ++mr) {
        for (int np = 1; np <= kMaxPanels; ++np) {
          if (K > 512 && !((mr == 1 || mr == 4 || mr == 5) && (np == 1 || np == 7 || np == 17))) continue;
          bool shape_ok = true;
          worst[ki] = std::max(worst[ki], check_shape(table.gemm_bf16, pr, mr, np, bound, shape_ok));
          if (!shape_ok && ok) std::printf("  %s: K=%d mr=%d np=%d out of bound or wrote outside C\n",
                                           kn.label.c_str(), K, mr, np);
          ok = ok && shape_ok;
        }
      }
      const std::string what = kn.label + ": gemm_bf16 K=" + std::to_string(K);
      t.check(ok, what.c_str());
      ++cases[ki];
    }
  }
  for (size_t ki = 0; ki < kernels.size(); ++ki) {
    select_isa(kernels[ki].isa);
    select_bf16_native(kernels[ki].native);
    t.check(check_nan(active_kernels().gemm_bf16), (kernels[ki].label + ": NaN propagation").c_str());
    std::printf("bf16 gemm %s: %d sizes, worst |C - ref| = %.2g x sum|a||w| (bound %s)\n",
                kernels[ki].label.c_str(), cases[ki], worst[ki],
                kernels[ki].native ? "(2^-8 + (K+2) 2^-24)(1 + 2^-8)" : "(K+2) 2^-24");
  }
  // Back to the defaults for whatever runs next.
  select_isa(supported_isas().front());
  select_bf16_native(bf16_native_supported());
}

// What bf16 weights cost: y = W x for a random 512 x 512 W (uniform, scale 1/sqrt(512)) and x
// (uniform in [-1, 1]), with fp32 weights (in double) against bf16 weights.
void report_accuracy(Counter& t) {
  const int n = 512, np = n / kPanel;
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  std::vector<float> W(static_cast<size_t>(n) * n), x(n);
  for (auto& w : W) w = u(rng) / std::sqrt(static_cast<float>(n));
  for (auto& v : x) v = u(rng);
  std::vector<double> exact(n);
  for (int i = 0; i < n; ++i)
    for (int k = 0; k < n; ++k) exact[i] += static_cast<double>(W[static_cast<size_t>(i) * n + k]) * x[k];
  std::vector<uint16_t> packed(bf16_panel_elems(n) * np);
  pack_panels_bf16(W.data(), 0, n, n, np, packed.data());
  std::vector<const uint16_t*> ptrs(np);
  for (int p = 0; p < np; ++p) ptrs[p] = packed.data() + p * bf16_panel_elems(n);

  auto report = [&](const char* label, GemmBf16Fn fn) {
    std::vector<float> y(n);
    fn(n, x.data(), n, 1, ptrs.data(), np, y.data(), n);
    double num = 0, den = 0, worst = 0, scale = 0;
    for (int i = 0; i < n; ++i) {
      num += (y[i] - exact[i]) * (y[i] - exact[i]);
      den += exact[i] * exact[i];
      worst = std::max(worst, std::fabs(y[i] - exact[i]));
      scale = std::max(scale, std::fabs(exact[i]));
    }
    const double rel = std::sqrt(num / den);
    std::printf("bf16 accuracy %s: 512x512 W x, relative L2 error %.2e, max |error| %.2e of max |y|\n",
                label, rel, worst / scale);
    // Rounding each weight moves it by at most 2^-8 (and by about 1e-3 on average); far more
    // means something is wrong, not imprecise.
    t.check(rel < 4 * kUBf16, (std::string("bf16 accuracy ") + label).c_str());
  };
  report("reference (bf16 W, fp32 x)", gemm_bf16_reference);
  select_bf16_native(false);
  report(("emulated " + std::string(active_kernels().name)).c_str(), active_kernels().gemm_bf16);
  if (bf16_native_supported()) {
    select_isa("avx512");
    select_bf16_native(true);
    report("avx512bf16 (bf16 W and x)", active_kernels().gemm_bf16);
  }
  select_isa(supported_isas().front());
  select_bf16_native(bf16_native_supported());
}

}  // namespace

void run_bf16_tests(int& passed, int& failed) {
  Counter t;
  // GATEDRNN_BF16=emulate must have chosen the emulated kernel at load (before anything switched).
  if (const char* forced = std::getenv("GATEDRNN_BF16"); forced && std::string(forced) == "emulate")
    t.check(std::string(active_kernels().gemm_bf16_kind) == "emulated", "GATEDRNN_BF16=emulate at load");
  test_rounding(t);
  test_pack(t);
  test_gemm(t);
  report_accuracy(t);
  std::printf("bf16: %d passed, %d failed\n", t.passed, t.failed);
  passed += t.passed;
  failed += t.failed;
}

}  // namespace gatedrnn_test
