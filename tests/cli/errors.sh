#!/usr/bin/env bash
# Failures a user can cause: non-zero exit (1 for inputs, 2 for the command line), a
# message on stderr naming the file, nothing half-written; unsupported models explained.
# shellcheck source=lib/common.bash
source "$(dirname "$0")/lib/common.bash"
CNN="$MODELS/digits/digits_cnn.onnx"
X8="$MODELS/digits/digits_test_x8.npy"

# Missing files.
expect_exit 1 "$TESSERA" inspect "$WORK/missing.onnx"
expect_grep "$ERR" 'missing\.onnx' "stderr"
expect_exit 1 "$TESSERA" run "$CNN" --input "$WORK/missing.npy"
expect_grep "$ERR" 'missing\.npy' "stderr"

# Corrupt files: a truncated model, text posing as a model, a model posing as .npy.
head -c 3000 "$CNN" >"$WORK/truncated.onnx"
expect_exit 1 "$TESSERA" inspect "$WORK/truncated.onnx"
expect_grep "$ERR" 'truncated\.onnx' "stderr"
echo "not a model" >"$WORK/text.onnx"
expect_exit 1 "$TESSERA" run "$WORK/text.onnx" --input "$X8"
expect_grep "$ERR" 'text\.onnx' "stderr"
expect_exit 1 "$TESSERA" run "$CNN" --input "$CNN"
expect_grep "$ERR" 'digits_cnn\.onnx' "stderr"
expect_no_grep "$ERR" 'internal error' "stderr"

# Data of the wrong shape for the model: 16x16 images into the 8x8 CNN.
expect_exit 1 "$TESSERA" run "$CNN" --input "$MODELS/digits/digits_test_x16.npy" --output "$WORK/never.npy"
[ -s "$ERR" ] || fail "no message for a shape mismatch"
[ ! -e "$WORK/never.npy" ] || fail "an output was written despite the error"

# Command-line mistakes exit 2.
expect_exit 2 "$TESSERA"
expect_exit 2 "$TESSERA" frobnicate
expect_grep "$ERR" "unknown command 'frobnicate'" "stderr"
expect_exit 2 "$TESSERA" run "$CNN"
expect_grep "$ERR" '--input' "stderr"
expect_exit 2 "$TESSERA" eval "$CNN" --data "$X8" --labels "$X8" --batch 0
expect_exit 2 "$TESSERA" inspect "$CNN" --no-such-flag

# An unsupported model (Silero VAD: LSTM inside If): a plain inspect fails and points at
# --supported; --supported lists every blocking node with its reason, before anything
# else is tried.
VAD="$MODELS/unsupported/silero_vad_legacy.onnx"
expect_exit 1 "$TESSERA" inspect "$VAD"
expect_grep "$ERR" 'silero_vad_legacy\.onnx' "stderr"
expect_grep "$ERR" 'LSTM' "stderr"
expect_grep "$ERR" "tessera inspect --supported" "stderr"
expect_exit 0 "$TESSERA" inspect "$VAD" --supported
expect_grep "$OUT" '^LSTM_[0-9]+ +LSTM +unsupported +recurrent' "support report"
expect_grep "$OUT" '^If_[0-9]+ +If +unsupported +control flow' "support report"
expect_grep "$OUT" 'verdict: NOT supported' "support report"
expect_exit 0 "$TESSERA" inspect "$VAD" --supported --json
expect_grep "$OUT" '"supported": false' "JSON support report"
expect_grep "$OUT" '"op": "LSTM"' "JSON support report"
expect_exit 1 "$TESSERA" run "$VAD" --input "$X8"
expect_grep "$ERR" 'silero_vad_legacy\.onnx' "stderr"

# A supported model passes the check.
expect_exit 0 "$TESSERA" inspect "$CNN" --supported
expect_grep "$OUT" 'verdict: every node can be placed' "support report"
echo "errors: ok"
