# Cross build for 64-bit Arm (Raspberry Pi 3/4/5 and other arm64 boards) with Debian's cross
# toolchain (crossbuild-essential-arm64) and the libraries of Debian's arm64 multiarch packages
# (libyaml-cpp-dev:arm64, ...), which live in /usr/lib/aarch64-linux-gnu beside the native ones.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)

# Search the arm64 library directories only, never the build machine's: a native libyaml-cpp.so
# found by mistake would fail at link time with a confusing "file in wrong format".
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE BOTH)
set(ENV{PKG_CONFIG_LIBDIR} "/usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig")

# Test programs (the unit tests, gtest_discover_tests) run under user-mode emulation (qemu-user-static, no
# binfmt registration). The arm64 loader and libraries come from the multiarch packages
# (/lib/ld-linux-aarch64.so.1, /usr/lib/aarch64-linux-gnu), as on a real arm64 Debian host; not
# from the cross toolchain's own copy under /usr/aarch64-linux-gnu (qemu-aarch64 -L): that libc is
# a different build of glibc, and with it the first pthread_create under qemu 7.2 never returns.
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64-static)
