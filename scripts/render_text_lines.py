#!/usr/bin/python3
"""Renders text-line images for a text recognizer (height 48, black on white, DejaVu fonts from
Debian's fonts-dejavu-core, python3-pil), seeded, with their label texts.
  render_text_lines.py OUT_DIR COUNT SEED [--pad W]
writes OUT_DIR/line_NNN.png at the text's own width (or padded on the right to W, squeezed when
longer, as PaddleOCR's recognizer preprocessing does) and OUT_DIR/labels.txt, one line per image."""
import random, sys, os
from PIL import Image, ImageDraw, ImageFont
out, count, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
pad = int(sys.argv[sys.argv.index("--pad") + 1]) if "--pad" in sys.argv else 0
rng = random.Random(seed)
words = ("alpha bravo delta echo foxtrot hotel india kilo lima oscar papa romeo sierra tango uniform victor "
         "whiskey yankee zulu quick brown jumps lazy dog over fence sample calibrate page text line Tessera "
         "analog chip ONNX model 2026 42 317 8.5 Hello World").split()
fonts = ["DejaVuSans.ttf", "DejaVuSerif.ttf", "DejaVuSansMono.ttf", "DejaVuSansCondensed.ttf", "DejaVuSans-Bold.ttf"]
os.makedirs(out, exist_ok=True)
labels = []
for i in range(count):
    text = " ".join(rng.choice(words) for _ in range(rng.randint(1, 3)))
    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/" + rng.choice(fonts), rng.randint(28, 36))
    w = int(font.getlength(text)) + 16
    img = Image.new("RGB", (w, 48), "white")
    ImageDraw.Draw(img).text((8, rng.randint(2, 8)), text, font=font, fill="black")
    if pad:
        if w > pad:
            img = img.resize((pad, 48), Image.BILINEAR)
        canvas = Image.new("RGB", (pad, 48), "white")
        canvas.paste(img, (0, 0))
        img = canvas
    img.save(f"{out}/line_{i:03d}.png")
    labels.append(text)
with open(f"{out}/labels.txt", "w", encoding="utf-8") as f:
    f.write("\n".join(labels) + "\n")
