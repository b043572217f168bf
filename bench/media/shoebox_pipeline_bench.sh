#!/usr/bin/env bash
# Shoebox's own side of the thumbnail/preview benchmark: exactly the child the server's job
# runner starts for each photo's thumbnails job, one process per photo, cores at a time.
#   bench/media/shoebox_pipeline_bench.sh DIR OUTDIR [--ext jpg,heic,...]
# For every image in DIR runs, as src/adapters/sandbox/sandboxed_media_processor.cc does:
#   shoebox-media derivatives FILE --thumbnail OUTDIR/<name>.thumb.webp
#       --preview OUTDIR/<name>.preview.jpg --thumbnail-size 250 --preview-size 1440
#       --quality 80 --mime <image/jpeg|image/heic|...> --max-pixels 100000000
# with the server's child environment (only PATH, LANG, TMPDIR, plus MALLOC_ARENA_MAX=2,
# VIPS_CONCURRENCY=1, VIPS_WARNING=0) and its default rlimits (address space
# media.memory_limit_mb = 3072 MB, no core files), through xargs -P (cores, or $JOBS): the
# server runs one job per worker and one worker per core. The limits are set once on xargs and
# inherited, so nothing but shoebox-media is exec'd per photo. Not reproduced: the per-child CPU
# limit and wall-clock timeout (neither is reached), PR_SET_PDEATHSIG, and the server's own
# work around the child (reading the blob, storing the results, the database): bench/media/run's
# end-to-end step measures those.
# One decode per photo (shrink-on-load to the preview), the thumbnail made from the preview in
# memory; WebP effort 2; JPEG 4:2:0 (libvips' default below Q=90) with optimize_coding;
# orientation applied; sRGB; no metadata.
# --ext: only files with these extensions (default: all images in DIR).
# SHOEBOX_MEDIA: the binary (default: build/bin/shoebox-media of this checkout).
# Prints one JSON line: {"tool":"shoebox","photos":n,"seconds":s,"photos_per_second":x,
# "peak_rss_mb":null,...}; peak RSS is measured by the caller (run_peer.sh).
set -euo pipefail
usage() { echo "usage: shoebox_pipeline_bench.sh DIR OUTDIR [--ext jpg,jpeg,heic,...]" >&2; exit 2; }
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
here=$(cd "$(dirname "$(readlink -f "$0")")" && pwd)
MEDIA=${SHOEBOX_MEDIA:-$here/../../build/bin/shoebox-media}
if [[ ! -x "$MEDIA" ]]; then
  echo "shoebox_pipeline_bench: $MEDIA not found: build first (scripts/build) or set SHOEBOX_MEDIA" >&2
  exit 1
fi
MEDIA=$(readlink -f "$MEDIA")
JOBS=${JOBS:-$(nproc)}
[[ -d "$DIR" ]] || { echo "shoebox_pipeline_bench: no folder $DIR" >&2; exit 1; }
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

find_names=()
IFS=, read -ra exts <<< "$EXTS"
for e in "${exts[@]}"; do
  (( ${#find_names[@]} )) && find_names+=(-o)
  find_names+=(-iname "*.$e")
done
mapfile -d '' files < <(find "$DIR" -maxdepth 1 -type f \( "${find_names[@]}" \) -print0 | sort -z)

# The MIME type the server would have sniffed (it decides nothing for JPEG/HEIC: only RAW
# files take another path).
mime_of() {
  case ${1,,} in
    *.jpg | *.jpeg) echo image/jpeg ;;
    *.heic) echo image/heic ;;
    *.heif) echo image/heif ;;
    *.avif) echo image/avif ;;
    *.png) echo image/png ;;
    *.webp) echo image/webp ;;
    *.tif | *.tiff) echo image/tiff ;;
    *) echo application/octet-stream ;;
  esac
}

tasks=$(mktemp) results=$(mktemp)
trap 'rm -f "$tasks" "$results"' EXIT
for f in "${files[@]}"; do
  name=$(basename "${f%.*}")
  rm -f "$OUT/$name.thumb.webp" "$OUT/$name.preview.jpg"  # so that only this run's count
  printf '%s\0' derivatives "$(readlink -f "$f")" --thumbnail "$OUT/$name.thumb.webp" \
    --preview "$OUT/$name.preview.jpg" --thumbnail-size 250 --preview-size 1440 --quality 80 \
    --mime "$(mime_of "$f")" --max-pixels 100000000 >> "$tasks"
done
NARGS=16

# The server's child environment and limits, set on xargs and inherited by every child.
child_env=(env -i "PATH=$PATH" MALLOC_ARENA_MAX=2 VIPS_CONCURRENCY=1 VIPS_WARNING=0)
[[ -n "${LANG:-}" ]] && child_env+=("LANG=$LANG")
[[ -n "${TMPDIR:-}" ]] && child_env+=("TMPDIR=$TMPDIR")
MEM_MB=${MEDIA_MEMORY_LIMIT_MB:-3072}

t0=$(date +%s.%N)
rc=0
if [[ -s "$tasks" ]]; then
  # Each child prints one short line ({"ok":true} or {"error":...}): one write(2) each, so the
  # lines of parallel children do not interleave in the shared pipe.
  ( ulimit -v $(( MEM_MB * 1024 )) -c 0
    exec "${child_env[@]}" xargs -0 -n "$NARGS" -P "$JOBS" "$MEDIA" < "$tasks" ) > "$results" || rc=$?
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
ok_lines=$(grep -c '"ok":true' "$results" || true)
if (( ok_lines != done_ )); then
  echo "shoebox_pipeline_bench: $ok_lines {\"ok\":true} lines for $done_ finished photos" >&2
  grep -v '"ok":true' "$results" | head -n 5 >&2 || true
  failed=$(( failed + (done_ > ok_lines ? done_ - ok_lines : 0) ))
  done_=$(( ok_lines < done_ ? ok_lines : done_ ))
fi
secs=$(echo "$t1 - $t0" | bc -l)
pps=0
(( done_ > 0 )) && pps=$(echo "scale=2; $done_ / $secs" | bc -l)
printf '{"tool":"shoebox","photos":%d,"seconds":%.3f,"photos_per_second":%.2f,"peak_rss_mb":null,"failed":%d,"skipped":0,"parallel":%d,"vips_threads":1,"jpeg_chroma":"4:2:0","webp_effort":2,"libvips":"%s"}\n' \
  "$done_" "$secs" "$pps" "$failed" "$JOBS" "$(vips --version 2>/dev/null | sed 's/^vips-//' || echo unknown)"
(( rc == 0 && failed == 0 )) || exit 1
