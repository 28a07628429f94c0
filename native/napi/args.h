// Reading the arguments of the Node-API entry points: the spec, the weights and one call's inputs,
// as C++ values and TypedArray views. TypeScript validated them already; these re-checks are cheap
// and keep a wrong call from reading out of bounds.
//
// Every property of an argument object is read (a getter is JS and may run anything, even detach
// an array read before it) before the first pointer into an array is taken; after that no JS runs
// until the call has what it needs, so a view cannot be freed between its check and its use. A
// value that bounds memory accesses is copied, then checked, then used.
#pragma once

#include <napi.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "common/aligned.h"
#include "rnn/rnn_forward.h"

namespace gatedrnn {
namespace napi {

[[noreturn]] void throw_type(Napi::Env env, const std::string& msg);
[[noreturn]] void throw_range(Napi::Env env, const std::string& msg);

// Thread counts past this are clamped: every thread gets a workspace, so a count of 1e9 would be an
// allocation of that many workspaces, not more parallelism. (TypeScript refuses them first.)
constexpr int kMaxThreads = 1024;
int clamp_threads(double n);

int number_arg(Napi::Env env, const Napi::Value& v, const char* name);

// A Float32Array argument (or null/undefined when optional) and its element count.
struct F32View {
  const float* data = nullptr;
  size_t length = 0;
};

F32View get_f32(Napi::Env env, const Napi::Value& v, const char* name, bool optional);
void expect_length(Napi::Env env, const F32View& v, size_t expected, const char* name);

RnnSpec parse_spec(const Napi::Object& o);

// The properties of a weights object, read before any of them is looked into.
struct WeightValues {
  Napi::Value W, R, B, P;
};

WeightValues fetch_weights(const Napi::Object& w);

// The weights as views into the caller's arrays, checked against the spec. Only their lengths are
// checked, and a TypedArray's length cannot shrink under a call (a SharedArrayBuffer only grows); the
// values are floats that the arithmetic takes as they come.
RnnWeights parse_weights(Napi::Env env, const RnnSpec& s, const WeightValues& v);
RnnWeights parse_weights(Napi::Env env, const RnnSpec& s, const Napi::Object& w);

// One call's inputs: views of the caller's arrays, or (for a call that runs on another thread)
// copies that this object owns. The sequence lengths are always a copy (parse_inputs).
struct CallInputs {
  RnnInputs in;
  bool want_y = false, want_yh = false, want_yc = false;
  AlignedBuffer x, h0, c0;
  // The floats x holds when it came from a WorkspacePool (parse_inputs' x_pool), to give it back.
  size_t x_capacity = 0;
  std::vector<int32_t> lens;
};

// The properties of one call's inputs object, read before any of them is looked into.
struct InputValues {
  Napi::Value seq_len, batch, X, h0, c0, lens, want_y, want_yh, want_yc;
};

InputValues fetch_inputs(const Napi::Object& o);

// With own, X and the states are copied (for a call that computes off the JS thread); with x_pool
// too, X is copied into a buffer taken from it (the caller gives call.x back, call.x_capacity
// floats), so that a caller that repeats calls of one shape does not map fresh pages every time.
void parse_inputs(Napi::Env env, const RnnSpec& s, const InputValues& v, CallInputs& call, bool own,
                  WorkspacePool* x_pool = nullptr);
void parse_inputs(Napi::Env env, const RnnSpec& s, const Napi::Object& o, CallInputs& call, bool own);

}  // namespace napi
}  // namespace gatedrnn
