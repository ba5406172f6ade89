"""Shared pieces of the household tests: a QR code read back by a real decoder (zxing-cpp) from
the SVG the page serves, and the loopback service with its LAN front as test clients."""

from __future__ import annotations

import re

LAN_HOST = "192.0.2.50"  # TEST-NET-1: never routed; the front's Host header names it
PIN = "correct horse 42"
_STEP = re.compile(r"([MmHhVv])\s*(-?[\d.]+)(?:[\s,]+(-?[\d.]+))?")


def svg_modules(svg: str) -> list[list[bool]]:
    """The dark modules of segno's inline SVG: one stroked path of horizontal runs (M/m moves,
    h lines, stroke width 1 centred on y + .5), drawn into a grid as a renderer would."""
    size = int(re.search(r'width="(\d+)"', svg).group(1))
    scale = int(re.search(r"scale\((\d+)\)", svg).group(1))
    n = size // scale
    grid = [[False] * n for _ in range(n)]
    x = y = 0.0
    for op, a, b in _STEP.findall(re.search(r' d="([^"]+)"', svg).group(1)):
        if op == "M":
            x, y = float(a), float(b)
        elif op == "m":
            x, y = x + float(a), y + float(b)
        elif op == "h":
            end = x + float(a)
            for col in range(int(min(x, end)), int(max(x, end))):
                grid[int(y)][col] = True
            x = end
        else:
            raise AssertionError(f"unexpected path step {op}")
    return grid


def decode_qr(svg: str) -> list[str]:
    """Render the modules to a greyscale bitmap (4 px each, wide quiet zone) and decode it."""
    import zxingcpp
    grid = svg_modules(svg)
    pixels, margin = 4, 8
    n = len(grid) + 2 * margin
    rows = bytearray()
    for r in range(-margin, len(grid) + margin):
        line = bytearray()
        for c in range(-margin, len(grid) + margin):
            dark = 0 <= r < len(grid) and 0 <= c < len(grid) and grid[r][c]
            line += bytes([0 if dark else 255]) * pixels
        rows += bytes(line) * pixels
    image = memoryview(bytes(rows)).cast("B", (n * pixels, n * pixels))
    return [b.text for b in zxingcpp.read_barcodes(image)]
