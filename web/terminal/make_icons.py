"""Draws the terminal's app icons (static/icons/icon-192.png, icon-512.png, icon.svg): a candlestick on the
terminal's dark ground. Run once by hand when the design changes; the files it writes are committed, nothing builds
them. Plain zlib, so it needs nothing installed."""
from __future__ import annotations

import struct
import zlib
from pathlib import Path

ICONS = Path(__file__).resolve().parent / "static" / "icons"
GROUND = (0x16, 0x20, 0x2B)
UP = (0x26, 0xA6, 0x9A)
DOWN = (0xEF, 0x53, 0x50)
ACCENT = (0x3D, 0x8B, 0xFD)
# (colour, x0, y0, x1, y1) on a 0..1 square; a maskable icon keeps its mark inside the middle 80 %
SHAPES = (
    (DOWN, 0.285, 0.24, 0.305, 0.70), (DOWN, 0.24, 0.34, 0.35, 0.60),
    (UP, 0.49, 0.20, 0.51, 0.78), (UP, 0.445, 0.30, 0.555, 0.68),
    (UP, 0.695, 0.28, 0.715, 0.64), (UP, 0.65, 0.36, 0.76, 0.56),
    (ACCENT, 0.26, 0.79, 0.74, 0.81),
)


def pixel(x: float, y: float) -> tuple[int, int, int]:
    for colour, x0, y0, x1, y1 in SHAPES:
        if x0 <= x < x1 and y0 <= y < y1:
            return colour
    return GROUND


def png(size: int) -> bytes:
    rows = b"".join(b"\0" + bytes(channel for col in range(size)
                                  for channel in pixel((col + 0.5) / size, (row + 0.5) / size))
                    for row in range(size))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)   # 8-bit RGB
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b"")


def svg() -> str:
    rects = "".join(f'<rect x="{x0 * 100:g}" y="{y0 * 100:g}" width="{(x1 - x0) * 100:g}" height="{(y1 - y0) * 100:g}"'
                    f' fill="#{"".join(f"{c:02x}" for c in colour)}"/>' for colour, x0, y0, x1, y1 in SHAPES)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100"><rect width="100" height="100" rx="18"'
            f' fill="#{"".join(f"{c:02x}" for c in GROUND)}"/>{rects}</svg>\n')


def main() -> None:
    ICONS.mkdir(exist_ok=True)
    for size in (192, 512):
        (ICONS / f"icon-{size}.png").write_bytes(png(size))
    (ICONS / "icon.svg").write_text(svg(), encoding="utf-8")


if __name__ == "__main__":
    main()
