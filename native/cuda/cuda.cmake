# The optional CUDA operators, included by CMakeLists.txt (here, not in cmake/, because the npm
# package ships native/). Defines gatedrnn_cuda, a static library the addon links in every build:
#   default                  cuda_off.cc: backendInfo().cuda is false, device 'cuda' a clear error
#   -DGATEDRNN_CUDA=ON       the .cu files through nvcc; the CUDA runtime linked statically, so the
#                            addon still loads, and reports no GPU, where there is no driver
#   -DGATEDRNN_CUDA_EMULATE=ON  the same .cu files compiled as C++ over native/cuda/emulate.h,
#                            every CUDA thread an OS thread: runs the kernels' code where no GPU
#                            is (tests only; slow)
option(GATEDRNN_CUDA_EMULATE "Compile native/cuda as C++ that runs the kernels on CPU threads (tests only)" OFF)
option(GATEDRNN_CUBLAS "With GATEDRNN_CUDA: use cuBLAS (linked statically) for the input projection when the toolkit has it" ON)

set(GATEDRNN_CUDA_SOURCES
  native/cuda/cuda_rnn.cu
  native/cuda/gemm_f32.cu
  native/cuda/recurrent_persistent.cu
  native/cuda/recurrent_step.cu
)

if(GATEDRNN_CUDA_EMULATE)
  set_source_files_properties(${GATEDRNN_CUDA_SOURCES} PROPERTIES LANGUAGE CXX COMPILE_OPTIONS "-xc++")
  add_library(gatedrnn_cuda STATIC ${GATEDRNN_CUDA_SOURCES} native/cuda/support.cc)
  target_compile_definitions(gatedrnn_cuda PUBLIC GATEDRNN_CUDA=1 GATEDRNN_CUDA_EMULATE=1)
  target_compile_options(gatedrnn_cuda PRIVATE -O2 -Wall -Wextra -Wno-unused-parameter)
  message(STATUS "gatedrnn: CUDA kernels emulated on CPU threads (GATEDRNN_CUDA_EMULATE; for tests only)")
elseif(GATEDRNN_CUDA)
  include(CheckLanguage)
  check_language(CUDA)
  if(NOT CMAKE_CUDA_COMPILER)
    message(FATAL_ERROR "gatedrnn: GATEDRNN_CUDA=ON needs nvcc (the CUDA toolkit, 12 or newer), and CMake found none. "
                        "Put nvcc on PATH (e.g. /usr/local/cuda/bin) or set CUDACXX=/path/to/nvcc.")
  endif()
  # Data-centre GPUs get native code (sm_75 T4, sm_80 A100 and by compatibility A10/L4/RTX 30-40,
  # sm_90 H100/H200); compute_90 PTX lets newer GPUs (Blackwell) compile it at load.
  # Override with -DCMAKE_CUDA_ARCHITECTURES=... (e.g. 'native' for the GPU of the build machine).
  if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES)
    set(CMAKE_CUDA_ARCHITECTURES 75-real 80-real 90-real 90-virtual)
  endif()
  if(NOT DEFINED CMAKE_CUDA_HOST_COMPILER)
    set(CMAKE_CUDA_HOST_COMPILER ${CMAKE_CXX_COMPILER})
  endif()
  enable_language(CUDA)
  find_package(CUDAToolkit REQUIRED)
  add_library(gatedrnn_cuda STATIC ${GATEDRNN_CUDA_SOURCES} native/cuda/support.cc)
  set_target_properties(gatedrnn_cuda PROPERTIES CUDA_STANDARD 17 CUDA_STANDARD_REQUIRED ON
                        CUDA_RUNTIME_LIBRARY Static CUDA_VISIBILITY_PRESET hidden)
  # No --use_fast_math: fp32 results must stay within 1e-4 of the reference.
  target_compile_options(gatedrnn_cuda PRIVATE
    $<$<COMPILE_LANGUAGE:CUDA>:-O3 -Xcompiler=-Wall,-Wextra,-Wno-unused-parameter>
    $<$<COMPILE_LANGUAGE:CXX>:-O2 -Wall -Wextra -Wno-unused-parameter>)
  target_compile_definitions(gatedrnn_cuda PUBLIC GATEDRNN_CUDA=1)
  target_link_libraries(gatedrnn_cuda PUBLIC CUDA::cudart_static)
  if(GATEDRNN_CUBLAS AND TARGET CUDA::cublas_static)
    target_compile_definitions(gatedrnn_cuda PRIVATE GATEDRNN_CUBLAS=1)
    target_link_libraries(gatedrnn_cuda PUBLIC CUDA::cublas_static)
    message(STATUS "gatedrnn: CUDA ${CUDAToolkit_VERSION} for ${CMAKE_CUDA_ARCHITECTURES}, cuBLAS (static) for the input projection")
  else()
    message(STATUS "gatedrnn: CUDA ${CUDAToolkit_VERSION} for ${CMAKE_CUDA_ARCHITECTURES}, built-in GEMM (no cuBLAS)")
  endif()
else()
  add_library(gatedrnn_cuda STATIC native/cuda/cuda_off.cc native/cuda/support.cc)
endif()

target_include_directories(gatedrnn_cuda PUBLIC native)
target_link_libraries(gatedrnn_cuda PUBLIC Threads::Threads)
set_target_properties(gatedrnn_cuda PROPERTIES CXX_VISIBILITY_PRESET hidden)
