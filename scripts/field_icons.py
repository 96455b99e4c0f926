"""Draw the offline app's icons (192 and 512 px PNGs) with Pillow: a blue rounded square
with a rising bar chart, the same motif as the navigation's brand icon. Run once:

    python scripts/field_icons.py

and commit salesops/field/static/field/icon-*.png."""

from pathlib import Path

from PIL import Image, ImageDraw

OUT = Path(__file__).resolve().parent.parent / "salesops" / "field" / "static" / "field"
BLUE = (32, 107, 196, 255)
WHITE = (255, 255, 255, 255)


def draw(size: int) -> Image.Image:
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    pen = ImageDraw.Draw(image)
    pen.rounded_rectangle((0, 0, size - 1, size - 1), radius=size // 5, fill=BLUE)
    # Three rising bars inside the maskable safe zone (the middle 80 %).
    left, bottom, width, gap = size * 0.24, size * 0.74, size * 0.13, size * 0.065
    for i, height in enumerate((0.22, 0.34, 0.48)):
        x = left + i * (width + gap)
        pen.rounded_rectangle(
            (x, bottom - size * height, x + width, bottom), radius=size // 40, fill=WHITE
        )
    pen.line(
        (
            size * 0.22,
            size * 0.46,
            size * 0.44,
            size * 0.34,
            size * 0.58,
            size * 0.40,
            size * 0.78,
            size * 0.24,
        ),
        fill=WHITE,
        width=max(2, size // 40),
        joint="curve",
    )
    return image


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for size in (192, 512):
        draw(size).save(OUT / f"icon-{size}.png", optimize=True)
        print(OUT / f"icon-{size}.png")


if __name__ == "__main__":
    main()
