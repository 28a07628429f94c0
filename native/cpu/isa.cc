#include "isa.h"

#include <atomic>
#include <cstdlib>

#if (defined(__x86_64__) || defined(_M_X64)) && defined(__GNUC__)
#include <cpuid.h>
#define GATEDRNN_X86 1
#endif

namespace gatedrnn {

namespace {

#ifdef GATEDRNN_X86
unsigned long long xgetbv0() {
  unsigned eax, edx;
  __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
  return (static_cast<unsigned long long>(edx) << 32) | eax;
}

// AVX2 needs FMA too, and the OS must save YMM state; AVX-512 needs ZMM and opmask state as well.
void detect_x86(bool& avx2, bool& avx512) {
  avx2 = avx512 = false;
  unsigned a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return;
  const bool osxsave = (c >> 27) & 1, fma = (c >> 12) & 1, avx = (c >> 28) & 1;
  if (!osxsave || !avx) return;
  const unsigned long long xcr0 = xgetbv0();
  const bool ymm_os = (xcr0 & 0x6) == 0x6, zmm_os = (xcr0 & 0xe6) == 0xe6;
  if (__get_cpuid_max(0, nullptr) < 7) return;
  __cpuid_count(7, 0, a, b, c, d);
  const bool has_avx2 = (b >> 5) & 1, has_avx512f = (b >> 16) & 1;
  avx2 = ymm_os && fma && has_avx2;
  avx512 = avx2 && zmm_os && has_avx512f;
}
#endif

std::vector<const KernelTable*> runnable() {
  std::vector<const KernelTable*> out;
#ifdef GATEDRNN_X86
  bool avx2 = false, avx512 = false;
  detect_x86(avx2, avx512);
  if (avx512 && kernels_avx512()) out.push_back(kernels_avx512());
  if (avx2 && kernels_avx2()) out.push_back(kernels_avx2());
#endif
  if (kernels_neon()) out.push_back(kernels_neon());
  out.push_back(kernels_scalar());
  return out;
}

const std::vector<const KernelTable*>& runnable_cached() {
  static const std::vector<const KernelTable*> r = runnable();
  return r;
}

const KernelTable* initial() {
  const auto& r = runnable_cached();
  if (const char* forced = std::getenv("GATEDRNN_ISA")) {
    for (const KernelTable* t : r)
      if (std::string(forced) == t->name) return t;
    // An ISA this CPU lacks (or a typo) falls back to the best one rather than crashing.
  }
  return r.front();
}

std::atomic<const KernelTable*>& current() {
  static std::atomic<const KernelTable*> c{initial()};
  return c;
}

}  // namespace

const KernelTable& active_kernels() { return *current().load(std::memory_order_acquire); }

std::vector<std::string> supported_isas() {
  std::vector<std::string> names;
  for (const KernelTable* t : runnable_cached()) names.emplace_back(t->name);
  return names;
}

bool select_isa(const std::string& name) {
  for (const KernelTable* t : runnable_cached()) {
    if (name == t->name) {
      current().store(t, std::memory_order_release);
      return true;
    }
  }
  return false;
}

}  // namespace gatedrnn
