#!/usr/bin/env python3
"""Writes tests/data/models/fixedbatch/*.onnx: digits_cnn.onnx (input [N,1,8,8]) exported
with a FIXED batch, as torch.onnx.export does unless told otherwise.
  digits_cnn_b1.onnx          batch 1, Flatten: re-batchable (the graph re-infers at any batch)
  digits_cnn_b1_reshape.onnx  batch 1, Flatten replaced by Reshape to a constant [1, 512]:
                              runs only at batch 1
  digits_cnn_b4_reshape.onnx  batch 4, Reshape to a constant [4, 512]: runs only at batch 4
Needs only protoc and the onnx.proto of Debian's libonnx-dev (no Python onnx package).
Usage: scripts/make_fixed_batch_models.py (from the repository root)."""
import subprocess

SRC = "tests/data/models/digits/digits_cnn.onnx"
OUT = "tests/data/models/fixedbatch/"
PROTO = ["protoc", "-I/usr/include", "onnx/onnx.proto"]

FLATTEN = """    op_type: "Flatten"
    attribute {
      name: "axis"
      i: 1
      type: INT
    }"""


def variant(text, batch, reshape):
    text = text.replace('dim_param: "N"', "dim_value: %d" % batch)
    if reshape:
        assert FLATTEN in text
        text = text.replace('    input: "/pool/MaxPool_output_0"\n',
                            '    input: "/pool/MaxPool_output_0"\n    input: "flat_shape"\n')
        text = text.replace(FLATTEN, '    op_type: "Reshape"')
        text = text.replace('  name: "torch_jit"\n',
                            '  name: "torch_jit"\n  initializer {\n    dims: 2\n    data_type: 7\n'
                            '    int64_data: %d\n    int64_data: 512\n    name: "flat_shape"\n  }\n' % batch)
    return text


def main():
    with open(SRC, "rb") as f:
        text = subprocess.run(PROTO + ["--decode=onnx.ModelProto"], input=f.read(), capture_output=True,
                              check=True).stdout.decode("latin-1")
    for name, batch, reshape in [("digits_cnn_b1", 1, False), ("digits_cnn_b1_reshape", 1, True),
                                 ("digits_cnn_b4_reshape", 4, True)]:
        data = subprocess.run(PROTO + ["--encode=onnx.ModelProto"], input=variant(text, batch, reshape).encode("latin-1"),
                              capture_output=True, check=True).stdout
        with open(OUT + name + ".onnx", "wb") as f:
            f.write(data)
        print("wrote", OUT + name + ".onnx", len(data), "bytes")


if __name__ == "__main__":
    main()
