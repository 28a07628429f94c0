// The CUDA interface in a build without GATEDRNN_CUDA: it says so, and constructing an operator
// throws, so the addon and the TypeScript layer need no #ifdefs.
#include <stdexcept>

#include "cuda_rnn.h"

namespace gatedrnn {
namespace cuda {

struct CudaRnn::Impl {};

DeviceInfo device_info() {
  DeviceInfo info;
  info.error = "this addon was built without GATEDRNN_CUDA=ON";
  return info;
}

CudaRnn::CudaRnn(const RnnSpec& spec, const RnnWeights&) : spec_(spec) {
  throw std::runtime_error(
      "device 'cuda' needs a build with GATEDRNN_CUDA=ON (npm run build:cuda); this addon was built without it");
}

CudaRnn::~CudaRnn() = default;

size_t CudaRnn::device_bytes() const { return 0; }

void CudaRnn::forward(const RnnInputs&, const RnnOutputs&) const {
  throw std::runtime_error("this addon was built without GATEDRNN_CUDA=ON");
}

}  // namespace cuda
}  // namespace gatedrnn
