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
  NotoSans<Script>-Regular.subset.ttf,
  NotoSans<Script>-Bold.subset.ttf            for Arabic, Hebrew, Devanagari, Bengali, Tamil,
                                              Malayalam, Myanmar and Thai (fonts-noto-core):
                                              subset to the characters of that script found in
                                              the label values of ../locales/*.toml, the
                                              script's own digits and punctuation, ASCII digits
                                              and a little punctuation; all layout features
                                              (GSUB/GPOS) kept, since these scripts need
                                              shaping; no hinting; then Noto Sans' printable
                                              ASCII, Latin-1, Latin Extended-A and general
                                              punctuation merged in where the script font lacks
                                              them (LATIN_RANGES)
  NotoSansCJKkr-Regular.subset.otf,
  NotoSansCJKkr-Bold.subset.otf               the "Noto Sans CJK KR" face of the TTCs in
                                              fonts-noto-cjk, subset the same way to the
                                              Hangul syllables of the labels (not all 11,172);
                                              no vertical tables
  OFL.txt                                     SIL Open Font License 1.1 (+ copyright lines)
  README.md                                   file list, family names, sources, sizes

A script whose package has no Bold gets a Regular only (README.md says so); at
the pinned versions every one of them has a Bold.

After writing, it checks that every label character of every locale is mapped
by a bundled font (per locale: by its script's subset, Latin included; for
Korean, Latin/Common characters by Noto Sans), prints the counts, and exits 1 if
any is missing.
Re-run it whenever a locale file gains characters.

Pinned Debian package versions (bookworm):
  fonts-noto-core  20201225-1
  fonts-noto-cjk   1:20220127+repack1-1

How to run (Debian/Ubuntu with apt sources configured; nothing is installed
system-wide: the .debs are fetched with `apt-get download` and unpacked with
`dpkg-deb -x` into a temp dir). Needs fontTools for the subsets (Python 3.11+
for tomllib):

    python3 -m venv /tmp/ftvenv && /tmp/ftvenv/bin/pip install fonttools
    /tmp/ftvenv/bin/python tools/build_fonts.py

Takes about a minute (the CJK subsetting dominates).
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path
from typing import NamedTuple

from fontTools import merge, subset, unicodedata
from fontTools.ttLib import TTCollection, TTFont

HERE = Path(__file__).resolve().parent.parent / "src" / "render" / "assets" / "fonts"

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

LOCALES = HERE.parent / "locales"
NOTO = "usr/share/fonts/truetype/noto"
CJK_DIR = "usr/share/fonts/opentype/noto"
STYLES = ("Regular", "Bold")


class ScriptFont(NamedTuple):
    """A fallback for a script of the locale labels that Noto Sans lacks."""

    family: str  # family of the output; for a .ttc also the face taken from it (name ID 1)
    package: str
    source: str  # path inside the package, with {style} for Regular/Bold
    out: str  # output name, with {style}
    scripts: tuple[str, ...]  # Unicode scripts (ISO 15924 codes, as fontTools.unicodedata has them)
    locales: tuple[str, ...]  # locale files (../locales/<name>.toml) written in that script
    extra: tuple[tuple[int, int], ...]  # the script's own digits and punctuation (inclusive ranges)
    # Merge Noto Sans' LATIN_RANGES into the subset: the script's shaping (conjuncts, reordering,
    # ligatures) changes how many glyphs a string has, so its strings must not need a fallback.
    latin: bool = True


def _noto(script: str, codes: tuple[str, ...], locales: tuple[str, ...], extra) -> ScriptFont:
    return ScriptFont(
        f"Noto Sans {script}", "fonts-noto-core", f"{NOTO}/NotoSans{script}-{{style}}.ttf",
        f"NotoSans{script}-{{style}}.subset.ttf", codes, locales, extra,
    )


SCRIPT_FONTS = [
    _noto("Arabic", ("Arab",), ("ar", "fa", "ur"), (
        (0x060C, 0x060C),  # Arabic comma
        (0x061B, 0x061B),  # Arabic semicolon
        (0x061F, 0x061F),  # Arabic question mark
        (0x0660, 0x066D),  # Arabic-Indic digits, percent sign, decimal and thousands separators
        (0x06D4, 0x06D4),  # Arabic full stop (Urdu)
        (0x06F0, 0x06F9),  # Extended Arabic-Indic digits (Persian, Urdu)
    )),
    _noto("Hebrew", ("Hebr",), ("he",), (
        (0x05BE, 0x05BE),  # maqaf
        (0x05C0, 0x05C0),  # paseq
        (0x05C3, 0x05C3),  # sof pasuq
        (0x05F3, 0x05F4),  # geresh, gershayim
    )),
    _noto("Devanagari", ("Deva",), ("hi", "ne", "sa"), (
        (0x0964, 0x0970),  # danda, double danda, Devanagari digits, abbreviation sign
    )),
    _noto("Bengali", ("Beng",), ("bn",), (
        (0x0964, 0x0965),  # danda, double danda (shared with Devanagari)
        (0x09E6, 0x09EF),  # Bengali digits
    )),
    _noto("Tamil", ("Taml",), ("ta",), (
        (0x0BE6, 0x0BF2),  # Tamil digits and numbers ten, hundred, thousand
    )),
    _noto("Malayalam", ("Mlym",), ("ml",), (
        (0x0D66, 0x0D6F),  # Malayalam digits
    )),
    _noto("Myanmar", ("Mymr",), ("my",), (
        (0x1040, 0x104F),  # Myanmar digits, little section / section and the other punctuation
    )),
    _noto("Thai", ("Thai",), ("th",), (
        (0x0E2F, 0x0E2F),  # paiyannoi
        (0x0E3F, 0x0E3F),  # baht sign
        (0x0E4F, 0x0E5B),  # fongman, Thai digits, angkhankhu, khomut
    )),
    ScriptFont(
        "Noto Sans CJK KR", "fonts-noto-cjk", f"{CJK_DIR}/NotoSansCJK-{{style}}.ttc",
        "NotoSansCJKkr-{style}.subset.otf", ("Hang",), ("ko",),
        (),  # Korean uses ASCII digits and punctuation
        # One glyph per syllable: usvg's fallback fills the Latin of a Korean label glyph for glyph.
        latin=False,
    ),
]
# Added to every script fallback where the font maps them, so that a label's spaces,
# digits and punctuation stay in the same run as its letters: ASCII digits, space,
# . , : ( ) % - / ; no-break space; ZWNJ and ZWJ (they steer joining in Arabic and
# Indic text); and the dotted circle a shaper inserts before a stray combining mark.
COMMON = "0123456789 .,:()%-/\u00a0\u200c\u200d\u25cc"
# Merged from Noto Sans (same style) into the script fallbacks, where the script font lacks them:
# printable ASCII, Latin-1, Latin Extended-A and Romanian ș ț (most names written in Latin), and
# general punctuation (dashes, quotes, the ellipsis `truncate` adds).
# usvg (0.49, text/layout.rs `shape_text`) shapes a whole string with one font, and for a
# character that font lacks shapes the whole string again with a fallback, keeping the fallback's
# glyphs only if both give the same number; with conjuncts, reordering or lam-alef they never do,
# so "PR" in a Malayalam label, "2024" in a Myanmar one or a Latin name in a Tamil title drew as
# missing-glyph boxes. With these, a label, and a title with a Latin name, needs no fallback.
LATIN_RANGES = [(0x0020, 0x007E), (0x00A0, 0x017F), (0x0218, 0x021B), (0x2010, 0x2027)]
# Vertical-writing features: their glyphs would need the vertical metrics the CJK subsets drop.
VERTICAL_FEATURES = {"vert", "vrt2", "vkna", "vhal", "vpal", "vkrn"}


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


def open_face(src: Path, face: str) -> TTFont:
    """The font in `src`; for a collection (.ttc), its face whose family (name ID 1) is `face`."""
    if src.suffix != ".ttc":
        return TTFont(str(src), recalcTimestamp=False)
    coll = TTCollection(str(src))
    index = next(
        (i for i, f in enumerate(coll.fonts) if f["name"].getDebugName(1) == face), None
    )
    if index is None:
        raise SystemExit(f"{src}: no face named {face!r}")
    return TTFont(str(src), fontNumber=index, recalcTimestamp=False)


def subset_cjk(src: Path, dst: Path) -> None:
    font = open_face(src, CJK_FACE)
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


def strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list):
        return [s for v in value for s in strings(v)]
    return []


def label_texts() -> dict[str, str]:
    """Locale name -> every string value of its label file, concatenated (keys and comments left out)."""
    texts = {}
    for path in sorted(LOCALES.glob("*.toml")):
        with path.open("rb") as f:
            texts[path.stem] = "".join(strings(tomllib.load(f)))
    if not texts:
        raise SystemExit(f"{LOCALES}: no locale files")
    return texts


def script_chars(sf: ScriptFont, texts: dict[str, str]) -> set[str]:
    """The label characters `sf` is for: those of its scripts, in any locale (Script_Extensions, so
    the danda counts for Bengali too), and the Common/Inherited ones (tatweel, ZWNJ, digits,
    punctuation) of the locales written in it."""
    scripts = set(sf.scripts)
    out = set()
    for loc, text in texts.items():
        for c in set(text):
            if unicodedata.script_extension(c) & scripts or (
                loc in sf.locales and unicodedata.script(c) in ("Zyyy", "Zinh")
            ):
                out.add(c)
    return out


def subset_script(sf: ScriptFont, src: Path, dst: Path, texts: dict[str, str], latin: Path | None) -> dict:
    font = open_face(src, sf.family)
    cmap = font.getBestCmap()
    labels = script_chars(sf, texts)
    wanted = {ord(c) for c in labels | set(COMMON)}
    for lo, hi in sf.extra:
        wanted.update(range(lo, hi + 1))
    unicodes = wanted & cmap.keys()
    # A letter of the script that the font lacks is reported by check_coverage(); Latin and
    # Common characters it lacks are merged from Noto Sans (`latin`), or for the KR face come
    # from Noto Sans by usvg's fallback.
    opts = subset.Options()
    if src.suffix == ".ttc":
        # Every feature but the vertical ones (no vertical metrics are kept, as for the SC face).
        tags = {
            r.FeatureTag
            for t in ("GSUB", "GPOS")
            if t in font
            for r in font[t].table.FeatureList.FeatureRecord
        }
        opts.layout_features = sorted(tags - VERTICAL_FEATURES)
        opts.drop_tables += ["vhea", "vmtx", "VORG", "BASE"]
    else:
        # Joining forms, conjuncts, reordering and mark positioning: keep every feature and
        # every glyph they reach from the kept characters.
        opts.layout_features = ["*"]
    cut(font, opts, unicodes)
    font.save(str(dst))
    if latin is not None:
        merge_latin(dst, latin)
    return {
        "labels": sum(ord(c) in cmap for c in labels),
        "codepoints": len(TTFont(str(dst)).getBestCmap()),
    }


def cut(font: TTFont, opts: "subset.Options", unicodes: set[int]) -> None:
    """Subsets `font` in place to `unicodes`, keeping every name, an outlined .notdef, no hinting."""
    opts.name_IDs = ["*"]
    opts.name_languages = ["*"]
    opts.notdef_outline = True
    opts.hinting = False
    sub = subset.Subsetter(opts)
    sub.populate(unicodes=unicodes)
    sub.subset(font)


def merge_latin(dst: Path, latin: Path) -> None:
    """Merges into the subset at `dst` the LATIN_RANGES characters it lacks, with their glyphs
    and the features shapers apply by default (kerning, marks), from `latin`: Noto Sans of the
    same style and units per em. The subset's name, vertical metrics and own characters (digits,
    punctuation) are kept."""
    own = TTFont(str(dst))
    have = set(own.getBestCmap())
    font = TTFont(str(latin), recalcTimestamp=False)
    wanted = {u for lo, hi in LATIN_RANGES for u in range(lo, hi + 1)}
    unicodes = (wanted & font.getBestCmap().keys()) - have
    # The features shapers apply by default (kern, marks, ...), no more.
    cut(font, subset.Options(), unicodes)
    with tempfile.TemporaryDirectory(prefix="banner-latin-") as t:
        part = Path(t) / "latin.ttf"
        font.save(str(part))
        merged = merge.Merger().merge([str(dst), str(part)])
    # The merger takes the larger vertical metrics and stamps today's date: keep the subset's,
    # so the script's line metrics do not change and a rebuild gives the same bytes.
    for table, fields in {
        "head": ("created", "modified"),
        "hhea": ("ascent", "descent", "lineGap"),
        "OS/2": ("sTypoAscender", "sTypoDescender", "sTypoLineGap", "usWinAscent", "usWinDescent"),
    }.items():
        for field in fields:
            setattr(merged[table], field, getattr(own[table], field))
    merged.recalcTimestamp = False
    merged.save(str(dst))


def check_coverage(texts: dict[str, str], faces: list[tuple[str, ScriptFont | None, dict[str, Path]]]) -> int:
    """For every locale, sort each distinct label character into the bundled family that draws it
    in every style: the locale's own script font (every character, where it has Latin merged in),
    else (for any other locale, or for the Latin/Common characters of Korean labels) the first
    family in `faces` that maps it. Prints a line per locale and returns how many locales have a
    character no family draws."""
    cmaps = [
        (family, sf, [set(TTFont(str(paths.get(s, paths["Regular"]))).getBestCmap()) for s in STYLES])
        for family, sf, paths in faces
    ]
    own = {loc: (family, cm, sf.latin) for family, sf, cm in cmaps if sf for loc in sf.locales}
    failed = 0
    print("\nLabel coverage (distinct characters of the values of each locale file):")
    for loc, text in texts.items():
        counts: dict[str, int] = {}
        bad = []
        for c in sorted(set(text)):
            u = ord(c)
            if loc in own and all(u in m for m in own[loc][1]):
                family = own[loc][0]
            elif loc in own and (own[loc][2] or unicodedata.script(c) not in ("Latn", "Zyyy", "Zinh")):
                # A letter of the locale's script must come from its own font, and so must
                # everything else where the script's shaping keeps usvg from falling back.
                family = None
            else:
                family = next((f for f, _, cm in cmaps if all(u in m for m in cm)), None)
            if family is None:
                bad.append(f"U+{u:04X} {c!r}")
            else:
                counts[family] = counts.get(family, 0) + 1
        failed += bool(bad)
        found = ", ".join(f"{n} {f}" for f, n in counts.items())
        print(f"  {loc:7} {len(set(text)):3} chars: {found}; missing {len(bad)}" + (f": {' '.join(bad)}" if bad else ""))
    return failed


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
    texts = label_texts()
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
        scripts = []  # (ScriptFont, {style: output}, stats of the Regular)
        for sf in SCRIPT_FONTS:
            built: dict[str, str] = {}
            stats: dict = {}
            for style in STYLES:
                src = roots[sf.package] / sf.source.format(style=style)
                if not src.exists():
                    if style == "Regular":
                        raise SystemExit(f"{sf.package}: no {sf.source.format(style=style)}")
                    continue  # no Bold in the package: fontdb falls back to the Regular
                out = sf.out.format(style=style)
                latin = roots["fonts-noto-core"] / NOTO / f"NotoSans-{style}.ttf" if sf.latin else None
                info = subset_script(sf, src, HERE / out, texts, latin)
                stats = stats or info
                face = f"the '{sf.family}' face of " if src.suffix == ".ttc" else ""
                outputs.append((out, sf.package, f"subset of {face}{src.name}"))
                built[style] = out
            scripts.append((sf, built, stats))
        ofl = ofl_text(roots["fonts-noto-core"] / "usr/share/doc/fonts-noto-core/copyright")

    infos = {out: describe(HERE / out) for out, _, _ in outputs}
    holders: dict[str, list[str]] = {}  # copyright (name ID 0) -> families carrying it
    for info in infos.values():
        families = holders.setdefault(info["copyright"], [])
        if info["family"] not in families:
            families.append(info["family"])
    # Name ID 0 omits it; the upstream noto-cjk LICENSE file reads:
    # "Copyright 2014-2021 Adobe (http://www.adobe.com/), with Reserved Font Name 'Source'."
    # The Google Noto fonts have no Reserved Font Name.
    copyrights = [
        f"{', '.join(families)}: {c.rstrip('.')}, with Reserved Font Name 'Source'."
        if "Adobe" in c
        else f"{', '.join(families)}: {c}"
        for c, families in holders.items()
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
    script_rows = []
    for sf, built, stats in scripts:
        styles = " + ".join(built) if "Bold" in built else "Regular only (the package has no Bold)"
        script_rows.append(
            f"| `{sf.family}` | {', '.join(sf.locales)} | {stats['labels']} | {stats['codepoints']} | "
            f"{styles} | {sum(infos[o]['size'] for o in built.values()):,} B |"
        )
    cjk_total = sum(infos[o]["size"] for _, _, o in CJK)
    script_total = sum(infos[o]["size"] for _, built, _ in scripts for o in built.values())
    families = ", ".join(f"{sf.family}" for sf in SCRIPT_FONTS)
    readme = README_TEMPLATE.format(
        rows="\n".join(rows),
        script_rows="\n".join(script_rows),
        total=f"{total:,}",
        cjk_total=f"{cjk_total:,}",
        script_total=f"{script_total:,}",
        font_family=f"Noto Sans, {CJK_FACE}, {families}, sans-serif",
        common="`" + "".join(c for c in COMMON if c.isascii()) + "` and "
        + ", ".join(f"U+{ord(c):04X}" for c in COMMON if not c.isascii()),
        versions="\n".join(f"- `{p}` {v}" for p, v in PACKAGES.items()),
        hashes="\n".join(f"    {infos[o]['sha256']}  {o}" for o, _, _ in outputs),
        fontversions="\n".join(f"- `{o}`: {infos[o]['version']}" for o, _, _ in outputs),
    )
    (HERE / "README.md").write_text(readme, encoding="utf-8")
    for out, _, _ in outputs:
        print(out, infos[out]["family"], infos[out]["subfamily"], infos[out]["glyphs"], infos[out]["size"])
    print(f"total {total:,} B; script fallbacks {script_total:,} B")

    by_family: dict[str, dict[str, Path]] = {}
    for out, info in infos.items():
        by_family.setdefault(info["family"], {})[info["subfamily"]] = HERE / out
    faces = [
        (family, next((sf for sf in SCRIPT_FONTS if sf.family == family), None), paths)
        for family, paths in by_family.items()
    ]
    failed = check_coverage(texts, faces)
    if failed:
        print(f"{failed} locale(s) have label characters no bundled font draws", file=sys.stderr)
        return 1
    return 0


README_TEMPLATE = """# Bundled fonts

These fonts are loaded into the renderer's `fontdb` so that PNG output never
depends on system fonts. All of them are licensed under the SIL Open Font
License 1.1 (see `OFL.txt`). This file and `OFL.txt` are written by
`tools/build_fonts.py`; re-run it rather than editing by hand (and whenever a
locale file in `../locales/` gains characters: the script fallbacks only hold
the characters the labels use).

| file | family name (as fontdb sees it) | style (OS/2 weight) | glyphs | source (Debian package + version) | license | size |
| --- | --- | --- | --- | --- | --- | --- |
{rows}

Total: {total} bytes (CJK fallback alone: {cjk_total} bytes; script
fallbacks: {script_total} bytes).

## Script fallbacks

Subsets for the scripts of the locale labels that Noto Sans lacks. Each keeps
the characters of its script found in any value of any `../locales/*.toml`
(by Unicode Script_Extensions), the Common/Inherited characters of the locales
written in it (tatweel, ZWNJ, danda, ...), the script's own digits and
punctuation, and {common} (space, ASCII digits and
punctuation, no-break space, ZWNJ, ZWJ, dotted circle), each only where the
font has it. All OpenType layout features are kept with every glyph they
reach (joining forms, conjuncts, reordering, mark positioning), except the
vertical ones of the CJK KR face; no hinting. Every one but the KR face then
has Noto Sans' printable ASCII, Latin-1, Latin Extended-A, Romanian ș ț and
general punctuation (U+2010-U+2027) merged in where it lacks them (same
style, with their kerning): usvg shapes a string with one font and keeps a
fallback's glyphs only when both give as many glyphs, which conjuncts,
reordering and lam-alef never do, so the Latin of a label ("PR", "GitHub"),
ASCII digits in Myanmar, the dash of a date range and a Latin name in a title
must come from the script's own font. The Latin of Korean labels comes from
Noto Sans.

| family | locales | label characters kept | code points mapped | styles | size |
| --- | --- | --- | --- | --- | --- |
{script_rows}

`build_fonts.py` ends by checking that every distinct label character of
every locale is mapped in both styles by its script's fallback (for Korean,
Latin/Common characters by Noto Sans; for the other locales, by any bundled
family), and fails if one is not.

## How to use from resvg / usvg

- Load every `.ttf`/`.otf` in this directory into the `fontdb::Database`
  (`load_font_data` / `load_fonts_dir`), and do not load system fonts if the
  output must be reproducible.
- Primary family: `Noto Sans` (Regular 400, Bold 700). Point the generic
  `sans-serif` family at it (`db.set_sans_serif_family("Noto Sans")`). The
  renderer takes the family of the first file loaded, Latin first and files
  with `CJK` in their name last, and the name `NotoSans-` sorts before
  `NotoSans<Script>-`, so the script fallbacks never become primary. A
  complete list for templates is
  `font-family="{font_family}"`. usvg falls back to any loaded face that has
  a missing character, but only where the fallback shapes the whole string
  into as many glyphs as the first font (so not inside Arabic, Indic, Myanmar
  or Thai strings), and the renderer's fallback chooser (`src/render/png/fallback.rs`)
  picks the face nearest in weight.
- CJK fallback: `Noto Sans CJK SC` (Regular 400, Bold 700), covering CJK
  punctuation, hiragana/katakana, all 20,992 CJK Unified Ideographs
  (U+4E00-U+9FFF) and fullwidth forms. Chinese (SC) glyph shapes are used for
  Japanese kanji too. Not covered: CJK Extension A/B+ and compatibility
  ideographs (they would render as missing glyphs).
- Hangul: `Noto Sans CJK KR` holds only the Hangul syllables of the labels
  (all 11,172 would cost about 2.5 MB per weight); other Korean text, such as a
  user's name, needs system fonts.
- The same holds for the other script fallbacks: they draw the labels, not
  arbitrary text in those scripts.
- Noto Sans covers Latin, Greek and Cyrillic, including U+00A0 and U+202F
  (used as thousands separators by the ru and fr locales).
- The CJK files and the script fallbacks are subsets (Modified Versions under
  the OFL). The only Reserved Font Name of Noto Sans CJK is "Source", which is
  not used, and the Google Noto fonts have none, so the original family names
  are kept. If the system also has the full fonts installed and both are
  loaded, fontdb will see two faces with the same family name; load only this
  directory to avoid that.

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
