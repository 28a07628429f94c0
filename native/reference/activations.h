// Plain double-precision ONNX activation functions: the oracle's definitions, written as the
// spec states them.
#pragma once

#include <cmath>

#include "../common/spec.h"

namespace gatedrnn {
namespace reference {

inline double activate(const Act& a, double x) {
  const double al = a.alpha, be = a.beta;
  switch (a.kind) {
    case ActKind::Relu: return x > 0 ? x : (x == x ? 0.0 : x);
    case ActKind::Tanh: return std::tanh(x);
    case ActKind::Sigmoid: return 1.0 / (1.0 + std::exp(-x));
    case ActKind::Affine: return al * x + be;
    case ActKind::LeakyRelu: return x >= 0 ? x : al * x;
    case ActKind::ThresholdedRelu: return x >= al ? x : (x == x ? 0.0 : x);
    case ActKind::ScaledTanh: return al * std::tanh(be * x);
    case ActKind::HardSigmoid: {
      const double y = al * x + be;
      return y != y ? y : std::fmin(std::fmax(y, 0.0), 1.0);
    }
    case ActKind::Elu: return x >= 0 ? x : al * (std::exp(x) - 1.0);
    case ActKind::Softsign: return x / (1.0 + std::fabs(x));
    case ActKind::Softplus: return std::fmax(x, 0.0) + std::log1p(std::exp(-std::fabs(x)));  // no overflow
    default: return x;
  }
}

}  // namespace reference
}  // namespace gatedrnn
