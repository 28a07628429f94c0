#include "isa.h"

#include <atomic>
#include <cstdlib>
#include <string>

#include "train_kernels.h"

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

struct X86Features {
  bool avx2 = false, avx512 = false, avx512bf16 = false;
};

// AVX2 needs FMA too, and the OS must save YMM state; AVX-512 needs ZMM and opmask state as well.
// AVX512_BF16 is CPUID.(EAX=7,ECX=1):EAX bit 5; its kernel is compiled with BW and VL too, which
// every CPU with BF16 has, but they are checked rather than assumed.
X86Features detect_x86() {
  X86Features f;
  unsigned a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return f;
  const bool osxsave = (c >> 27) & 1, fma = (c >> 12) & 1, avx = (c >> 28) & 1;
  if (!osxsave || !avx) return f;
  const unsigned long long xcr0 = xgetbv0();
  const bool ymm_os = (xcr0 & 0x6) == 0x6, zmm_os = (xcr0 & 0xe6) == 0xe6;
  if (__get_cpuid_max(0, nullptr) < 7) return f;
  __cpuid_count(7, 0, a, b, c, d);
  const unsigned max_subleaf = a;
  const bool has_avx2 = (b >> 5) & 1, has_avx512f = (b >> 16) & 1;
  const bool has_avx512bw = (b >> 30) & 1, has_avx512vl = (b >> 31) & 1;
  f.avx2 = ymm_os && fma && has_avx2;
  f.avx512 = f.avx2 && zmm_os && has_avx512f;
  if (f.avx512 && has_avx512bw && has_avx512vl && max_subleaf >= 1) {
    __cpuid_count(7, 1, a, b, c, d);
    f.avx512bf16 = (a >> 5) & 1;
  }
  return f;
}
#endif

// An instruction set's inference table and its training epilogues, always switched together.
struct Isa {
  const KernelTable* kernels = nullptr;
  const TrainKernels* train = nullptr;
};

struct Tables {
  std::vector<Isa> isas;  // what this CPU runs, best first
  Isa avx512_dpbf16;      // avx512 with the vdpbf16ps gemm_bf16, if runnable (kernels null if not)
};

Tables detect() {
  Tables t;
#ifdef GATEDRNN_X86
  const X86Features f = detect_x86();
  if (f.avx512 && kernels_avx512() && train_kernels_avx512()) {
    t.isas.push_back({kernels_avx512(), train_kernels_avx512()});
    if (f.avx512bf16 && gemm_bf16_avx512_dpbf16()) {
      // The same table but for gemm_bf16, so the hot path stays one load of the active table.
      static KernelTable dp = *kernels_avx512();
      dp.gemm_bf16 = gemm_bf16_avx512_dpbf16();
      dp.gemm_bf16_kind = "avx512bf16";
      t.avx512_dpbf16 = {&dp, train_kernels_avx512()};
    }
  }
  if (f.avx2 && kernels_avx2() && train_kernels_avx2()) t.isas.push_back({kernels_avx2(), train_kernels_avx2()});
#endif
  if (kernels_neon() && train_kernels_neon()) t.isas.push_back({kernels_neon(), train_kernels_neon()});
  t.isas.push_back({kernels_scalar(), train_kernels_scalar()});
  return t;
}

const Tables& tables() {
  static const Tables t = detect();
  return t;
}

std::atomic<bool>& bf16_native() {
  static std::atomic<bool> native{[] {
    const char* forced = std::getenv("GATEDRNN_BF16");
    return tables().avx512_dpbf16.kernels != nullptr && !(forced && std::string(forced) == "emulate");
  }()};
  return native;
}

// The entry that runs for ISA entry `t` under the current bf16 choice.
const Isa* resolve(const Isa* t) {
  const bool dp = bf16_native().load(std::memory_order_acquire) && t->kernels == kernels_avx512();
  return dp && tables().avx512_dpbf16.kernels ? &tables().avx512_dpbf16 : t;
}

const Isa* isa_named(const std::string& name) {
  for (const Isa& t : tables().isas)
    if (name == t.kernels->name) return &t;
  return nullptr;
}

const Isa* initial() {
  const char* forced = std::getenv("GATEDRNN_ISA");
  // An ISA this CPU lacks (or a typo) falls back to the best one rather than crashing.
  const Isa* t = forced ? isa_named(forced) : nullptr;
  return resolve(t ? t : &tables().isas.front());
}

std::atomic<const Isa*>& current() {
  static std::atomic<const Isa*> c{initial()};
  return c;
}

}  // namespace

const KernelTable& active_kernels() { return *current().load(std::memory_order_acquire)->kernels; }

const TrainKernels& active_train_kernels() { return *current().load(std::memory_order_acquire)->train; }

std::vector<std::string> supported_isas() {
  std::vector<std::string> names;
  for (const Isa& t : tables().isas) names.emplace_back(t.kernels->name);
  return names;
}

bool select_isa(const std::string& name) {
  const Isa* t = isa_named(name);
  if (t == nullptr) return false;
  current().store(resolve(t), std::memory_order_release);
  return true;
}

bool bf16_native_supported() { return tables().avx512_dpbf16.kernels != nullptr; }

bool select_bf16_native(bool native) {
  if (native && !bf16_native_supported()) return false;
  bf16_native().store(native, std::memory_order_release);
  current().store(resolve(isa_named(active_kernels().name)), std::memory_order_release);
  return true;
}

}  // namespace gatedrnn
