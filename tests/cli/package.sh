#!/usr/bin/env bash
# `tessera package info|disasm`: a deployment package (tests/data/packages/tiny_v2.tpkg, the
# hand-built fixture of tests/core/PackageFixture.h) is summarized and disassembled; a
# damaged file, a file that is not a package and a package for another target fail with
# exit 1 and one line naming the file.
# shellcheck source=lib/common.bash
source "$(dirname "$0")/lib/common.bash"
PKG="$DATA/packages/tiny_v2.tpkg"

expect_exit 0 "$TESSERA" package info "$PKG"
expect_grep "$OUT" '^target +tiny \(xxh3-64:[0-9a-f]{16}\): 2 tiles, 2 arrays per tile of 8x8' "info"
expect_grep "$OUT" '^arrays used +3 of 4$' "info"
expect_grep "$OUT" '^  ARRY  arrays  [0-9]+ bytes at [0-9]+$' "info"

expect_exit 0 "$TESSERA" package disasm "$PKG"
expect_grep "$OUT" "^  0004  MVM +array=0 block=0  ; layer 'fc1' rows \[0,8\)" "disasm"
expect_exit 0 "$TESSERA" package disasm "$PKG" --tile 1
expect_grep "$OUT" "^  0000  RECV +tile=0 buffer=tensor id=1 v0=0 count=0 add=0  ; from tile 0: tensor 'hidden'$" "disasm --tile 1"
expect_no_grep "$OUT" '^tile 0:' "disasm --tile 1"
expect_exit 1 "$TESSERA" package info "$DATA/packages/tiny.tpkg"
expect_grep "$ERR" 'tiny\.tpkg: package format 1, this reader supports 2-3' "stderr (format 1)"
expect_exit 1 "$TESSERA" package disasm "$PKG" --tile 7
expect_grep "$ERR" 'tile 7 has no program \(tiles with programs: 0, 1\)' "stderr"

expect_exit 1 "$TESSERA" package info "$PKG" --target m1076
expect_grep "$ERR" "tiny_v2\.tpkg: built for target 'tiny', the device is 'm1076'" "stderr"

cp "$PKG" "$WORK/bad.tpkg"
printf '\xff' | dd of="$WORK/bad.tpkg" bs=1 seek=200 conv=notrunc status=none
expect_exit 1 "$TESSERA" package info "$WORK/bad.tpkg"
expect_grep "$ERR" '^tessera: error: .*bad\.tpkg: checksum mismatch \(file is corrupt\)$' "stderr"
head -c 100 "$PKG" >"$WORK/short.tpkg"
expect_exit 1 "$TESSERA" package disasm "$WORK/short.tpkg"
expect_grep "$ERR" "short\.tpkg: truncated at byte 100 \(section 'header' needs [0-9]+ more bytes\)" "stderr"
expect_exit 1 "$TESSERA" package info "$MODELS/digits/digits_cnn.onnx"
expect_grep "$ERR" 'digits_cnn\.onnx: not a Tessera package' "stderr"
expect_exit 2 "$TESSERA" package
echo "ok"
