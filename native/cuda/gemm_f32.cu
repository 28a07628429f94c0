// fp32 GEMM on the GPU without cuBLAS: C = A·Bᵀ (+ bias), both operands row-major with K
// contiguous, as X·Wᵀ and h·Rᵀ are. 64×64 output tiles, 16-deep K slices staged in shared memory,
// 4×4 outputs per thread. Plain and portable (no tensor cores): the recurrent kernels, not this,
// decide the speed of small batches; cuBLAS takes the input projection when the build has it.
#include "kernels.h"

#if GATEDRNN_CUBLAS
#include <cublas_v2.h>
#endif

namespace gatedrnn {
namespace cuda {
namespace {

constexpr int kTileM = 64, kTileN = 64, kTileK = 16, kGemmThreads = 256;
constexpr int kPad = 4;  // staggers the shared-memory rows across banks
constexpr size_t kGemmSmem = 2 * kTileK * (kTileM + kPad) * sizeof(float);

// Thread (ty, tx) of the 16×16 grid owns rows ty + 16i and columns tx + 16j of the tile: a warp
// then reads one or two A values (broadcast) and 16 consecutive B values per k.
__global__ void __launch_bounds__(kGemmThreads)
    sgemm_nt_f32_64x64(int M, int N, int K, const float* __restrict__ A, size_t lda, size_t stride_a,
                       const float* __restrict__ B, size_t ldb, size_t stride_b, const float* __restrict__ bias,
                       float* __restrict__ C, size_t ldc, size_t stride_c) {
  float* As = dynamic_smem();               // [kTileK][kTileM + kPad]
  float* Bs = As + kTileK * (kTileM + kPad);  // [kTileK][kTileN + kPad]
  A += blockIdx.z * stride_a;
  B += blockIdx.z * stride_b;
  C += blockIdx.z * stride_c;
  const int m0 = blockIdx.x * kTileM, n0 = blockIdx.y * kTileN;
  const int tid = threadIdx.x, ty = tid / 16, tx = tid % 16;

  float acc[4][4] = {};
  for (int k0 = 0; k0 < K; k0 += kTileK) {
    // 1024 values of each tile, 4 per thread; 16 consecutive k of a row per 16 threads.
    for (int l = 0; l < 4; ++l) {
      const int e = tid + l * kGemmThreads, row = e / kTileK, k = e % kTileK;
      const int gk = k0 + k;
      const int gm = m0 + row, gn = n0 + row;
      As[k * (kTileM + kPad) + row] = gm < M && gk < K ? A[gm * lda + gk] : 0.f;
      Bs[k * (kTileN + kPad) + row] = gn < N && gk < K ? B[gn * ldb + gk] : 0.f;
    }
    __syncthreads();
    for (int k = 0; k < kTileK; ++k) {
      float a[4], b[4];
      for (int i = 0; i < 4; ++i) a[i] = As[k * (kTileM + kPad) + ty + 16 * i];
      for (int j = 0; j < 4; ++j) b[j] = Bs[k * (kTileN + kPad) + tx + 16 * j];
      for (int i = 0; i < 4; ++i)
        for (int j = 0; j < 4; ++j) acc[i][j] = fmaf(a[i], b[j], acc[i][j]);
    }
    __syncthreads();
  }
  for (int i = 0; i < 4; ++i) {
    const int m = m0 + ty + 16 * i;
    if (m >= M) continue;
    for (int j = 0; j < 4; ++j) {
      const int n = n0 + tx + 16 * j;
      if (n < N) C[m * ldc + n] = acc[i][j] + (bias ? bias[n] : 0.f);
    }
  }
}

#if GATEDRNN_CUBLAS
// C[m][n] = bias[n], so that cuBLAS can add the product (beta = 1).
__global__ void broadcast_rows_f32(int M, int N, const float* __restrict__ bias, float* __restrict__ C) {
  const size_t i = static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i < static_cast<size_t>(M) * N) C[i] = bias[i % N];
}

void check_cublas(cublasStatus_t s, const char* what) {
  if (s != CUBLAS_STATUS_SUCCESS) throw CudaError(std::string("cuBLAS: ") + what + " failed: " + cublasGetStatusString(s));
}

// One handle per host thread (a handle is not safe to share between threads issuing at once);
// created on first use, kept for the life of the thread.
cublasHandle_t thread_handle() {
  struct Holder {
    cublasHandle_t h = nullptr;
    ~Holder() {
      if (h) cublasDestroy(h);
    }
  };
  thread_local Holder holder;
  if (!holder.h) check_cublas(cublasCreate(&holder.h), "cublasCreate");
  return holder.h;
}
#endif

}  // namespace

void sgemm_nt_f32(cudaStream_t stream, int M, int N, int K, const float* A, size_t lda, size_t stride_a, const float* B,
                  size_t ldb, size_t stride_b, const float* bias, float* C, size_t ldc, size_t stride_c, int batch) {
  if (M <= 0 || N <= 0 || batch <= 0) return;
  if ((N + kTileN - 1) / kTileN > 65535 || batch > 65535) throw CudaError("sgemm_nt_f32: N or batch too large for the grid");
  const dim3 grid((M + kTileM - 1) / kTileM, (N + kTileN - 1) / kTileN, batch);
  launch("sgemm_nt_f32_64x64", sgemm_nt_f32_64x64, grid, dim3(kGemmThreads), kGemmSmem, stream, M, N, K, A, lda,
         stride_a, B, ldb, stride_b, bias, C, ldc, stride_c);
}

void input_projection(cudaStream_t stream, int M, int N, int K, const float* X, const float* W, const float* bias,
                      float* XG) {
#if GATEDRNN_CUBLAS
  const size_t total = static_cast<size_t>(M) * N;
  launch("broadcast_rows_f32", broadcast_rows_f32, dim3(static_cast<unsigned>((total + 255) / 256)), dim3(256), 0,
         stream, M, N, bias, XG);
  // Column-major view: XGᵀ [N×M] = W [N×K] · Xᵀ [K×M], i.e. op(W as K×N col-major) = transpose.
  cublasHandle_t h = thread_handle();
  check_cublas(cublasSetStream(h, stream), "cublasSetStream");
  const float one = 1.f;
  check_cublas(cublasSgemm(h, CUBLAS_OP_T, CUBLAS_OP_N, N, M, K, &one, W, K, X, K, &one, XG, N), "cublasSgemm");
#else
  sgemm_nt_f32(stream, M, N, K, X, K, 0, W, K, 0, bias, XG, N, 0, 1);
#endif
}

}  // namespace cuda
}  // namespace gatedrnn
