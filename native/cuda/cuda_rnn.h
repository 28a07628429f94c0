// The GPU forward pass of the ONNX GRU and LSTM operators, as the addon sees it: plain C++, no
// CUDA headers. A build with GATEDRNN_CUDA=ON implements it in cuda_rnn.cu; any other build
// links cuda_off.cc, whose constructor throws and whose device_info() says CUDA was not built.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "../common/spec.h"

namespace gatedrnn {
namespace cuda {

struct DeviceInfo {
  bool built = false;     // compiled with GATEDRNN_CUDA=ON
  bool emulated = false;  // GATEDRNN_CUDA_EMULATE: the kernels run on CPU threads (tests only)
  int devices = 0;        // NVIDIA GPUs the runtime sees
  std::string name;       // of device 0
  std::string compute_capability;  // of device 0, "9.0"
  std::string error;      // why devices is 0, in the runtime's words
};

// Asked once per process (later calls return the same answer); never throws.
DeviceInfo device_info();

// Which recurrent kernel forward() uses: "auto" (the persistent kernel where it fits, else one
// launch or two per step), "persistent" (an error where it does not fit) or "step". The default
// comes from GATEDRNN_CUDA_RECURRENT; tests set it through the addon. False for an unknown name.
bool select_recurrent_kernel(const std::string& name);
enum class RecurrentKernel { Auto, Persistent, Step };
// The selected one; throws std::runtime_error for a bad GATEDRNN_CUDA_RECURRENT.
RecurrentKernel recurrent_kernel();

// Why this operator cannot run on the GPU ("" when it can): the CUDA kernels cover GRU and LSTM
// with fp32 weights and the default activations.
std::string unsupported_reason(const RnnSpec& spec);

class CudaRnn {
 public:
  // Copies the weights to device 0 (they may be freed afterwards). Throws std::runtime_error with
  // the reason when CUDA is not built, no GPU is there, the spec is unsupported or a call fails.
  CudaRnn(const RnnSpec& spec, const RnnWeights& weights);
  ~CudaRnn();
  CudaRnn(const CudaRnn&) = delete;
  CudaRnn& operator=(const CudaRnn&) = delete;

  const RnnSpec& spec() const { return spec_; }
  // Bytes of device memory the weights hold.
  size_t device_bytes() const;

  // Thread-safe: concurrent calls run on their own streams. Blocks until the outputs are on the host.
  void forward(const RnnInputs& in, const RnnOutputs& out) const;

 private:
  struct Impl;
  RnnSpec spec_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cuda
}  // namespace gatedrnn
