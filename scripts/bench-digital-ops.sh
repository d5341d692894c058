#!/usr/bin/env bash
# Times the digital data-movement/elementwise kernels on typical activation sizes by
# calling each op's registry kernel directly (no executor copies). Linked against an
# existing build's libtessera_core.a:
#   scripts/bench-digital-ops.sh            # uses $TESSERA_BUILD_DIR or build/
set -euo pipefail

TESSERA_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${TESSERA_BUILD_DIR:-$TESSERA_ROOT/build}"
LIB="$BUILD_DIR/core/libtessera_core.a"
[[ -f "$LIB" ]] || { echo "error: $LIB not found; build tessera_core first" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cat > "$work/bench.cpp" <<'CPP'
#include "core/Executor.h"
#include "core/ShapeInference.h"
#include "core/OpRegistry.h"
#include <chrono>
#include <cstdio>
using namespace tessera;
static Tensor ints(std::vector<int64_t> v) { return Tensor::fromVector(v, {(int64_t)v.size()}); }
// Mean time of `reps` kernel calls after one warm-up call.
double timeOp(const char* label, const std::string& op, std::vector<std::pair<Tensor,bool>> ins, Attributes attrs, int reps = 20) {
    Graph g; std::vector<ValueId> in; std::vector<Tensor> feed;
    for (size_t i = 0; i < ins.size(); ++i) {
        if (!ins[i].first.isValid()) { in.push_back(kNoValue); continue; }
        if (ins[i].second) in.push_back(g.addConstant("c" + std::to_string(i), ins[i].first));
        else { in.push_back(g.addValue("x" + std::to_string(i), ins[i].first.dtype(), ins[i].first.shape())); g.markGraphInput(in.back()); feed.push_back(ins[i].first); }
    }
    ValueId y = g.addValue("y"); g.markGraphOutput(y);
    g.addNode("n", op, in, {y}, attrs);
    inferShapes(g);
    // Call the kernel directly on preallocated tensors (no executor output clone).
    const Node& node = g.node(0);
    std::vector<const Tensor*> inPtrs;
    for (size_t i = 0; i < ins.size(); ++i) inPtrs.push_back(!ins[i].first.isValid() ? nullptr : &ins[i].first);
    Tensor out(g.value(y).dtype, g.value(y).shape);
    std::vector<Tensor*> outPtrs{&out}; std::vector<float> scratch;
    KernelContext kc(node, inPtrs, outPtrs, scratch);
    node.op->kernelFn()(kc);
    auto t0 = std::chrono::steady_clock::now();
    for (int r = 0; r < reps; ++r) node.op->kernelFn()(kc);
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count() / reps;
    double mb = numElements(g.value(y).shape) * 4 / 1e6;
    std::printf("%-40s %8.3f ms  (%.1f MB out, %.2f GB/s)\n", label, ms, mb, mb / ms);
    return ms;
}
int main() {
    Tensor x(DType::Float32, {1, 64, 128, 128});
    Attributes perm; perm.set("perm", std::vector<int64_t>{0, 2, 3, 1});
    timeOp("Transpose NCHW->NHWC 1x64x128x128", "Transpose", {{x, false}}, perm);
    Attributes perm2; perm2.set("perm", std::vector<int64_t>{0, 1, 3, 2});
    timeOp("Transpose last two 1x64x128x128", "Transpose", {{x, false}}, perm2);
    Attributes ax; ax.set("axis", int64_t(1));
    timeOp("Concat 2x 1x64x128x128 axis 1", "Concat", {{x, false}, {x, false}}, ax);
    Attributes ax3; ax3.set("axis", int64_t(3));
    timeOp("Concat 2x 1x64x128x128 axis 3", "Concat", {{x, false}, {x, false}}, ax3);
    Tensor s(DType::Float32, {1, 64, 64, 64});
    Tensor sc = Tensor::fromVector<float>({1, 1, 2, 2}, {4});
    Attributes nn; nn.set("mode", std::string("nearest"));
    timeOp("Resize nearest 2x 1x64x64x64", "Resize", {{s, false}, {Tensor(), false}, {sc, true}}, nn);
    Attributes lin; lin.set("mode", std::string("linear"));
    timeOp("Resize linear 2x 1x64x64x64", "Resize", {{s, false}, {Tensor(), false}, {sc, true}}, lin);
    Attributes cub; cub.set("mode", std::string("cubic"));
    timeOp("Resize cubic 2x 1x64x64x64", "Resize", {{s, false}, {Tensor(), false}, {sc, true}}, cub);
    Tensor sm(DType::Float32, {1, 12, 197, 197});
    timeOp("Softmax 1x12x197x197 axis -1", "Softmax", {{sm, false}}, {});
    timeOp("Slice 1x64x128x128 [:, :, 1::2, :]", "Slice", {{x, false}, {ints({1}), true}, {ints({1 << 30}), true}, {ints({2}), true}, {ints({2}), true}}, {});
    Attributes pm; 
    timeOp("Pad 1x64x128x128 by 1 (constant)", "Pad", {{x, false}, {ints({0,0,1,1,0,0,1,1}), true}}, pm);
    timeOp("Add 1x64x128x128 + [64,1,1]", "Add", {{x, false}, {Tensor(DType::Float32, {64, 1, 1}), true}}, {});
    Attributes rm; rm.set("axes", std::vector<int64_t>{2, 3});
    timeOp("ReduceMean 1x64x128x128 axes 2,3", "ReduceMean", {{x, false}}, rm);
}
CPP
g++ -O2 -std=c++17 -I"$TESSERA_ROOT" -I/usr/include/eigen3 "$work/bench.cpp" "$LIB" -lonnx_proto -lprotobuf \
  -o "$work/bench"
"$work/bench"
