#!/usr/bin/env bash
# `tessera inspect` on bundled models: layer count, parameter and MAC totals against
# numbers derived by hand from each architecture (see comments), and the JSON form.
# shellcheck source=lib/common.bash
source "$(dirname "$0")/lib/common.bash"

# digits_cnn: Conv(1->16, 3x3)+ReLU, Conv(16->32, 3x3)+ReLU, MaxPool, Flatten, Gemm(512->10).
# params: 16*9+16 = 160, 32*16*9+32 = 4,640, 512*10+10 = 5,130 -> 9,930 (the training
# script's count). MACs at batch 1 on 8x8: 16*64*9 = 9,216; 32*64*144 = 294,912; 5,120.
expect_exit 0 "$TESSERA" inspect "$MODELS/digits/digits_cnn.onnx"
expect_grep "$OUT" '^total: 7 layers, 9,930 parameters,' "digits_cnn totals"
expect_grep "$OUT" 'Conv +\[1,1,8,8\] +\[1,16,8,8\] +160 +9,216 +analog' "digits_cnn conv1 row"
expect_grep "$OUT" 'Conv +\[1,16,8,8\] +\[1,32,8,8\] +4,640 +294,912 +analog' "digits_cnn conv2 row"
expect_grep "$OUT" 'Gemm +\[1,512\] +\[1,10\] +5,130 +5,120 +analog' "digits_cnn fc row"
expect_grep "$OUT" '^placement: 3 analog, 4 digital, 0 unsupported' "digits_cnn placement"
[ "$(grep -Ec '^ +[0-9]+  ' "$OUT")" -eq 7 ] || fail "digits_cnn: expected 7 layer rows"

# --batch scales activations and MACs, not parameters: conv1 at batch 4 = 4 * 9,216.
expect_exit 0 "$TESSERA" inspect "$MODELS/digits/digits_cnn.onnx" --batch 4
expect_grep "$OUT" 'Conv +\[4,1,8,8\] +\[4,16,8,8\] +160 +36,864 +analog' "batch-4 conv1 row"
expect_grep "$OUT" '^total: 7 layers, 9,930 parameters,' "batch-4 totals"

# mnist_lenet: 62,558 parameters (training script's count; no BatchNorm in it).
expect_exit 0 "$TESSERA" inspect "$MODELS/mnist/mnist_lenet.onnx"
expect_grep "$OUT" ' 62,558 parameters' "mnist_lenet parameters"

# mnist_wide: torch counts 2,758,890 trainable parameters, 960 of them BatchNorm scale and
# shift; the export folds each BN into its bias-free conv as a 480-element bias. The file
# thus holds Conv 1->32 (320), 32->64 (18,496), 64->128 (73,856), 128->256 (295,168),
# Gemm 2304->1024 (2,360,320), 1024->10 (10,250) = 2,758,410.
expect_exit 0 "$TESSERA" inspect "$MODELS/mnist/mnist_wide.onnx"
expect_grep "$OUT" '^total: 15 layers, 2,758,410 parameters,' "mnist_wide totals"

# JSON: one object per layer, totals equal to the table's.
expect_exit 0 "$TESSERA" inspect "$MODELS/digits/digits_cnn.onnx" --json
[ "$(grep -c '"op":' "$OUT")" -eq 7 ] || fail "JSON: expected 7 layers"
expect_grep "$OUT" '"params": 9930' "JSON totals"
expect_grep "$OUT" '"analog": 3' "JSON placement counts"

# --optimize shows the graph after the cleanup passes: ReLUs fused into the convs.
expect_exit 0 "$TESSERA" inspect "$MODELS/digits/digits_cnn.onnx" --optimize
expect_grep "$OUT" '^total: 5 layers, 9,930 parameters,' "optimized totals"
expect_grep "$OUT" 'Conv\+Relu' "fused conv row"
# --passes runs exactly the named passes: FuseActivation alone fuses the same two ReLUs;
# EliminateIdentity alone leaves the graph as imported (7 layers). --pass-log shows each run.
expect_exit 0 "$TESSERA" inspect "$MODELS/digits/digits_cnn.onnx" --optimize --passes FuseActivation --pass-log
expect_grep "$OUT" '^total: 5 layers, 9,930 parameters,' "FuseActivation-only totals"
expect_grep "$OUT" '^FuseActivation +round 1 +changed +7 -> 5 +nodes' "pass log: fusion round"
expect_grep "$OUT" '^FuseActivation +round 2 +unchanged +5 -> 5 +nodes' "pass log: quiet round"
expect_no_grep "$OUT" '^ConstantFolding' "pass log: only the named pass ran"
expect_exit 0 "$TESSERA" inspect "$MODELS/digits/digits_cnn.onnx" --optimize --passes EliminateIdentity
expect_grep "$OUT" '^total: 7 layers,' "EliminateIdentity-only totals"
expect_exit 1 "$TESSERA" inspect "$MODELS/digits/digits_cnn.onnx" --optimize --passes FoldBN
expect_grep "$ERR" "unknown pass 'FoldBN'; known passes: .*FoldBatchNorm" "unknown pass error"
# --provenance says what became of each removed node (the studio's Show As Imported mapping):
# 7 file nodes, 5 after the cleanup, so 2 records; the same graph as plain --optimize.
expect_exit 0 "$TESSERA" inspect "$MODELS/digits/digits_cnn.onnx" --optimize --provenance
expect_grep "$OUT" '^total: 5 layers, 9,930 parameters,' "provenance: same optimized totals"
expect_grep "$OUT" '^provenance \(2 nodes removed\):' "provenance: count"
expect_grep "$OUT" '^  /Relu \(Relu\) -> /conv1/Conv: fused into /conv1/Conv as its activation' "provenance: fused ReLU"
expect_exit 0 "$TESSERA" inspect "$MODELS/digits/digits_cnn.onnx" --optimize --provenance --json
expect_grep "$OUT" '"became": "/conv2/Conv"' "provenance JSON: survivor"
expect_grep "$OUT" '"pass": "FuseActivation"' "provenance JSON: pass"
expect_exit 2 "$TESSERA" inspect "$MODELS/digits/digits_cnn.onnx" --provenance
expect_exit 2 "$TESSERA" inspect "$MODELS/digits/digits_cnn.onnx" --passes FuseActivation
expect_exit 0 "$TESSERA" inspect --list-passes
for pass in ConstantFolding EliminateIdentity FoldBatchNorm FuseActivation DeadCodeElimination; do
    expect_grep "$OUT" "^$pass +[a-z]" "--list-passes: $pass"
done
expect_grep "$OUT" '^FoldBatchNorm +folds a BatchNormalization' "--list-passes row"

echo "inspect: ok"
