#!/usr/bin/env bash
# An installed Tessera: `cmake --install` into a scratch prefix, then an outside CMake
# project does find_package(Tessera) + target_link_libraries(app PRIVATE Tessera::driver),
# builds, opens the simulated device, loads a package compiled by the installed CLI and is
# refused a package built for another target.
# Usage: bash find_package.sh <tessera> <tests/data> <cmake> <build dir> <c++ compiler>
# shellcheck source=../cli/lib/common.bash
source "$(dirname "$0")/../cli/lib/common.bash"
CMAKE="${3:?usage}"
BUILD="${4:?usage}"
CXX="${5:?usage}"
PREFIX="$WORK/prefix"

expect_exit 0 "$CMAKE" --install "$BUILD" --prefix "$PREFIX"
for f in include/simulator/Driver.h include/simulator/DriverErrors.h include/core/Tensor.h \
         include/core/package/Package.h lib/libtessera_core.a lib/libtessera_simulator.a lib/libtessera_quant.a \
         lib/libtessera_compiler.a include/compiler/Compiler.h \
         lib/cmake/Tessera/TesseraConfig.cmake lib/cmake/Tessera/TesseraConfigVersion.cmake bin/tessera; do
  [ -e "$PREFIX/$f" ] || fail "not installed: $f"
done
[ ! -e "$PREFIX/include/simulator/DriverDetail.h" ] || fail "an internal header was installed"

expect_exit 0 "$PREFIX/bin/tessera" compile "$MODELS/mnist/mnist_lenet.onnx" --target m1076 -o "$WORK/lenet.tpkg"
expect_exit 0 "$PREFIX/bin/tessera" compile "$MODELS/digits/digits_cnn.onnx" --target test4 -o "$WORK/test4.tpkg"

mkdir -p "$WORK/app"
cat >"$WORK/app/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.25)
project(outside_app LANGUAGES CXX)
set(CMAKE_CXX_STANDARD 17)
find_package(Tessera 0.1 REQUIRED)
add_executable(app main.cpp)
target_link_libraries(app PRIVATE Tessera::driver)
CMAKE
cat >"$WORK/app/main.cpp" <<'CPP'
#include "simulator/Driver.h"
#include <iostream>
int main(int argc, char** argv)
{
    using namespace tessera;
    try {
        driver::Device dev = driver::Device::open("sim:m1076");
        dev.load(argv[1]);
        const driver::TensorInfo in = dev.model().inputs.at(0);
        std::cout << "input " << in.describe() << "\n";
        try {
            const driver::Frame f = dev.submit({{in.name, Tensor(DType::Float32, in.shape)}});
            const driver::Outputs y = dev.wait(f, std::chrono::seconds(30));
            std::cout << "outputs " << y.size() << "\n";
        } catch (const driver::FrameError& e) {
            std::cout << "frame " << e.frame() << ": " << driver::errorCodeName(e.code()) << "\n";
        }
        dev.load(argv[2]);
    } catch (const driver::TargetMismatchError& e) {
        std::cout << "refused: " << e.what() << "\n";
        return 0;
    }
    return 1;
}
CPP
LAUNCHER=()
if command -v ccache >/dev/null; then LAUNCHER=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
expect_exit 0 "$CMAKE" -S "$WORK/app" -B "$WORK/app/build" -DCMAKE_PREFIX_PATH="$PREFIX" \
  -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER="$CXX" "${LAUNCHER[@]}"
expect_exit 0 "$CMAKE" --build "$WORK/app/build"
expect_exit 0 "$WORK/app/build/app" "$WORK/lenet.tpkg" "$WORK/test4.tpkg"
expect_grep "$OUT" '^input input \[1,1,28,28\] float32( -> u?int8 codes.*)?$' "app output (a package compiled without --quant takes float32)"
expect_grep "$OUT" '^(outputs 1|frame 1: execution_failed)$' "app output"
expect_grep "$OUT" '^refused: .*test4\.tpkg: built for test4, the device is m1076' "app output"
echo "find_package: ok"
