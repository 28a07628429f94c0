// The arrays a call returns: memory that V8 allocates and frees, written in place by the native code.
#pragma once

#include <napi.h>

#include <cstddef>

#include "args.h"
#include "rnn/rnn_forward.h"

namespace gatedrnn {
namespace napi {

// An output array whose memory V8 allocates and frees, written in place by the native code. An
// array over natively allocated memory is freed by a finalizer, and Node runs those from the event
// loop: a synchronous loop of run() calls then holds every output it ever made (1.5 GB after 6,000
// calls with a 256 KiB Y), and every new output's pages fault in afresh (a fifth of the time of a
// 1000x1x64 call). Allocated on the JS thread, before an asynchronous call is queued.
class JsFloats {
 public:
  // Throws std::bad_alloc when the memory is not there. Not zero-filled unless asked.
  void allocate(Napi::Env env, size_t n, bool zero = false);

  float* data() const { return data_; }

  // The Float32Array over the memory, or undefined when none was allocated.
  Napi::Value to_js(Napi::Env env) const;

 private:
  static constexpr size_t kProbeBytes = 16u << 20, kLine = 64;
  Napi::ObjectReference ref_;
  float* data_ = nullptr;
  size_t n_ = 0, offset_ = 0;
};

// One call's outputs.
struct CallOutputs {
  JsFloats y, yh, yc;

  // On the JS thread.
  RnnOutputs allocate(Napi::Env env, const RnnSpec& s, const CallInputs& call);
  RnnOutputs views() const { return RnnOutputs{y.data(), yh.data(), yc.data()}; }
  Napi::Object to_js(Napi::Env env) const;
};

}  // namespace napi
}  // namespace gatedrnn
