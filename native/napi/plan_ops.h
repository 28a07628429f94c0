// Registers NativePlan.
#pragma once

#include <napi.h>

namespace gatedrnn {
namespace napi {
void init_plan_ops(Napi::Env env, Napi::Object exports);
}
}  // namespace gatedrnn
