// Registers NativeRnn, referenceForward, backendInfo, setIsa, setBf16Native and fmaPeak.
#pragma once

#include <napi.h>

namespace gatedrnn {
namespace napi {
void init_rnn_ops(Napi::Env env, Napi::Object exports);
}
}  // namespace gatedrnn
