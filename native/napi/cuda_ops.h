// Registers NativeCudaRnn, cudaInfo and setCudaRecurrent.
#pragma once

#include <napi.h>

namespace gatedrnn {
namespace napi {
void init_cuda_ops(Napi::Env env, Napi::Object exports);
}
}  // namespace gatedrnn
