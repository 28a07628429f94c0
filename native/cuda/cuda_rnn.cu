// The GPU forward pass: weights uploaded once per operator; per call, on a stream of its own,
// the inputs go up, X·Wᵀ for all timesteps and both directions is one GEMM, the recurrence runs
// as the persistent kernel when its slices of R fit on chip (else one launch or two per step),
// and the outputs come back in the caller's layout. Every runtime call is checked; a failure is
// a CudaError with the runtime's message.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <vector>

#include "cuda_rnn.h"
#include "kernels.h"

namespace gatedrnn {
namespace cuda {
namespace {

// Destructors here release without checking: they run while unwinding, and cannot throw.

// A stream of one call, destroyed when the call ends however it ends.
class Stream {
 public:
  Stream() { GDR_CUDA_CHECK(cudaStreamCreateWithFlags(&s_, cudaStreamNonBlocking)); }
  ~Stream() { cudaStreamDestroy(s_); }
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;
  operator cudaStream_t() const { return s_; }

 private:
  cudaStream_t s_ = nullptr;
};

// Device memory carved into 256-byte aligned pieces: add() the sizes, allocate(), then at().
class Arena {
 public:
  explicit Arena(cudaStream_t stream) : stream_(stream) {}
  ~Arena() {
    if (base_) cudaFreeAsync(base_, stream_);
  }
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;

  // Reserves bytes and returns their offset.
  size_t add(size_t bytes) {
    const size_t at = size_;
    size_ += (bytes + 255) / 256 * 256;
    return at;
  }
  void allocate() { GDR_CUDA_CHECK(cudaMallocAsync(&base_, std::max<size_t>(size_, 256), stream_)); }
  template <typename T>
  T* at(size_t offset) const {
    return reinterpret_cast<T*>(static_cast<char*>(base_) + offset);
  }

 private:
  cudaStream_t stream_;
  void* base_ = nullptr;
  size_t size_ = 0;
};

int attribute(cudaDeviceAttr a, int device) {
  int v = 0;
  GDR_CUDA_CHECK(cudaDeviceGetAttribute(&v, a, device));
  return v;
}

}  // namespace

DeviceInfo device_info() {
  static const DeviceInfo info = [] {
    DeviceInfo i;
    i.built = true;
#if GATEDRNN_CUDA_EMULATE
    i.emulated = true;
#endif
    int n = 0;
    const cudaError_t err = cudaGetDeviceCount(&n);
    if (err != cudaSuccess) {
      i.error = std::string("cudaGetDeviceCount: ") + cudaGetErrorString(err);
#if !GATEDRNN_CUDA_EMULATE
      // The runtime says "insufficient driver" both when there is none and when it is too old.
      int driver = 0;
      if (err == cudaErrorInsufficientDriver && cudaDriverGetVersion(&driver) == cudaSuccess) {
        auto version = [](int v) { return std::to_string(v / 1000) + "." + std::to_string(v % 1000 / 10); };
        i.error += driver == 0 ? "; no NVIDIA driver is installed (libcuda.so.1 was not found)"
                               : "; the driver supports CUDA " + version(driver) + ", this addon was built with CUDA " +
                                     version(CUDART_VERSION);
      }
#endif
      cudaGetLastError();  // clear it, so that it does not surface in a later check
      return i;
    }
    i.devices = n;
    if (n == 0) {
      i.error = "cudaGetDeviceCount: no CUDA-capable device is detected";
      return i;
    }
    cudaDeviceProp prop;
    if (cudaGetDeviceProperties(&prop, 0) == cudaSuccess) i.name = prop.name;
    int major = 0, minor = 0;
    if (cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, 0) == cudaSuccess &&
        cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, 0) == cudaSuccess)
      i.compute_capability = std::to_string(major) + "." + std::to_string(minor);
    cudaGetLastError();
    return i;
  }();
  return info;
}

struct CudaRnn::Impl {
  int device = 0;
  DeviceLimits limits;
  // One allocation: W [D*G*H][I], R [D][G*H][H], xbias [D*G*H], rbh [D][H] (GRU), P [D][3H] (LSTM, when given).
  void* weights = nullptr;
  size_t bytes = 0;
  const float *W = nullptr, *R = nullptr, *xbias = nullptr, *rbh = nullptr, *P = nullptr;

  ~Impl() {
    if (weights) cudaFree(weights);
  }
};

CudaRnn::CudaRnn(const RnnSpec& spec, const RnnWeights& w) : spec_(spec), impl_(new Impl) {
  const std::string unsupported = unsupported_reason(spec);
  if (!unsupported.empty()) throw std::runtime_error(unsupported);
  const DeviceInfo info = device_info();
  if (info.devices < 1) throw std::runtime_error("no NVIDIA GPU was found (" + info.error + ")");
  Impl& im = *impl_;
  GDR_CUDA_CHECK(cudaSetDevice(im.device));
  im.limits.multiprocessors = attribute(cudaDevAttrMultiProcessorCount, im.device);
  im.limits.smem_per_block = attribute(cudaDevAttrMaxSharedMemoryPerBlockOptin, im.device);
  im.limits.cooperative = attribute(cudaDevAttrCooperativeLaunch, im.device) != 0;
  // Calls take their buffers with cudaMallocAsync. By default the pool hands freed memory back to
  // the driver at every synchronization, so each call would map it again; keep up to 1 GiB.
  static std::once_flag pool_once;
  std::call_once(pool_once, [&] {
    cudaMemPool_t pool;
    GDR_CUDA_CHECK(cudaDeviceGetDefaultMemPool(&pool, im.device));
    uint64_t keep = uint64_t{1} << 30;
    GDR_CUDA_CHECK(cudaMemPoolSetAttribute(pool, cudaMemPoolAttrReleaseThreshold, &keep));
  });

  const size_t D = spec.num_dirs, G = spec.gates(), H = spec.hidden, I = spec.input;
  const bool gru = spec.cell == Cell::GRU, peepholes = spec.cell == Cell::LSTM && w.P;
  // The input projection carries Wb + Rb, except for the GRU's h gate, whose Rb sits inside r ⊙ (...)
  // with linear_before_reset = 1 and beside R_h·(r ⊙ h) otherwise: the update adds it (rbh).
  std::vector<float> xbias(D * G * H, 0.f), rbh(gru ? D * H : 0, 0.f);
  if (w.B) {
    for (size_t d = 0; d < D; ++d) {
      const float* Wb = w.B + d * 2 * G * H;
      const float* Rb = Wb + G * H;
      for (size_t g = 0; g < G; ++g)
        for (size_t u = 0; u < H; ++u) {
          const bool apart = gru && g == 2;
          xbias[(d * G + g) * H + u] = Wb[g * H + u] + (apart ? 0.f : Rb[g * H + u]);
          if (apart) rbh[d * H + u] = Rb[g * H + u];
        }
    }
  }
  Arena layout(nullptr);  // only for the offsets
  const size_t oW = layout.add(D * G * H * I * sizeof(float)), oR = layout.add(D * G * H * H * sizeof(float)),
               oB = layout.add(xbias.size() * sizeof(float)), oRbh = layout.add(rbh.size() * sizeof(float)),
               oP = layout.add(peepholes ? D * 3 * H * sizeof(float) : 0), total = layout.add(0);
  GDR_CUDA_CHECK(cudaMalloc(&im.weights, total));
  im.bytes = total;
  char* base = static_cast<char*>(im.weights);
  auto put = [&](size_t offset, const float* src, size_t n) {
    if (n) GDR_CUDA_CHECK(cudaMemcpy(base + offset, src, n * sizeof(float), cudaMemcpyHostToDevice));
    return reinterpret_cast<const float*>(base + offset);
  };
  im.W = put(oW, w.W, D * G * H * I);
  im.R = put(oR, w.R, D * G * H * H);
  im.xbias = put(oB, xbias.data(), xbias.size());
  im.rbh = gru ? put(oRbh, rbh.data(), rbh.size()) : nullptr;
  im.P = peepholes ? put(oP, w.P, D * 3 * H) : nullptr;
}

CudaRnn::~CudaRnn() = default;

size_t CudaRnn::device_bytes() const { return impl_ ? impl_->bytes : 0; }

void CudaRnn::forward(const RnnInputs& in, const RnnOutputs& out) const {
  const RnnSpec& s = spec_;
  const Impl& im = *impl_;
  const int T = in.seq_len, B = in.batch, H = s.hidden, I = s.input, D = s.num_dirs, G = s.gates();
  const bool lstm = s.cell == Cell::LSTM, two_phase = !lstm && !s.linear_before_reset;
  const size_t rows = static_cast<size_t>(T) * B, state = static_cast<size_t>(D) * B * H;
  int steps = T;
  if (in.seq_lens) steps = *std::max_element(in.seq_lens, in.seq_lens + B);

  // 'auto' keeps the persistent kernel for small batches only. On an H200 (bench/RESULTS.md, GPU
  // table) the per-step kernels took 9.3-9.9 ms at 50 x 64 x 512 against 13.2-14.1 ms persistent,
  // and 12.8-13.2 ms at 100 x 32 x 512 against 13.4-14.9; at B = 16 persistent was as fast or
  // faster (4.5 vs 5.1 ms for GRU), and at B = 1 it was 3-9x faster.
  constexpr int kAutoPersistentMaxBatch = 16;
  RecurrentKernel choice = recurrent_kernel();
  if (choice == RecurrentKernel::Auto && B > kAutoPersistentMaxBatch) choice = RecurrentKernel::Step;
  PersistentPlan plan;
  if (choice != RecurrentKernel::Step) plan = plan_persistent(im.limits, G, H, B, D);
  if (choice == RecurrentKernel::Persistent && !plan.fits)
    throw std::runtime_error("the persistent recurrent kernel was asked for, but cannot run this call: " + plan.why_not);
  const bool persistent = plan.fits && choice != RecurrentKernel::Step;

  GDR_CUDA_CHECK(cudaSetDevice(im.device));
  Stream stream;
  Arena arena(stream);
  const size_t oX = arena.add(rows * I * sizeof(float)), oXG = arena.add(rows * D * G * H * sizeof(float)),
               oH = arena.add(2 * state * sizeof(float)), oC = arena.add(lstm ? state * sizeof(float) : 0),
               oRh = arena.add(two_phase ? state * sizeof(float) : 0),
               oHr = arena.add(persistent ? 0 : state * G * sizeof(float)),
               oY = arena.add(out.Y ? rows * D * H * sizeof(float) : 0),
               oLens = arena.add(in.seq_lens ? B * sizeof(int) : 0);
  arena.allocate();
  float *x = arena.at<float>(oX), *xg = arena.at<float>(oXG), *h = arena.at<float>(oH);
  float* y = out.Y ? arena.at<float>(oY) : nullptr;
  int* lens = in.seq_lens ? arena.at<int>(oLens) : nullptr;

  GDR_CUDA_CHECK(cudaMemcpyAsync(x, in.X, rows * I * sizeof(float), cudaMemcpyHostToDevice, stream));
  if (lens) GDR_CUDA_CHECK(cudaMemcpyAsync(lens, in.seq_lens, B * sizeof(int), cudaMemcpyHostToDevice, stream));
  // Initial states, from the caller's layout into [D][B][H]; zeros when absent.
  std::vector<float> h0(state, 0.f), c0(lstm ? state : 0, 0.f);
  for (int d = 0; d < D; ++d)
    for (int b = 0; b < B; ++b) {
      const size_t from = state_offset(s, B, d, b), to = (static_cast<size_t>(d) * B + b) * H;
      if (in.initial_h) std::memcpy(&h0[to], in.initial_h + from, H * sizeof(float));
      if (lstm && in.initial_c) std::memcpy(&c0[to], in.initial_c + from, H * sizeof(float));
    }
  GDR_CUDA_CHECK(cudaMemcpyAsync(h, h0.data(), state * sizeof(float), cudaMemcpyHostToDevice, stream));
  if (lstm)
    GDR_CUDA_CHECK(cudaMemcpyAsync(arena.at<float>(oC), c0.data(), state * sizeof(float), cudaMemcpyHostToDevice, stream));
  // Steps past a sequence's end are zeros in Y; the kernels write only the valid ones.
  if (y && lens) GDR_CUDA_CHECK(cudaMemsetAsync(y, 0, rows * D * H * sizeof(float), stream));

  input_projection(stream, static_cast<int>(rows), D * G * H, I, x, im.W, im.xbias, xg);

  CellParams p{};
  p.lstm = lstm;
  p.H = H;
  p.B = B;
  p.T = T;
  p.D = D;
  p.G = G;
  p.layout = s.layout;
  p.lbr = s.linear_before_reset;
  p.input_forget = s.input_forget;
  p.has_clip = s.has_clip;
  p.clip = s.clip;
  for (int d = 0; d < D; ++d) p.reversed |= s.dir_reversed(d) << d;
  p.xg = xg;
  p.rbh = im.rbh;
  p.P = im.P;
  p.lens = lens;
  p.Y = y;
  p.c = lstm ? arena.at<float>(oC) : nullptr;
  float* rh = two_phase ? arena.at<float>(oRh) : nullptr;
  if (persistent)
    run_recurrent_persistent(stream, plan, p, im.R, h, rh, steps);
  else
    run_recurrent_steps(stream, p, im.R, h, rh, arena.at<float>(oHr), steps);

  // Outputs: Y is already in the caller's layout; the states go back through [D][B][H].
  if (out.Y) GDR_CUDA_CHECK(cudaMemcpyAsync(out.Y, y, rows * D * H * sizeof(float), cudaMemcpyDeviceToHost, stream));
  const float* h_last = h + (steps & 1) * state;
  if (out.Y_h) GDR_CUDA_CHECK(cudaMemcpyAsync(h0.data(), h_last, state * sizeof(float), cudaMemcpyDeviceToHost, stream));
  if (out.Y_c)
    GDR_CUDA_CHECK(cudaMemcpyAsync(c0.data(), p.c, state * sizeof(float), cudaMemcpyDeviceToHost, stream));
  GDR_CUDA_CHECK(cudaStreamSynchronize(stream));
  for (int d = 0; d < D; ++d)
    for (int b = 0; b < B; ++b) {
      const size_t to = state_offset(s, B, d, b), from = (static_cast<size_t>(d) * B + b) * H;
      if (out.Y_h) std::memcpy(out.Y_h + to, &h0[from], H * sizeof(float));
      if (out.Y_c) std::memcpy(out.Y_c + to, &c0[from], H * sizeof(float));
    }
}

}  // namespace cuda
}  // namespace gatedrnn
