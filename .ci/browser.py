#!/usr/bin/env python3
"""Cards in a real browser (headless Chromium), checked by their pixels.

Usage (from the repository root; Python 3.11+, standard library only; needs `chromium`):

    python3 .ci/browser.py [--binary PATH] [--chromium PATH]

Starts `<binary> serve` on 127.0.0.1 (SQLite in a temporary directory; theme samples need no
GitHub), opens a page holding `theme=auto` cards as `<img>` in Chromium with the reader's scheme
set to light and then to dark, screenshots it, and checks that each card's background is the
light pack's in light mode and the dark pack's in dark mode (and that a single-theme card does
not change). Exits 0 when every check passed.
"""

from __future__ import annotations

import argparse
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benches"))
import load  # noqa: E402

# (pack, query, light background, dark background) of compact sample cards side by side; the
# sample route takes the light pack from its path.
CARDS = [
    ("default", "theme=auto", "#fffefe", "#151515"),
    ("github-light", "theme=github-light,dracula", "#ffffff", "#282a36"),
    ("nord", "theme=nord", "#2e3440", "#2e3440"),
]
CARD_WIDTH = 495


def png_pixels(data: bytes) -> tuple[int, int, int, list[bytes]]:
    """Width, height, bytes per pixel and rows of an 8-bit RGB(A), non-interlaced PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
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
    assert depth == 8 and color in (2, 6) and interlace == 0, header
    bpp = 3 if color == 2 else 4
    raw, stride, rows, previous = zlib.decompress(idat), width * bpp, [], bytearray(width * bpp)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            left = line[i - bpp] if i >= bpp else 0
            up, corner = previous[i], previous[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + left) & 255
            elif kind == 2:
                line[i] = (line[i] + up) & 255
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 255
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 255
        rows.append(bytes(line))
        previous = line
    return width, height, bpp, rows


def pixel(shot: tuple[int, int, int, list[bytes]], x: int, y: int) -> str:
    _, _, bpp, rows = shot
    r, g, b = rows[y][x * bpp:x * bpp + 3]
    return f"#{r:02x}{g:02x}{b:02x}"


def close(a: str, b: str) -> bool:
    return all(abs(int(a[i:i + 2], 16) - int(b[i:i + 2], 16)) <= 3 for i in (1, 3, 5))


def screenshot(chromium: str, page: Path, scheme: str, out: Path) -> tuple[int, int, int, list[bytes]]:
    # Blink's preferred colour scheme: 0 dark, 1 light.
    value = "0" if scheme == "dark" else "1"
    subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
         f"--blink-settings=preferredColorScheme={value}", "--virtual-time-budget=3000",
         f"--window-size={CARD_WIDTH * len(CARDS)},260", f"--screenshot={out}", page.as_uri()],
        check=True, timeout=60, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    return png_pixels(out.read_bytes())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--binary", type=Path, default=REPO / "target" / "debug" / "github-banners")
    parser.add_argument("--chromium", default=shutil.which("chromium") or "chromium")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="github-banners-browser-"))
    service = None
    try:
        # The samples never ask GitHub; port 9 (discard) makes sure nothing could.
        service, port = load.start_service(args.binary.resolve(), workdir, 9)
        images = "".join(
            f'<img style="display:block;float:left" width="{CARD_WIDTH}" '
            f'src="http://127.0.0.1:{port}/themes/{pack}/compact.svg?{query}&amp;disable_animations=true">'
            for pack, query, _, _ in CARDS
        )
        page = workdir / "page.html"
        page.write_text(f'<!doctype html><html><body style="margin:0;background:#808080">{images}</body></html>')
        failures, report = [], []
        for scheme in ("light", "dark"):
            shot = screenshot(args.chromium, page, scheme, workdir / f"{scheme}.png")
            for index, (_, query, light, dark) in enumerate(CARDS):
                # Inside the card, right of the title and above the rank ring: background only.
                seen = pixel(shot, index * CARD_WIDTH + 460, 14)
                expected = light if scheme == "light" else dark
                report.append(f"{scheme:5} {query:28} background {seen} (expected {expected})")
                if not close(seen, expected):
                    failures.append(report[-1])
        print("\n".join(report))
        if failures:
            print("FAILED:\n" + "\n".join(failures), file=sys.stderr)
            return 1
        return 0
    finally:
        load.stop(service, "service")
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
