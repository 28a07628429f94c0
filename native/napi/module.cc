// The addon's module: registers each part of the Node-API surface on the exports. The parts live
// in their own translation units beside this one; none of them does arithmetic (see DESIGN.md).
#include <napi.h>

#include "cuda_ops.h"
#include "plan_ops.h"
#include "rnn_ops.h"
#include "trainer.h"

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  gatedrnn::napi::init_rnn_ops(env, exports);
  gatedrnn::napi::init_cuda_ops(env, exports);
  gatedrnn::napi::init_trainer(env, exports);
  gatedrnn::napi::init_plan_ops(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(gatedrnn_addon, Init)
