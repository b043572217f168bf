#!/usr/bin/env python3
"""Turns bench/scale/run's measurements into the table (stdout and Markdown) and the JSON file.

    report.py RESULTS.jsonl OUT.json OUT.md META_JSON

RESULTS.jsonl holds one object per measurement (kind upload, timeline, jobs or s3_requests);
META_JSON describes the run (date, cores, photos, settings). The best round of each
configuration is reported: highest throughput for uploads, lowest p50 for the timeline.
"""
import json
import sys

UPLOAD_NAMES = {
    "sqlite_disk": "SQLite + disk",
    "postgres_disk": "PostgreSQL + disk",
    "postgres_s3": "PostgreSQL + S3",
    "nginx_postgres_s3_x1": "one instance, PostgreSQL + S3, via nginx",
    "nginx_postgres_s3_x2": "two instances, PostgreSQL + S3, via nginx",
}


def star(record):
    return "*" if record.get("disturbed") else ""


def ratio(a, b):
    return round(a / b, 2) if b else None


def main():
    results_path, json_path, md_path, meta = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
    records = [json.loads(line) for line in open(results_path) if line.strip()]

    uploads = {}
    for r in (r for r in records if r["kind"] == "upload"):
        uploads.setdefault(r["config"], []).append(r)
    best_upload = {c: max(rs, key=lambda r: r["files_per_second"]) for c, rs in uploads.items()}
    timelines = {}
    for r in (r for r in records if r["kind"] == "timeline"):
        timelines.setdefault(r["config"], []).append(r)
    best_timeline = {c: min(rs, key=lambda r: r["p50_ms"]) for c, rs in timelines.items()}
    jobs = {r["workers"]: r for r in records if r["kind"] == "jobs"}
    s3 = next((r for r in records if r["kind"] == "s3_requests"), None)

    def up(config):
        r = best_upload[config]
        return "%s files/s, %s MB/s%s" % (r["files_per_second"], r["mb_per_second"], star(r))

    def tl(config):
        r = best_timeline[config]
        return "%.2f / %.2f ms (%d req/s)%s" % (r["p50_ms"], r["p99_ms"], r["requests_per_second"], star(r))

    def jb(workers):
        r = jobs[workers]
        return "%s jobs/s (%s jobs in %s s, %d failed)%s" % (
            r["jobs_per_second"], r["jobs"], r["seconds"], r["failed"], star(r))

    ratios = {
        "upload_postgres_s3_vs_sqlite_disk": ratio(best_upload["postgres_s3"]["files_per_second"],
                                                   best_upload["sqlite_disk"]["files_per_second"]),
        "upload_postgres_disk_vs_sqlite_disk": ratio(best_upload["postgres_disk"]["files_per_second"],
                                                     best_upload["sqlite_disk"]["files_per_second"]),
        "upload_two_instances_vs_one": ratio(best_upload["nginx_postgres_s3_x2"]["files_per_second"],
                                             best_upload["nginx_postgres_s3_x1"]["files_per_second"]),
        "timeline_p50_postgres_vs_sqlite": ratio(best_timeline["postgres"]["p50_ms"], best_timeline["sqlite"]["p50_ms"]),
        "timeline_p99_postgres_vs_sqlite": ratio(best_timeline["postgres"]["p99_ms"], best_timeline["sqlite"]["p99_ms"]),
        "jobs_two_workers_vs_one": ratio(jobs[2]["jobs_per_second"], jobs[1]["jobs_per_second"]),
    }

    n, rounds = int(meta["photos"]), int(meta["rounds"])
    lines = [
        "## Scale-out: %d photos (%s MB), %s clients (%s, %s cores%s)" % (
            n, meta["photo_mb"], meta["clients"], meta["date"], meta["cores"], ", --quick" if meta["quick"] == "1" else ""),
        "",
        "| measure | Shoebox | peer | ratio |",
        "|---|---|---|---|",
        "| upload, one instance, jobs off (best of %d) | PostgreSQL + S3: %s | SQLite + disk: %s | %sx files/s |" % (
            rounds, up("postgres_s3"), up("sqlite_disk"), ratios["upload_postgres_s3_vs_sqlite_disk"]),
        "| same, the database alone changed | PostgreSQL + disk: %s | SQLite + disk | %sx |" % (
            up("postgres_disk"), ratios["upload_postgres_disk_vs_sqlite_disk"]),
        "| upload through nginx, PostgreSQL + S3 (best of %d) | two instances: %s | one instance: %s | %sx |" % (
            rounds, up("nginx_postgres_s3_x2"), up("nginx_postgres_s3_x1"), ratios["upload_two_instances_vs_one"]),
        "| timeline first page (limit=100, %d assets), p50 / p99, %s %s s | PostgreSQL: %s | SQLite: %s | %sx / %sx latency |" % (
            n, meta["timeline_tool"], meta["wrk_seconds"], tl("postgres"), tl("sqlite"),
            ratios["timeline_p50_postgres_vs_sqlite"], ratios["timeline_p99_postgres_vs_sqlite"]),
        "| media jobs (metadata + thumbnails), PostgreSQL + S3 | two worker instances: %s | one worker instance: %s | %sx jobs/s (2 cores: at most ~2x) |" % (
            jb(2), jb(1), ratios["jobs_two_workers_vs_one"]),
        "",
        "CPU seconds per 100 photos during the best upload round (Python client included):",
        "",
        "| configuration | files/s | " + " | ".join(["shoebox", "postgres", "s3rver", "nginx", "client"]) +
        " | s3rver busy (share of one core) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for config, name in UPLOAD_NAMES.items():
        r = best_upload[config]
        cpu = r["cpu_seconds"]
        cells = ["%.2f" % (cpu[k] * 100 / n) if k in cpu else "" for k in ["shoebox", "postgres", "s3rver", "nginx", "client"]]
        busy = "%d %%" % round(cpu["s3rver"] / r["seconds"] * 100) if "s3rver" in cpu else ""
        lines.append("| %s | %s%s | %s | %s |" % (name, r["files_per_second"], star(r), " | ".join(cells), busy))
    if s3:
        def per(d):
            parts = ", ".join("%s %s" % (k, round(v / s3["photos"], 1)) for k, v in d["by_method"].items())
            return "%s (%s)" % (round(d["total"] / s3["photos"], 1), parts)
        lines += ["", "S3 requests per photo (%d photos, one client, counted by tests/s3's proxy): upload %s; "
                      "its metadata + thumbnails jobs %s." % (s3["photos"], per(s3["upload"]), per(s3["jobs"]))]
    jobs_note = ""
    if 1 in jobs and 2 in jobs:
        jobs_note = " Worker start-up (not timed): %s s for one, %s s for two." % (
            jobs[1]["startup_seconds"], jobs[2]["startup_seconds"])
    lines += [
        "",
        "Settings: %s; SQLite synchronous=FULL and the local disk fsync every upload; s3rver writes "
        "plain files without fsync. Media jobs: one thread per worker instance; the first pass takes "
        "the upload's queue, the second the same jobs re-queued.%s nginx: 1 worker process. "
        "Binaries: %s." % (meta["postgres"], jobs_note, meta["binaries"]),
    ]
    if any(r.get("disturbed") for r in records):
        lines.append("* a compiler (cc1plus/ninja) ran during this measurement: its figure is low.")
    text = "\n".join(lines) + "\n"
    sys.stdout.write(text)
    with open(md_path, "w") as f:
        f.write(text)
    with open(json_path, "w") as f:
        json.dump({
            "meta": meta,
            "ratios": ratios,
            "upload": {c: {"best": best_upload[c], "rounds": rs} for c, rs in uploads.items()},
            "timeline": {c: {"best": best_timeline[c], "rounds": rs} for c, rs in timelines.items()},
            "jobs": {"workers_%d" % w: r for w, r in sorted(jobs.items())},
            "s3_requests": s3,
        }, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
