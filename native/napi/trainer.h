// Registers gemm, adamUpdate, the embedding lookups and NativeRnnTrainer.
#pragma once

#include <napi.h>

namespace gatedrnn {
namespace napi {
void init_trainer(Napi::Env env, Napi::Object exports);
}
}  // namespace gatedrnn
