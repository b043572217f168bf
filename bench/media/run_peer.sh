#!/usr/bin/env bash
# Runs one thumbnail/preview peer under GNU time and prints its JSON line with the peak RSS.
#   bench/media/run_peer.sh shoebox|sharp|vipsthumbnail DIR OUTDIR [peer options...]
# e.g. bench/media/run_peer.sh sharp /tmp/photos /tmp/out-sharp --concurrency 2
#      bench/media/run_peer.sh shoebox /tmp/photos /tmp/out-shoebox --ext jpg
# Works from any directory (DIR and OUTDIR are taken relative to the current one).
# The inputs are read once first (untimed) so that every peer starts with them in the page cache.
# Adds to the peer's line: peak_rss_mb (GNU time's %M), wall_seconds (%e: the whole command,
# start-up included; "seconds" stays the peer's own timing of its photo loop) and rss_scope.
# Caveat on %M: it is the largest peak RSS of any ONE process of the tree (the kernel's
# ru_maxrss of waited-for children is a maximum, not a sum). For sharp that is the node process,
# which does all the work: exact. For vipsthumbnail and shoebox, xargs runs JOBS (default:
# cores) vipsthumbnail or shoebox-media processes at once, so the footprint of the run is up to
# JOBS times the figure (for shoebox, that is also what the server's job workers hold at once).
set -euo pipefail
usage() { echo "usage: run_peer.sh shoebox|sharp|vipsthumbnail DIR OUTDIR [peer options...]" >&2; exit 2; }
(( $# >= 3 )) || usage
TOOL=$1 DIR=$2 OUT=$3
shift 3
here=$(cd "$(dirname "$(readlink -f "$0")")" && pwd)
[[ -d "$DIR" ]] || { echo "run_peer: no folder $DIR" >&2; exit 1; }
[[ -x /usr/bin/time ]] || { echo "run_peer: needs GNU time (apt-get install time)" >&2; exit 1; }

case $TOOL in
  shoebox)
    cmd=(bash "$here/shoebox_pipeline_bench.sh" "$DIR" "$OUT" "$@")
    scope="largest single shoebox-media child; ${JOBS:-$(nproc)} run at once"
    ;;
  sharp)
    command -v node >/dev/null || { echo "run_peer: needs node (>= 20.9)" >&2; exit 1; }
    if [[ ! -d "$here/node_modules/sharp" ]]; then
      (cd "$here" && npm ci --no-audit --no-fund --loglevel=error >&2)
    fi
    cmd=(node "$here/sharp_bench.mjs" "$DIR" "$OUT" "$@")
    scope="the node process (all of the work)"
    ;;
  vipsthumbnail)
    command -v vipsthumbnail >/dev/null || { echo "run_peer: needs vipsthumbnail (apt-get install libvips-tools)" >&2; exit 1; }
    cmd=(bash "$here/vipsthumbnail_bench.sh" "$DIR" "$OUT" "$@")
    scope="largest single vipsthumbnail process; ${JOBS:-$(nproc)} run at once"
    ;;
  *) usage ;;
esac

find "$DIR" -maxdepth 1 -type f -exec cat {} + > /dev/null

tf=$(mktemp)
trap 'rm -f "$tf"' EXIT
rc=0
out=$(/usr/bin/time -f '%e %M' -o "$tf" "${cmd[@]}") || rc=$?
# On a non-zero exit GNU time writes "Command exited with non-zero status N" first.
read -r wall maxkb < <(tail -n 1 "$tf")
line=$(printf '%s\n' "$out" | grep '^{' | tail -n 1)
if [[ -z "$line" ]]; then
  echo "run_peer: $TOOL printed no JSON line (exit $rc)" >&2
  exit 1
fi
rss=$(echo "scale=1; $maxkb / 1024" | bc -l)
printf '%s\n' "$line" | sed "s|\"peak_rss_mb\":null|\"peak_rss_mb\":$rss,\"wall_seconds\":$wall,\"rss_scope\":\"$scope\"|"
exit "$rc"
