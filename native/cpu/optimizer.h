// Optimizer updates over float parameters (lib/train/optimizers.ts calls them through lib/ops).
#pragma once

#include <cstddef>
#include <cstdint>

namespace gatedrnn {

// One Adam step's constants, as the optimizer computes them in double precision.
struct AdamStep {
  double scale;  // gradient scale (global-norm clipping; 1 without)
  double decay;  // lr * weight decay (AdamW), 0 for Adam
  double c1;     // 1 - beta1
  double c2;     // 1 - beta2
  double alpha;  // lr * sqrt(1 - beta2^t) / (1 - beta1^t)
  double eps;
};

// Keras's Adam (AdamW when decay != 0) on elements [a, b) of w with gradient g and moments m, v:
//   gi = g * scale; w -= w * decay; m += (gi - m) * c1; v += (gi * gi - v) * c2;
//   w -= alpha * m / (sqrt(v) + eps)
// each step in double precision and each stored value rounded to float, exactly what the same
// lines compute in JavaScript: the results are bit-identical to them.
// On the active kernel table's form (isa.h).
void adam_update(float* w, const float* g, float* m, float* v, size_t a, size_t b, const AdamStep& s);

// The forms the tables hold: the reference loop, and AVX-512 (8 doubles a vector; x86-64 only).
void adam_update_reference(float* w, const float* g, float* m, float* v, size_t a, size_t b, const AdamStep& s);
void adam_update_avx512(float* w, const float* g, float* m, float* v, size_t a, size_t b, const AdamStep& s);

}  // namespace gatedrnn
