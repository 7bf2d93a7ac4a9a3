"""Write the coarse hand-made ground truth of the four example images into examples/ground_truth/.

Each image is described by a few polygons and ellipses traced by eye over a 50 px grid, drawn
in order (later shapes cover earlier ones) with Pillow's ImageDraw. Pixel values are the class
indices of examples/vocab.txt (line order: 0 person ... 7 background), and 255 marks pixels left
out of the metrics: things the vocabulary has no class for (the astronaut's helmet, the saucer
and spoon, the lattice launch towers) and a 4 px band along every traced outline, where a
polygon drawn by eye cannot be trusted (VOC marks its object borders the same way).

The files are palette PNGs with VOC's colour map, so an image viewer shows them in colour while
sitegen reads the indices. Run from the repository root:

    python examples/make_ground_truth.py
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

HERE = Path(__file__).resolve().parent
VOCABULARY = [line.split(",")[0].strip() for line in (HERE / "vocab.txt").read_text().splitlines()
              if line.split("#")[0].strip()]  # fmt: skip
CLASS = {name: index for index, name in enumerate(VOCABULARY)}
DONT_CARE = 255
BORDER = 4

#: For each image: its size, then shapes in drawing order: (class, "polygon" | "ellipse", points).
SHAPES = {
    "astronaut": ((512, 512), [
        ("flag", "polygon", [(0, 0), (95, 0), (100, 250), (60, 280), (25, 330), (0, 350)]),
        ("rocket", "polygon", [(395, 5), (440, 5), (450, 100), (470, 230), (470, 272), (360, 275), (360, 200), (385, 100)]),
        ("person", "polygon", [(165, 45), (205, 15), (265, 15), (300, 60), (295, 140), (300, 170), (330, 240),
                               (360, 280), (365, 380), (300, 430), (280, 512), (20, 512), (20, 420), (30, 300),
                               (60, 260), (110, 240), (120, 180), (160, 150), (150, 90)]),
        (None, "ellipse", [(275, 345), (505, 540)]),  # the helmet: no class for it
    ]),
    "chelsea_cat": ((451, 300), [
        ("cat", "polygon", [(0, 0), (350, 0), (380, 60), (360, 160), (330, 230), (350, 300), (0, 300)]),
    ]),
    "coffee": ((600, 400), [
        (None, "ellipse", [(75, 70), (480, 385)]),  # the saucer
        (None, "polygon", [(400, 65), (425, 75), (395, 230), (410, 300), (370, 325), (325, 300), (340, 250), (375, 225)]),  # the spoon
        ("coffee cup", "polygon", [(175, 70), (200, 30), (300, 18), (400, 35), (425, 75), (410, 150), (385, 215),
                                   (330, 250), (250, 260), (200, 240), (185, 180)]),
        ("coffee cup", "ellipse", [(195, 225), (255, 305)]),  # the handle
    ]),
    "rocket": ((640, 427), [
        ("background", "polygon", [(0, 360), (640, 350), (640, 427), (0, 427)]),  # the ground
        (None, "polygon", [(0, 0), (90, 0), (85, 427), (0, 427)]),  # lattice towers: sky shows through
        (None, "polygon", [(555, 0), (640, 0), (640, 427), (560, 427)]),
        (None, "polygon", [(178, 125), (205, 125), (212, 400), (168, 400)]),
        (None, "polygon", [(438, 120), (456, 120), (472, 400), (428, 400)]),
        ("rocket", "polygon", [(309, 145), (320, 125), (333, 145), (336, 405), (306, 405)]),
    ]),
}
#: What each image is before any shape: the class most of its pixels belong to.
BASE = {"astronaut": "background", "chelsea_cat": "background", "coffee": "table", "rocket": "sky"}


def voc_palette() -> list[int]:
    """PASCAL VOC's colour map (bit-interleaved), 256 RGB triples; 255 is drawn light grey."""
    palette = []
    for index in range(256):
        r = g = b = 0
        code = index
        for shift in range(7, -1, -1):
            r |= (code & 1) << shift
            g |= ((code >> 1) & 1) << shift
            b |= ((code >> 2) & 1) << shift
            code >>= 3
        palette += [r, g, b]
    palette[3 * DONT_CARE: 3 * DONT_CARE + 3] = [224, 224, 192]
    return palette


def draw(name: str) -> Image.Image:
    """The label map of one example image (mode P, values = class indices or 255)."""
    size, shapes = SHAPES[name]
    image = Image.new("P", size, CLASS[BASE[name]])
    canvas = ImageDraw.Draw(image)
    for cls, kind, points in shapes:
        value = DONT_CARE if cls is None else CLASS[cls]
        (canvas.polygon if kind == "polygon" else canvas.ellipse)(points, fill=value)
    for _, kind, points in shapes:  # uncertain borders, after every fill
        if kind == "polygon":
            canvas.line([*points, points[0]], fill=DONT_CARE, width=BORDER, joint="curve")
        else:
            canvas.ellipse(points, outline=DONT_CARE, width=BORDER)
    image.putpalette(voc_palette())
    return image


def main() -> None:
    folder = HERE / "ground_truth"
    folder.mkdir(exist_ok=True)
    for name in SHAPES:
        draw(name).save(folder / f"{name}.png", optimize=True)
        print(f"wrote {folder / name}.png")


if __name__ == "__main__":
    main()
