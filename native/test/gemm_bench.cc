// Single-thread timings of the recurrent GEMM with fp32 weights against bf16 weights (emulated and,
// where the CPU has AVX512_BF16, vdpbf16ps), shaped like a recurrence: each "step" is one call over
// all panels of R, and a run is 100 steps, so weights larger than L2 stream from L3 every step.
// The engines run interleaved, round after round in one process (timings here drift between
// processes); the table shows the median and best round per step.
//
// Usage: gatedrnn_gemm_bench [isa [mr K np]...]
//   isa        the kernel table (default: the best one this CPU runs)
//   mr K np    shapes to time instead of the default ones
#include <algorithm>
#include <chrono>
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

namespace {

constexpr int kSteps = 100;
constexpr int kRounds = 9;

template <typename T>
T* aligned(size_t count) {
  void* p = nullptr;
  if (posix_memalign(&p, 64, std::max<size_t>(64, count * sizeof(T))) != 0) std::abort();
  return static_cast<T*>(p);
}

struct Shape {
  const char* label;
  int mr, K, np;
};

struct Engine {
  std::string label;
  double bytes_per_weight;
  std::vector<double> per_step;  // seconds, one entry per round
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

void run_shape(const Shape& s, const std::string& isa) {
  const size_t weights = static_cast<size_t>(s.np) * kPanel * s.K;
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> u(-1.f, 1.f);

  // The same weights in both formats, panels back to back as the forward pass stores them.
  std::vector<float> W(weights);
  for (auto& w : W) w = u(rng) * 0.05f;
  float* f32 = aligned<float>(weights);
  for (int p = 0; p < s.np; ++p)
    for (int l = 0; l < kPanel; ++l)
      for (int k = 0; k < s.K; ++k)
        f32[(static_cast<size_t>(p) * s.K + k) * kPanel + l] = W[(static_cast<size_t>(p) * kPanel + l) * s.K + k];
  uint16_t* b16 = aligned<uint16_t>(bf16_panel_elems(s.K) * s.np);
  pack_panels_bf16(W.data(), 0, s.np * kPanel, s.K, s.np, b16);
  std::vector<const float*> f32_panels(s.np);
  std::vector<const uint16_t*> b16_panels(s.np);
  for (int p = 0; p < s.np; ++p) {
    f32_panels[p] = f32 + static_cast<size_t>(p) * s.K * kPanel;
    b16_panels[p] = b16 + p * bf16_panel_elems(s.K);
  }
  float* A = aligned<float>(static_cast<size_t>(s.mr) * s.K);
  for (int i = 0; i < s.mr * s.K; ++i) A[i] = u(rng);
  const size_t ldc = static_cast<size_t>(s.np) * kPanel;
  float* C = aligned<float>(s.mr * ldc);

  select_isa(isa);
  const GemmFn fp32 = active_kernels().gemm;
  select_bf16_native(false);
  const GemmBf16Fn emulated = active_kernels().gemm_bf16;
  GemmBf16Fn native = nullptr;
  if (select_bf16_native(true) && std::string(active_kernels().gemm_bf16_kind) == "avx512bf16")
    native = active_kernels().gemm_bf16;

  std::vector<Engine> engines = {{"fp32", 4, {}}, {"bf16 emulated", 2, {}}};
  if (native) engines.push_back({"bf16 avx512bf16", 2, {}});
  auto run = [&](size_t e) {
    const auto t0 = std::chrono::steady_clock::now();
    for (int step = 0; step < kSteps; ++step) {
      if (e == 0) fp32(s.K, A, s.K, s.mr, f32_panels.data(), kPanel, s.np, C, ldc);
      else (e == 1 ? emulated : native)(s.K, A, s.K, s.mr, b16_panels.data(), s.np, C, ldc);
      // The next step depends on this one, as h(t+1) on h(t), without changing A's value.
      A[0] += C[0] * 0.f;
    }
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / kSteps;
  };
  for (size_t e = 0; e < engines.size(); ++e) run(e);  // warm-up
  for (int round = 0; round < kRounds; ++round)
    for (size_t e = 0; e < engines.size(); ++e) engines[e].per_step.push_back(run(e));

  const double flops = 2.0 * s.mr * s.K * s.np * kPanel;
  std::printf("\n%s: mr=%d K=%d np=%d (%d outputs), weights %.2f MB fp32 / %.2f MB bf16, %d steps x %d rounds\n",
              s.label, s.mr, s.K, s.np, s.np * kPanel, weights * 4e-6, weights * 2e-6, kSteps, kRounds);
  std::printf("  %-16s %10s %10s %9s %9s %8s\n", "engine", "us/step", "best us", "GB/s", "GFLOP/s", "vs fp32");
  const double base = median(engines[0].per_step);
  for (const Engine& e : engines) {
    const double t = median(e.per_step), best = *std::min_element(e.per_step.begin(), e.per_step.end());
    std::printf("  %-16s %10.2f %10.2f %9.1f %9.1f %7.2fx\n", e.label.c_str(), t * 1e6, best * 1e6,
                weights * e.bytes_per_weight / t * 1e-9, flops / t * 1e-9, base / t);
  }
  std::free(f32);
  std::free(b16);
  std::free(A);
  std::free(C);
}

}  // namespace

int main(int argc, char** argv) {
  const std::string isa = argc > 1 ? argv[1] : supported_isas().front();
  if (!select_isa(isa)) {
    std::fprintf(stderr, "gemm_bench: this CPU cannot run the %s table\n", isa.c_str());
    return 2;
  }
  std::printf("kernel table %s; vdpbf16ps kernel %s\n", isa.c_str(),
              bf16_native_supported() ? "available" : "not available on this CPU/build");
  std::vector<Shape> shapes = {
      {"GRU R, H=512, batch 1", 1, 512, 3 * 32},
      {"GRU R, H=512, batch 4", 4, 512, 3 * 32},
      {"GRU R, H=512, batch 64", 64, 512, 3 * 32},
      {"GRU R, H=256, batch 1 (fits L2)", 1, 256, 3 * 16},
  };
  if (argc > 2) {
    shapes.clear();
    for (int i = 2; i + 2 < argc; i += 3) {
      const Shape s{"custom", std::atoi(argv[i]), std::atoi(argv[i + 1]), std::atoi(argv[i + 2])};
      if (s.mr < 1 || s.K < 1 || s.np < 1) {
        std::fprintf(stderr, "gemm_bench: mr, K and np must be positive integers\n");
        return 2;
      }
      shapes.push_back(s);
    }
  }
  for (const Shape& s : shapes) run_shape(s, isa);
  return 0;
}
