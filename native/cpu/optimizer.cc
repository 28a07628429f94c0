#include "optimizer.h"

#include <cmath>

#include "isa.h"
#include "kernels.h"

namespace gatedrnn {

// Compiled without floating-point contraction (CMakeLists.txt): a fused multiply-add would round
// once where JavaScript rounds twice.
void adam_update_reference(float* w, const float* g, float* m, float* v, size_t a, size_t b, const AdamStep& s) {
  if (s.decay != 0.0)
    for (size_t i = a; i < b; ++i) w[i] = static_cast<float>(static_cast<double>(w[i]) - static_cast<double>(w[i]) * s.decay);
  for (size_t i = a; i < b; ++i) {
    const double gi = static_cast<double>(g[i]) * s.scale;
    const double mi = static_cast<double>(m[i]), vi = static_cast<double>(v[i]);
    const float mn = static_cast<float>(mi + (gi - mi) * s.c1);
    const float vn = static_cast<float>(vi + (gi * gi - vi) * s.c2);
    m[i] = mn;
    v[i] = vn;
    w[i] = static_cast<float>(static_cast<double>(w[i]) -
                              (s.alpha * static_cast<double>(mn)) / (std::sqrt(static_cast<double>(vn)) + s.eps));
  }
}

void adam_update(float* w, const float* g, float* m, float* v, size_t a, size_t b, const AdamStep& s) {
  active_kernels().adam(w, g, m, v, a, b, s);
}

}  // namespace gatedrnn
