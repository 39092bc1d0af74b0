#!/usr/bin/env python3
"""Rebuild the bundled fonts in this directory from Debian font packages.

What it produces (next to this script):
  NotoSans-Regular.ttf, NotoSans-Bold.ttf     copied unchanged from fonts-noto-core
  NotoSansCJKsc-Regular.subset.otf,
  NotoSansCJKsc-Bold.subset.otf               the "Noto Sans CJK SC" face of the TTCs in
                                              fonts-noto-cjk, subset to CJK punctuation,
                                              kana, all CJK Unified Ideographs (U+4E00-9FFF),
                                              fullwidth forms and a little Latin/general
                                              punctuation; no hinting, no vertical tables
  OFL.txt                                     SIL Open Font License 1.1 (+ copyright lines)
  README.md                                   file list, family names, sources, sizes

Pinned Debian package versions (bookworm):
  fonts-noto-core  20201225-1
  fonts-noto-cjk   1:20220127+repack1-1

How to run (Debian/Ubuntu with apt sources configured; nothing is installed
system-wide: the .debs are fetched with `apt-get download` and unpacked with
`dpkg-deb -x` into a temp dir). Needs fontTools for the CJK subset:

    python3 -m venv /tmp/ftvenv && /tmp/ftvenv/bin/pip install fonttools
    /tmp/ftvenv/bin/python src/render/assets/fonts/build_fonts.py

Takes about a minute (the CJK subsetting dominates).
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTCollection, TTFont

HERE = Path(__file__).resolve().parent

PACKAGES = {
    "fonts-noto-core": "20201225-1",
    "fonts-noto-cjk": "1:20220127+repack1-1",
}

LATIN = [
    # (package, path inside the package, output name)
    ("fonts-noto-core", "usr/share/fonts/truetype/noto/NotoSans-Regular.ttf", "NotoSans-Regular.ttf"),
    ("fonts-noto-core", "usr/share/fonts/truetype/noto/NotoSans-Bold.ttf", "NotoSans-Bold.ttf"),
]
CJK_FACE = "Noto Sans CJK SC"
CJK = [
    ("fonts-noto-cjk", "usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", "NotoSansCJKsc-Regular.subset.otf"),
    ("fonts-noto-cjk", "usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc", "NotoSansCJKsc-Bold.subset.otf"),
]
CJK_RANGES = [
    (0x0020, 0x007E),  # Basic Latin (so mixed strings do not hop fonts for spaces/digits)
    (0x00A0, 0x00FF),  # Latin-1 punctuation and letters
    (0x2000, 0x206F),  # General Punctuation (incl. U+202F narrow no-break space)
    (0x3000, 0x303F),  # CJK Symbols and Punctuation
    (0x3040, 0x309F),  # Hiragana
    (0x30A0, 0x30FF),  # Katakana
    (0x31F0, 0x31FF),  # Katakana Phonetic Extensions
    (0x3200, 0x32FF),  # Enclosed CJK Letters and Months
    (0x4E00, 0x9FFF),  # CJK Unified Ideographs (all of them)
    (0xFF00, 0xFFEF),  # Halfwidth and Fullwidth Forms
]


def run(cmd: list[str], cwd: Path) -> None:
    subprocess.run(cmd, cwd=cwd, check=True, stdout=subprocess.DEVNULL)


def fetch(tmp: Path) -> dict[str, Path]:
    roots = {}
    for pkg, version in PACKAGES.items():
        run(["apt-get", "download", f"{pkg}={version}"], tmp)
        debs = list(tmp.glob(f"{pkg}_*.deb"))
        if len(debs) != 1:
            raise SystemExit(f"{pkg}: expected one .deb, got {debs}")
        root = tmp / pkg
        run(["dpkg-deb", "-x", str(debs[0]), str(root)], tmp)
        roots[pkg] = root
    return roots


def subset_cjk(src: Path, dst: Path) -> None:
    coll = TTCollection(str(src))
    index = next(
        (i for i, f in enumerate(coll.fonts) if f["name"].getDebugName(1) == CJK_FACE), None
    )
    if index is None:
        raise SystemExit(f"{src}: no face named {CJK_FACE!r}")
    font = TTFont(str(src), fontNumber=index, recalcTimestamp=False)
    unicodes: set[int] = set()
    for lo, hi in CJK_RANGES:
        unicodes.update(range(lo, hi + 1))
    opts = subset.Options()
    opts.layout_features = ["kern", "halt", "palt"]  # no locl/vert: keeps only the SC glyphs
    opts.name_IDs = ["*"]
    opts.name_languages = ["*"]
    opts.notdef_outline = True
    opts.hinting = False
    opts.drop_tables += ["vhea", "vmtx", "VORG", "BASE"]
    sub = subset.Subsetter(opts)
    sub.populate(unicodes=unicodes)
    sub.subset(font)
    font.save(str(dst))


def ofl_text(copyright_file: Path) -> str:
    """Extract the `License: OFL-1.1` / `SIL-1.1` paragraph text from a Debian copyright file."""
    lines = copyright_file.read_text(encoding="utf-8").splitlines()
    blocks: list[list[str]] = []
    grabbing = False
    for line in lines:
        if re.fullmatch(r"License: (OFL-1\.1|SIL-1\.1)", line):
            grabbing = True
            blocks.append([])
            continue
        if grabbing:
            if not line.startswith(" "):
                grabbing = False
                continue
            body = line[1:]
            blocks[-1].append("" if body == "." else body)
    # The stand-alone license paragraph is the long one (Files stanzas only name it).
    out = max(blocks, key=len, default=[])
    if len(out) < 50:
        raise SystemExit(f"{copyright_file}: OFL text not found")
    return "\n".join(out).strip() + "\n"


def describe(path: Path) -> dict:
    font = TTFont(str(path))
    name = font["name"]

    def en(name_id: int) -> str | None:
        rec = name.getName(name_id, 3, 1, 0x409) or name.getName(name_id, 1, 0, 0)
        return rec.toUnicode() if rec else None

    return {
        "family": en(16) or en(1),
        "subfamily": en(17) or en(2),
        "postscript": en(6),
        "weight": font["OS/2"].usWeightClass,
        "glyphs": len(font.getGlyphOrder()),
        "version": en(5),
        "copyright": en(0),
        "size": path.stat().st_size,
        "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
    }


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="banner-fonts-") as t:
        tmp = Path(t)
        roots = fetch(tmp)
        outputs = []
        for pkg, rel, out in LATIN:
            shutil.copyfile(roots[pkg] / rel, HERE / out)
            outputs.append((out, pkg, "copied unchanged"))
        for pkg, rel, out in CJK:
            subset_cjk(roots[pkg] / rel, HERE / out)
            outputs.append((out, pkg, f"subset of the '{CJK_FACE}' face of {Path(rel).name}"))
        ofl = ofl_text(roots["fonts-noto-core"] / "usr/share/doc/fonts-noto-core/copyright")

    copyrights = []
    infos = {out: describe(HERE / out) for out, _, _ in outputs}
    for info in infos.values():
        if info["copyright"] not in copyrights:
            copyrights.append(info["copyright"])
    # Name ID 0 omits it; the upstream noto-cjk LICENSE file reads:
    # "Copyright 2014-2021 Adobe (http://www.adobe.com/), with Reserved Font Name 'Source'."
    copyrights = [
        f"Noto Sans CJK: {c.rstrip('.')}, with Reserved Font Name 'Source'." if "Adobe" in c else f"Noto Sans: {c}"
        for c in copyrights
    ]
    header = "\n".join(copyrights)
    (HERE / "OFL.txt").write_text(
        f"{header}\n\n"
        "These Font Software files are licensed under the SIL Open Font License, Version 1.1.\n"
        "This license is copied below, and is also available with a FAQ at:\n"
        "https://openfontlicense.org\n\n"
        "-----------------------------------------------------------\n"
        "SIL OPEN FONT LICENSE Version 1.1 - 26 February 2007\n"
        "-----------------------------------------------------------\n\n" + ofl,
        encoding="utf-8",
    )

    rows = []
    total = 0
    for out, pkg, how in outputs:
        i = infos[out]
        total += i["size"]
        rows.append(
            f"| `{out}` | `{i['family']}` | {i['subfamily']} ({i['weight']}) | {i['glyphs']} | "
            f"{pkg} {PACKAGES[pkg]} ({how}) | OFL-1.1 | {i['size']:,} B |"
        )
    cjk_total = sum(infos[o]["size"] for _, _, o in CJK)
    readme = README_TEMPLATE.format(
        rows="\n".join(rows),
        total=f"{total:,}",
        cjk_total=f"{cjk_total:,}",
        versions="\n".join(f"- `{p}` {v}" for p, v in PACKAGES.items()),
        hashes="\n".join(f"    {infos[o]['sha256']}  {o}" for o, _, _ in outputs),
        fontversions="\n".join(f"- `{o}`: {infos[o]['version']}" for o, _, _ in outputs),
    )
    (HERE / "README.md").write_text(readme, encoding="utf-8")
    for out, _, _ in outputs:
        print(out, infos[out]["family"], infos[out]["subfamily"], infos[out]["size"])
    return 0


README_TEMPLATE = """# Bundled fonts

These fonts are loaded into the renderer's `fontdb` so that PNG output never
depends on system fonts. All of them are licensed under the SIL Open Font
License 1.1 (see `OFL.txt`). This file and `OFL.txt` are written by
`build_fonts.py`; re-run it rather than editing by hand.

| file | family name (as fontdb sees it) | style (OS/2 weight) | glyphs | source (Debian package + version) | license | size |
| --- | --- | --- | --- | --- | --- | --- |
{rows}

Total: {total} bytes (CJK fallback alone: {cjk_total} bytes).

## How to use from resvg / usvg

- Load every `.ttf`/`.otf` in this directory into the `fontdb::Database`
  (`load_font_data` / `load_fonts_dir`), and do not load system fonts if the
  output must be reproducible.
- Primary family: `Noto Sans` (Regular 400, Bold 700). Point the generic
  `sans-serif` family at it (`db.set_sans_serif_family("Noto Sans")`) and use
  `font-family="Noto Sans, Noto Sans CJK SC, sans-serif"` in the templates.
- CJK fallback: `Noto Sans CJK SC` (Regular 400, Bold 700), covering CJK
  punctuation, hiragana/katakana, all 20,992 CJK Unified Ideographs
  (U+4E00-U+9FFF) and fullwidth forms. Chinese (SC) glyph shapes are used for
  Japanese kanji too. Not covered: Hangul, CJK Extension A/B+ and
  compatibility ideographs (they would render as missing glyphs); adding
  Hangul would cost about 2.5 MB per weight.
- Noto Sans covers Latin, Greek and Cyrillic, including U+00A0 and U+202F
  (used as thousands separators by the ru and fr locales).
- The CJK files are subsets (a Modified Version under the OFL). The only
  Reserved Font Name of Noto Sans CJK is "Source", which is not used, so the
  original family name is kept. If the system also has the full Noto Sans CJK
  SC installed and both are loaded, fontdb will see two faces with the same
  family name; load only this directory to avoid that.

## Sources

Fetched with `apt-get download` and unpacked with `dpkg-deb -x` (nothing
installed system-wide), Debian bookworm:

{versions}

Font versions (name table ID 5):

{fontversions}

SHA-256:

{hashes}
"""


if __name__ == "__main__":
    sys.exit(main())
