#!/usr/bin/python3
"""Exports real-scale ONNX models for benchmarks and tests (never committed).

    /usr/bin/python3 scripts/make_real_models.py OUT_DIR

Writes into OUT_DIR, skipping every file that already exists:
  resnet50.onnx            torchvision ResNet-50, random weights, input [1,3,224,224], opset 13
  resnet50_calib.npy       64 smooth random images [64,3,224,224], float32
  mobilenet_v3_small.onnx  torchvision MobileNetV3-Small, random weights, input [1,3,224,224]
  mobilenet_v3_small_calib.npy
  transformer_encoder.onnx torch.nn.TransformerEncoder, 4 layers, d=256, 4 heads, seq 32,
                           batch 1 (input [1,32,256]). TransformerEncoder deep-copies its layer,
                           so untrained layers hold equal weights; the exporter's initializer
                           de-duplication then feeds layers 1..3 through Identity nodes, as
                           real exports of tied or repeated weights do (counted after export)
  transformer_encoder_calib.npy  64 random-normal sequences [64,32,256]
  *_x1.npy                 one sample of each calibration set, batch 1 (for `tessera run`)

Weights are random (seeded): these exports are for speed and scale, not accuracy.
Uses Debian's python3-torch / python3-torchvision / python3-onnx (scripts/make-real-models.sh
installs them).
"""
import os
import sys

import numpy as np
import onnx
import torch
import torchvision

OPSET = 13
CALIB_COUNT = 64


def log(msg):
    print(f"make-real-models: {msg}", file=sys.stderr, flush=True)


def smooth_images(count, shape, seed):
    """Low-frequency random images, ImageNet-normalized range: noise on an 8x8 grid upsampled."""
    gen = torch.Generator().manual_seed(seed)
    coarse = torch.randn((count, shape[0], 8, 8), generator=gen)
    images = torch.nn.functional.interpolate(coarse, size=shape[1:], mode="bilinear", align_corners=False)
    return images.numpy().astype(np.float32)


def export(model, example, path, input_name="input", grad=False):
    """grad=True keeps autograd on while tracing: TransformerEncoderLayer then skips its fused
    inference fast path (aten::_transformer_encoder_layer_fwd has no ONNX form)."""
    model.eval()
    with torch.set_grad_enabled(grad):
        kwargs = dict(opset_version=OPSET, input_names=[input_name], output_names=["output"], do_constant_folding=True)
        try:  # torch >= 2.5 defaults to the dynamo exporter; the TorchScript one is what most real exports used
            torch.onnx.export(model, (example,), path, dynamo=False, **kwargs)
        except TypeError:
            torch.onnx.export(model, (example,), path, **kwargs)
    onnx.checker.check_model(onnx.load(path))


def write_calib(out_dir, name, data):
    calib = os.path.join(out_dir, f"{name}_calib.npy")
    one = os.path.join(out_dir, f"{name}_x1.npy")
    if not os.path.exists(calib):
        np.save(calib, data)
        log(f"wrote {calib} {list(data.shape)}")
    if not os.path.exists(one):
        np.save(one, data[:1])


def make_vision(out_dir, name, builder, seed):
    path = os.path.join(out_dir, f"{name}.onnx")
    if not os.path.exists(path):
        torch.manual_seed(seed)
        export(builder(weights=None), torch.randn(1, 3, 224, 224), path)
        log(f"wrote {path}")
    write_calib(out_dir, name, smooth_images(CALIB_COUNT, (3, 224, 224), seed))


def identity_count(path):
    return sum(1 for n in onnx.load(path).graph.node if n.op_type == "Identity")


def make_transformer(out_dir, seed, seq=32, d_model=256, layers=4):
    name = "transformer_encoder" if layers == 4 else f"transformer_encoder_{layers}"
    path = os.path.join(out_dir, f"{name}.onnx")
    if not os.path.exists(path):
        torch.manual_seed(seed)
        layer = torch.nn.TransformerEncoderLayer(d_model, nhead=4, dim_feedforward=4 * d_model, dropout=0.0,
                                                 batch_first=True)
        model = torch.nn.TransformerEncoder(layer, num_layers=layers, enable_nested_tensor=False)
        export(model, torch.randn(1, seq, d_model), path, grad=True)
        log(f"wrote {path}")
    count = identity_count(path)
    if count == 0:
        log(f"note: {path} has no Identity nodes (this torch exporter did not emit them)")
    else:
        log(f"{path}: {count} Identity nodes (de-duplicated weights of the cloned layers)")
    gen = torch.Generator().manual_seed(seed)
    write_calib(out_dir, name, torch.randn((CALIB_COUNT, seq, d_model), generator=gen).numpy().astype(np.float32))


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else "build/real-models"
    os.makedirs(out_dir, exist_ok=True)
    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    make_vision(out_dir, "resnet50", torchvision.models.resnet50, 50)
    make_vision(out_dir, "mobilenet_v3_small", torchvision.models.mobilenet_v3_small, 3)
    make_transformer(out_dir, 4)
    # A deep encoder for the studio's layout benchmark (TESSERA_DEEP_TRANSFORMER_LAYERS=48).
    deep = int(os.environ.get("TESSERA_DEEP_TRANSFORMER_LAYERS", "0"))
    if deep > 0:
        make_transformer(out_dir, 4, layers=deep)


if __name__ == "__main__":
    main()
