#!/usr/bin/env bash
# Synthetic camera-like photo set for the thumbnail/preview benchmark.
#   bench/media/make_dataset.sh OUTDIR [N_JPEG=200] [N_HEIC=50]
# Writes OUTDIR/IMG_NNNN.jpg: 4000x3000 baseline JPEGs at Q=90 (about 3-6 MB each) with a
# camera-like EXIF block (Make, Model, DateTime, Orientation); every 5th one has Orientation=6
# (pixels stored landscape, shown portrait, as a phone held upright writes them). And
# OUTDIR/IMG_HNNN.heic: 4000x3000 8-bit 4:2:0 HEVC HEIC at quality 50 (about 2-3 MB), made by
# Debian 12's libheif 1.15 + x265: with heif-enc (package libheif-examples, x265 preset
# ultrafast, ~5 s a file) when it is installed, else with vips heifsave (libvips 8.14, which
# cannot choose the x265 preset: ~20 s a file). No EXIF orientation on the HEICs (HEIF rotates
# with irot, which libheif applies on decode, so it would test nothing of ours).
# Each file is a different crop of one of a few noise/gradient base images, with its own
# brightness and a text label, so all files are distinct bytes; the bases are built once.
# Idempotent: does nothing when OUTDIR/.complete exists. Needs: vips (libvips-tools), python3.
set -euo pipefail

# Worker mode (run through xargs): __one KIND INDEX
if [[ "${1:-}" == "__one" ]]; then
  kind=$2 i=$3
  W=4000 H=3000
  b=$(( i % NBASE ))
  # A crop offset inside the larger base, different for each index and kind.
  salt=0
  [[ $kind == heic ]] && salt=7919
  x=$(( (i * 97 + salt) % (BW - W) ))
  y=$(( (i * 61 + salt) % (BH - H) ))
  # Per-file exposure and white balance: a gain of 0.85..1.15 and an offset of -12..12,
  # a little different for each channel.
  gains=$(awk -v i="$i" -v s="$salt" 'BEGIN{for (c = 0; c < 3; c++) printf "%.3f ", 0.85 + ((i*37+s+c*(i%7)*5)%61)/200}')
  offs=$(awk -v i="$i" -v s="$salt" 'BEGIN{for (c = 0; c < 3; c++) printf "%d ", (i*13+s+c*(i%5)*3)%25 - 12}')
  tmp="$WORK/$kind-$i"
  vips extract_area "$WORK/base$b.v" "$tmp-crop.v" "$x" "$y" "$W" "$H"
  vips linear "$tmp-crop.v" "$tmp-lin.v" --uchar -- "$gains" "$offs"
  if [[ $kind == jpg ]]; then
    name=$(printf 'IMG_%04d' "$i")
  else
    name=$(printf 'IMG_H%03d' "$i")
  fi
  vips text "$tmp-text.v" "<span foreground='#ffe070'>$name  2024-0$(( i % 9 + 1 ))-1$(( i % 10 )) 1$(( i % 10 )):$(( 10 + i % 50 ))</span>" \
    --rgba --dpi 600 --font "DejaVu Sans Bold 12"
  tx=$(( 150 + (i * 131) % 1500 )) ty=$(( 2500 - (i * 71) % 400 ))
  if [[ $kind == jpg ]]; then
    vips composite2 "$tmp-lin.v" "$tmp-text.v" "$tmp.jpg[Q=90,strip]" over --x "$tx" --y "$ty"
    orient=1
    (( i % 5 == 0 )) && orient=6
    python3 - "$tmp.jpg" "$OUT/$name.jpg" "$orient" "$i" <<'PY'
import struct, sys
src, dst, orient, i = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
data = open(src, 'rb').read()
assert data[:2] == b'\xff\xd8'
make, model = b'Shoebox\0', b'Synthetic 12MP\0'
dt = b'2024:%02d:%02d %02d:%02d:%02d\0' % (i % 12 + 1, i % 28 + 1, i % 24, i % 60, (i * 7) % 60)
# Little-endian TIFF, IFD0 with Make, Model, Orientation, DateTime; ASCII values after the IFD.
n = 4
ifd_end = 8 + 2 + n * 12 + 4
vals, entries = b'', []
for tag, val in ((0x010F, make), (0x0110, model)):
    entries.append(struct.pack('<HHII', tag, 2, len(val), ifd_end + len(vals))); vals += val
entries.append(struct.pack('<HHIHH', 0x0112, 3, 1, orient, 0))
entries.append(struct.pack('<HHII', 0x0132, 2, len(dt), ifd_end + len(vals))); vals += dt
tiff = b'II*\0' + struct.pack('<I', 8) + struct.pack('<H', n) + b''.join(entries) + b'\0\0\0\0' + vals
app1 = b'Exif\0\0' + tiff
seg = b'\xff\xe1' + struct.pack('>H', len(app1) + 2) + app1
open(dst + '.part', 'wb').write(data[:2] + seg + data[2:])
PY
    mv "$OUT/$name.jpg.part" "$OUT/$name.jpg"
  else
    part="$OUT/$name.part.heic"
    if [[ $HEIC_ENCODER == heif-enc ]]; then
      # x265 preset ultrafast: ~5 s a file here instead of ~20 s with libheif's default (slow)
      # preset, which is all that vips heifsave can use. The JPEG in between is Q=98.
      vips composite2 "$tmp-lin.v" "$tmp-text.v" "$tmp-src.jpg[Q=98,strip]" over --x "$tx" --y "$ty"
      heif-enc -q 50 -p preset=ultrafast -p chroma=420 -o "$part" "$tmp-src.jpg" >/dev/null
    else
      vips composite2 "$tmp-lin.v" "$tmp-text.v" "$tmp-comp.v" over --x "$tx" --y "$ty"
      # composite2 adds an alpha band; a camera's HEIC has none.
      vips extract_band "$tmp-comp.v" "$tmp-rgb.v" 0 --n 3
      vips heifsave "$tmp-rgb.v" "$part" --Q 50 --bitdepth 8 --compression hevc --strip
    fi
    mv "$part" "$OUT/$name.heic"
  fi
  rm -f "$tmp"*
  exit 0
fi

OUT=${1:?usage: make_dataset.sh OUTDIR [N_JPEG=200] [N_HEIC=50]}
N_JPEG=${2:-200}
N_HEIC=${3:-50}
if [[ -e "$OUT/.complete" ]]; then
  echo "make_dataset: $OUT already complete ($(cat "$OUT/.complete"))" >&2
  exit 0
fi
command -v vips >/dev/null || { echo "make_dataset: needs vips (apt-get install libvips-tools)" >&2; exit 1; }
command -v python3 >/dev/null || { echo "make_dataset: needs python3" >&2; exit 1; }
# HEIC encoder: heif-enc (Debian package libheif-examples) when present, else vips heifsave.
HEIC_ENCODER=${HEIC_ENCODER:-$(command -v heif-enc >/dev/null && echo heif-enc || echo vips)}
if (( N_HEIC > 0 )) && [[ $HEIC_ENCODER == vips ]]; then
  echo "make_dataset: heif-enc not found (apt-get install libheif-examples); vips heifsave is ~4x slower" >&2
fi
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
WORK="$OUT/.work"
rm -rf "$WORK" && mkdir -p "$WORK"
trap 'rm -rf "$WORK"' EXIT
JOBS=${JOBS:-$(nproc)}
export VIPS_CONCURRENCY=${VIPS_CONCURRENCY:-1}  # parallel across files, not inside one
NBASE=4 BW=4400 BH=3300
export OUT WORK NBASE BW BH HEIC_ENCODER
t0=$(date +%s.%N)

# --- Base images: three Perlin octaves per channel (shapes, mid detail, texture), a vertical
# "sky" gradient, Worley cells for edges, and Gaussian sensor noise. The noise sigma sets
# how much high-frequency detail the JPEG must keep, hence the file size (~4.5 MB at 6).
# The gradient, the Worley cells and the noise (the slow parts) are made once and shared.
SIGMA=${SIGMA:-6}
make_shared() {
  set -euo pipefail
  local d="$WORK/shared" c
  case $1 in
    cells)
      vips worley "$d/wor.v" "$BW" "$BH" --cell-size 90 --seed 5
      vips linear "$d/wor.v" "$d/worl.v" -- 0.6 -20
      vips grey "$d/g0.v" "$BH" "$BW"
      vips rot "$d/g0.v" "$d/grad.v" d90     # BW x BH, a vertical ramp 0..1
      for c in 0 1 2; do
        vips linear "$d/grad.v" "$d/lg$c.v" -- $(( -60 + c * 25 )) $(( 30 - c * 10 ))
      done
      rm -f "$d/wor.v" "$d/g0.v" "$d/grad.v" ;;
    noise)
      vips gaussnoise "$d/n$2.v" "$BW" "$BH" --sigma "$SIGMA" --mean 0 --seed $(( $2 * 10 + 4 )) ;;
  esac
}
make_base() {
  set -euo pipefail
  local k=$1 d="$WORK/b$1" sh="$WORK/shared" c
  mkdir -p "$d"
  for c in 0 1 2; do
    local s=$(( k * 100 + c * 10 ))
    vips perlin "$d/p1.v" "$BW" "$BH" --cell-size 700 --seed $(( s + 1 ))
    vips perlin "$d/p2.v" "$BW" "$BH" --cell-size 150 --seed $(( s + 2 ))
    vips perlin "$d/p3.v" "$BW" "$BH" --cell-size 24 --seed $(( s + 3 ))
    vips linear "$d/p1.v" "$d/l1.v" -- 90 $(( 110 + c * 8 - k * 6 ))
    vips linear "$d/p2.v" "$d/l2.v" -- 35 0
    vips linear "$d/p3.v" "$d/l3.v" -- 14 0
    # Base k takes channel c's noise from channel (c + k) % 3, so bases differ there too.
    vips sum "$d/l1.v $d/l2.v $d/l3.v $sh/lg$c.v $sh/worl.v $sh/n$(( (c + k) % 3 )).v" "$d/ch$c.v"
  done
  vips bandjoin "$d/ch0.v $d/ch1.v $d/ch2.v" "$d/rgbf.v"
  vips cast "$d/rgbf.v" "$d/rgb8.v" uchar
  vips copy "$d/rgb8.v" "$WORK/base$k.v" --interpretation srgb
  rm -rf "$d"
}
export -f make_shared make_base
export SIGMA
mkdir -p "$WORK/shared"
printf '%s\n' cells "noise 0" "noise 1" "noise 2" | xargs -P "$JOBS" -L1 bash -c 'make_shared "$@"' _
seq 0 $(( NBASE - 1 )) | xargs -P "$JOBS" -I{} bash -c 'make_base {}'
rm -rf "$WORK/shared"
echo "make_dataset: $NBASE base images in $(echo "$(date +%s.%N) - $t0" | bc -l | cut -d. -f1) s" >&2

# --- The photos, JOBS at a time.
self=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
{
  # The slow HEICs first, so that no long job starts last.
  for (( i = 1; i <= N_HEIC; i++ )); do echo "heic $i"; done
  for (( i = 1; i <= N_JPEG; i++ )); do echo "jpg $i"; done
} | xargs -P "$JOBS" -L1 bash "$self" __one

rm -rf "$WORK"
n_jpg=$(find "$OUT" -maxdepth 1 -name 'IMG_*.jpg' | wc -l)
n_heic=$(find "$OUT" -maxdepth 1 -name 'IMG_*.heic' | wc -l)
secs=$(echo "$(date +%s.%N) - $t0" | bc -l)
echo "jpeg=$n_jpg heic=$n_heic heic_encoder=$HEIC_ENCODER generated_in=${secs%.*}s" > "$OUT/.complete"
echo "make_dataset: $OUT: $n_jpg JPEG, $n_heic HEIC, $(du -sh "$OUT" | cut -f1), ${secs%.*} s" >&2
