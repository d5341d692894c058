#!/usr/bin/env python3
"""Decodes tests/data/models/ocr/page.png into tests/data/generated/page_rgb.npy.

The OCR detector's reference output (det_page_out_ort.npy) was computed by ONNX Runtime
on page.png. Tessera's core has no PNG decoder, so test_real_models reads this uint8
[640, 640, 3] (HWC, RGB) copy of the pixels and applies the documented preprocessing
itself: /255, subtract mean (0.485, 0.456, 0.406), divide by std (0.229, 0.224, 0.225),
NCHW. Standard library only (zlib + struct), so it runs anywhere python3 does.

Usage: scripts/make_page_input.py [page.png] [out.npy]
"""
import os
import struct
import sys
import zlib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def decode_png_rgb(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        sys.exit(f"{path}: not a PNG file")
    pos, idat, header = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    width, height, depth, color, _, _, interlace = header
    channels = {2: 3, 6: 4, 0: 1}.get(color)
    if depth != 8 or channels is None or interlace:
        sys.exit(f"{path}: only 8-bit, non-interlaced gray/RGB/RGBA PNGs are supported")
    raw = zlib.decompress(idat)
    stride = width * channels
    rows, prev = [], bytearray(stride)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for x in range(stride):  # undo the PNG row filter
            a = line[x - channels] if x >= channels else 0
            b = prev[x]
            c = prev[x - channels] if x >= channels else 0
            if kind == 1:
                line[x] = (line[x] + a) & 0xFF
            elif kind == 2:
                line[x] = (line[x] + b) & 0xFF
            elif kind == 3:
                line[x] = (line[x] + (a + b) // 2) & 0xFF
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
        rows.append(bytes(line))
        prev = line
    rgb = bytearray()
    for line in rows:
        for x in range(width):
            px = line[x * channels:(x + 1) * channels]
            rgb += bytes(px[:3]) if channels >= 3 else bytes(px) * 3
    return width, height, bytes(rgb)


def write_npy_uint8(path, shape, payload):
    header = "{'descr': '|u1', 'fortran_order': False, 'shape': (%s), }" % ", ".join(map(str, shape))
    header += " " * ((64 - (10 + len(header) + 1) % 64) % 64) + "\n"
    tmp = path + ".tmp"
    with open(tmp, "wb") as out:
        out.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode("latin1") + payload)
    os.replace(tmp, path)


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "tests/data/models/ocr/page.png")
    dst = sys.argv[2] if len(sys.argv) > 2 else os.path.join(ROOT, "tests/data/generated/page_rgb.npy")
    width, height, rgb = decode_png_rgb(src)
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    write_npy_uint8(dst, (height, width, 3), rgb)
    print(f"wrote {dst}: uint8 [{height}, {width}, 3]")


if __name__ == "__main__":
    main()
