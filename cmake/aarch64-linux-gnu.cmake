# Cross-compiling for arm64 Linux with Debian's cross toolchain (g++-aarch64-linux-gnu), so that
# the NEON kernels can be built on an x86 machine and run under qemu-user:
#   cmake -S . -B build/native-test/aarch64 -DGATEDRNN_TESTS=ON \
#         -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake
#   qemu-aarch64 -L /usr/aarch64-linux-gnu build/native-test/aarch64/gatedrnn_native_test
# scripts/native-test.sh does both.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)

set(GATEDRNN_CROSS_TRIPLE aarch64-linux-gnu)
set(CMAKE_C_COMPILER ${GATEDRNN_CROSS_TRIPLE}-gcc)
set(CMAKE_CXX_COMPILER ${GATEDRNN_CROSS_TRIPLE}-g++)

# Libraries and headers come from the cross sysroot only; programs (cmake's helpers) from the host.
set(GATEDRNN_CROSS_SYSROOT /usr/${GATEDRNN_CROSS_TRIPLE})
set(CMAKE_FIND_ROOT_PATH ${GATEDRNN_CROSS_SYSROOT})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# Lets try_run and `ctest` run target programs through user-mode emulation when it is installed.
find_program(GATEDRNN_QEMU_AARCH64 NAMES qemu-aarch64 qemu-aarch64-static)
if(GATEDRNN_QEMU_AARCH64)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${GATEDRNN_QEMU_AARCH64} -L ${GATEDRNN_CROSS_SYSROOT})
endif()
