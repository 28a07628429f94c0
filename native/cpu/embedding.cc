#include "embedding.h"

#include <cstring>

namespace gatedrnn {

void embedding_gather(const float* table, const int32_t* ids, size_t n, size_t d, float* out) {
  for (size_t i = 0; i < n; ++i) std::memcpy(out + i * d, table + static_cast<size_t>(ids[i]) * d, sizeof(float) * d);
}

void embedding_scatter_add(float* grad, const int32_t* ids, size_t n, size_t d, const float* dy) {
  for (size_t i = 0; i < n; ++i) {
    float* __restrict g = grad + static_cast<size_t>(ids[i]) * d;
    const float* __restrict src = dy + i * d;
    for (size_t j = 0; j < d; ++j) g[j] += src[j];
  }
}

}  // namespace gatedrnn
