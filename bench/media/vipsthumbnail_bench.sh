#!/usr/bin/env bash
# Peer for Shoebox's thumbnail/preview benchmark: libvips' own command-line tool.
#   bench/media/vipsthumbnail_bench.sh DIR OUTDIR [--ext jpg,jpeg,heic,...]
# For every image in DIR runs vipsthumbnail twice (two decodes, each with shrink-on-load):
#   OUTDIR/<name>.thumb.webp   short side 250, WebP Q=80
#   OUTDIR/<name>.preview.jpg  long side 1440, JPEG Q=80 (libvips default: 4:2:0 below Q=90)
# both auto-rotated from EXIF (vipsthumbnail's default), --export-profile srgb, metadata
# stripped ([strip]). The runs go through xargs -P (cores, or $JOBS), each vipsthumbnail with
# libvips' default thread count (one per core, or $VIPS_CONCURRENCY).
# --ext: only files with these extensions (default: all images in DIR).
# EPROFILE=none leaves out --export-profile: with it, libvips 8.14 runs an lcms transform even
# on untagged (already sRGB) images, ~40 ms per preview here, and attaches the 6.9 KB sRGB
# profile to the output. Caveat: Debian's libvips 8.14.1 webpsave ignores strip, so the WebP
# thumbnails keep the EXIF block (and that ICC profile); the JPEG previews are clean.
# vipsthumbnail's geometry cannot say "short side 250", so each file's displayed width and
# height (after its EXIF orientation) are read first, outside the timed part, with vipsheader
# (a server would know them from its metadata step), to choose "250x" or "x250".
# WEBP_EFFORT=N (default 4, libvips' own) and JPEG_OPTIMIZE=1 (optimize_coding; default off, as
# in libvips) set the encoders like Shoebox's (effort 2, optimize_coding) for a like-for-like run.
# Prints one JSON line: {"tool":"vipsthumbnail","photos":n,"seconds":s,"photos_per_second":x,
# "peak_rss_mb":null,...}; peak RSS is measured by the caller (run_peer.sh).
set -euo pipefail
usage() { echo "usage: vipsthumbnail_bench.sh DIR OUTDIR [--ext jpg,jpeg,heic,...]" >&2; exit 2; }
(( $# >= 2 )) || usage
DIR=$1 OUT=$2
shift 2
EXTS=jpg,jpeg,heic,heif,avif,png,webp,tif,tiff
while (( $# )); do
  case $1 in
    --ext) (( $# >= 2 )) || usage; EXTS=$2; shift 2 ;;
    *) usage ;;
  esac
done
JOBS=${JOBS:-$(nproc)}
EPROFILE=${EPROFILE:-srgb}
WEBP_EFFORT=${WEBP_EFFORT:-4}
JPEG_OPTIMIZE=${JPEG_OPTIMIZE:-0}
jpeg_opts=Q=80,strip
(( JPEG_OPTIMIZE )) && jpeg_opts+=,optimize_coding
profile=(-e "$EPROFILE")
[[ $EPROFILE == none ]] && profile=()
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

find_names=()
IFS=, read -ra exts <<< "$EXTS"
for e in "${exts[@]}"; do
  (( ${#find_names[@]} )) && find_names+=(-o)
  find_names+=(-iname "*.$e")
done
mapfile -d '' files < <(find "$DIR" -maxdepth 1 -type f \( "${find_names[@]}" \) -print0 | sort -z)

# Untimed: the thumbnail's geometry from each file's header.
tasks=$(mktemp)
trap 'rm -f "$tasks"' EXIT
for f in "${files[@]}"; do
  w=0 h=0 o=1
  while IFS=': ' read -r key val; do
    case $key in width) w=$val ;; height) h=$val ;; orientation) o=${val%% *} ;; esac
  done < <(vipsheader -a "$f" 2>/dev/null | grep -E '^(width|height|orientation): ')
  (( o >= 5 && o <= 8 )) && { t=$w; w=$h; h=$t; }
  if (( w <= h )); then thumb=250x; else thumb=x250; fi
  name=$(basename "${f%.*}")
  rm -f "$OUT/$name.thumb.webp" "$OUT/$name.preview.jpg"  # so that only this run's count
  # Two tasks a file, next to each other; NARGS arguments each for xargs -n.
  printf '%s\0' "$f" -s "$thumb" "${profile[@]}" -o "$OUT/$name.thumb.webp[Q=80,strip,effort=$WEBP_EFFORT]" >> "$tasks"
  printf '%s\0' "$f" -s 1440 "${profile[@]}" -o "$OUT/$name.preview.jpg[$jpeg_opts]" >> "$tasks"
done
NARGS=$(( 5 + ${#profile[@]} ))

t0=$(date +%s.%N)
rc=0
if [[ -s "$tasks" ]]; then
  xargs -0 -n "$NARGS" -P "$JOBS" vipsthumbnail < "$tasks" || rc=$?
fi
t1=$(date +%s.%N)

done_=0 failed=0
for f in "${files[@]}"; do
  name=$(basename "${f%.*}")
  if [[ -s "$OUT/$name.thumb.webp" && -s "$OUT/$name.preview.jpg" ]]; then
    done_=$(( done_ + 1 ))
  else
    failed=$(( failed + 1 ))
  fi
done
secs=$(echo "$t1 - $t0" | bc -l)
pps=0
(( done_ > 0 )) && pps=$(echo "scale=2; $done_ / $secs" | bc -l)
printf '{"tool":"vipsthumbnail","photos":%d,"seconds":%.3f,"photos_per_second":%.2f,"peak_rss_mb":null,"failed":%d,"skipped":0,"parallel":%d,"vips_threads":%d,"jpeg_chroma":"4:2:0","webp_effort":%d,"jpeg_optimize_coding":%s,"export_profile":"%s","libvips":"%s"}\n' \
  "$done_" "$secs" "$pps" "$failed" "$JOBS" "${VIPS_CONCURRENCY:-$(nproc)}" "$WEBP_EFFORT" "$( (( JPEG_OPTIMIZE )) && echo true || echo false)" "$EPROFILE" "$(vips --version | sed 's/^vips-//')"
(( rc == 0 && failed == 0 )) || exit 1
