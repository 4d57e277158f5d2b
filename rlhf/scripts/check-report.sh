#!/usr/bin/env bash
# Renders the recipe's HTML report in headless Chromium and checks that the screenshot is not
# blank: the report must open offline, charts included (inline SVG, no scripts, no network).
#
#   rlhf/scripts/check-report.sh [report.html] [screenshot.png]
#
# Defaults: target/recipe/report.html and, next to it, report.png. Exits non-zero when Chromium
# is missing, the screenshot is not written, or it is (nearly) one colour.
set -euo pipefail

report="${1:-target/recipe/report.html}"
png="${2:-$(dirname "$report")/report.png}"
[ -f "$report" ] || { echo "check-report: no report at $report (run the demo first)" >&2; exit 2; }

chromium_bin="$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)"
[ -n "$chromium_bin" ] || { echo "check-report: chromium is not installed" >&2; exit 2; }

profile="$(mktemp -d)"
trap 'rm -rf "$profile"' EXIT
rm -f "$png"
# --no-sandbox: needed when running as root (containers, CI)
timeout 120 "$chromium_bin" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$profile" --hide-scrollbars --window-size=1200,2400 \
  --screenshot="$png" "file://$(realpath "$report")" >/dev/null 2>&1 || true
[ -s "$png" ] || { echo "check-report: chromium wrote no screenshot to $png" >&2; exit 1; }

# Count the distinct colours of the PNG: a blank page has one or two, text and coloured chart
# lines give hundreds (anti-aliasing). Python's standard library decodes the PNG (zlib, filters).
python3 - "$png" <<'PY'
import struct, sys, zlib

path = sys.argv[1]
data = open(path, "rb").read()
if data[:8] != b"\x89PNG\r\n\x1a\n":
    sys.exit(f"check-report: {path} is not a PNG")
pos, idat, width, height, ctype = 8, b"", 0, 0, 0
while pos < len(data):
    length, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + length]
    if kind == b"IHDR":
        width, height, depth, ctype = struct.unpack(">IIBB", body[:10])
        if depth != 8 or ctype not in (2, 6):
            sys.exit(f"check-report: unexpected PNG format (depth {depth}, colour type {ctype})")
    elif kind == b"IDAT":
        idat += body
    pos += 12 + length
bpp = 4 if ctype == 6 else 3
raw = zlib.decompress(idat)
stride = width * bpp
prev = bytearray(stride)
colours, coloured = set(), 0
for y in range(height):
    f = raw[y * (stride + 1)]
    line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    for i in range(stride):
        a = line[i - bpp] if i >= bpp else 0
        b = prev[i]
        c = prev[i - bpp] if i >= bpp else 0
        if f == 1:
            line[i] = (line[i] + a) & 255
        elif f == 2:
            line[i] = (line[i] + b) & 255
        elif f == 3:
            line[i] = (line[i] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    if y % 4 == 0:  # every 4th row is plenty for a colour census
        for x in range(0, stride, bpp):
            r, g, bl = line[x], line[x + 1], line[x + 2]
            colours.add((r, g, bl))
            if abs(r - g) > 60 or abs(g - bl) > 60 or abs(r - bl) > 60:
                coloured += 1
    prev = line
print(f"check-report: {path}: {width}x{height}, {len(colours)} distinct colours, {coloured} strongly coloured pixels sampled")
if len(colours) < 50:
    sys.exit("check-report: the screenshot is (nearly) blank")
if coloured < 100:
    sys.exit("check-report: no coloured chart lines visible")
PY
echo "check-report: OK ($png)"
