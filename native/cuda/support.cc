// What the CUDA kernels cover, as one rule that every build states the same way (the TypeScript
// side checks it first, with the operator's name in the message).
#include <atomic>
#include <cstdlib>
#include <stdexcept>
#include <string>

#include "cuda_rnn.h"

namespace gatedrnn {
namespace cuda {

namespace {
// -1: not chosen yet (GATEDRNN_CUDA_RECURRENT decides at the first call); else a RecurrentKernel.
std::atomic<int> chosen_kernel{-1};

int kernel_code(const std::string& name) {
  if (name.empty() || name == "auto") return static_cast<int>(RecurrentKernel::Auto);
  if (name == "persistent") return static_cast<int>(RecurrentKernel::Persistent);
  if (name == "step") return static_cast<int>(RecurrentKernel::Step);
  return -1;
}
}  // namespace

bool select_recurrent_kernel(const std::string& name) {
  const int code = kernel_code(name);
  if (code < 0) return false;
  chosen_kernel = code;
  return true;
}

RecurrentKernel recurrent_kernel() {
  int code = chosen_kernel;
  if (code < 0) {
    const char* env = std::getenv("GATEDRNN_CUDA_RECURRENT");
    code = kernel_code(env ? env : "");
    if (code < 0)
      throw std::runtime_error(std::string("GATEDRNN_CUDA_RECURRENT must be auto, persistent or step, got '") + env + "'");
    chosen_kernel = code;
  }
  return static_cast<RecurrentKernel>(code);
}

std::string unsupported_reason(const RnnSpec& s) {
  if (s.cell == Cell::RNN) return "the RNN operator is not supported on cuda (GRU and LSTM are)";
  if (s.bf16_weights) return "bf16 weights are not supported on cuda (fp32 only)";
  // f = Sigmoid, g = Tanh and (LSTM) h = Tanh for every direction; alpha and beta do not matter.
  for (int d = 0; d < s.num_dirs; ++d) {
    for (int a = 0; a < act_count(s.cell); ++a) {
      const ActKind want = a == 0 ? ActKind::Sigmoid : ActKind::Tanh;
      if (s.acts[d][a].kind != want) return "only the default activations (Sigmoid, Tanh) are supported on cuda";
    }
  }
  return "";
}

}  // namespace cuda
}  // namespace gatedrnn
