// Registers NativePlan (plan_addon.cc) on the addon's exports.
#pragma once

#include <napi.h>

namespace gatedrnn {
void init_plan(Napi::Env env, Napi::Object exports);
}
