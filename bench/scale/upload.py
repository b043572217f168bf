#!/usr/bin/env python3
"""Uploads a folder of photos to a Shoebox server from parallel clients; prints one JSON line.

    upload.py SERVER TOKEN CLIENTS FOLDER

Each client keeps one HTTP/1.1 connection and sends one file per request with tus
creation-with-upload (the whole file rides on the POST, as the backup agent sends small files).
Files are read and hashed before the clock starts, so only the server's side is timed: from the
first request to the last answer. Every answer must be 201 with Shoebox-Asset-Id and not
Shoebox-Duplicate (a fresh library is expected); anything else makes the run fail (exit 1).
"""
import base64
import hashlib
import http.client
import json
import os
import sys
import threading
import time
import urllib.parse


def b64(text):
    return base64.b64encode(text.encode()).decode()


def main():
    server, token, clients, folder = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    url = urllib.parse.urlsplit(server)
    files = []
    for name in sorted(n for n in os.listdir(folder) if not n.startswith(".")):
        with open(os.path.join(folder, name), "rb") as f:
            data = f.read()
        files.append((name, data, hashlib.sha256(data).hexdigest()))

    next_index = 0
    lock = threading.Lock()
    latencies, failures = [], []

    def client():
        nonlocal next_index
        connection = http.client.HTTPConnection(url.hostname, url.port, timeout=120)
        while True:
            with lock:
                if next_index >= len(files) or failures:
                    break
                name, data, sha256 = files[next_index]
                next_index += 1
            headers = {
                "Authorization": "Bearer " + token,
                "Tus-Resumable": "1.0.0",
                "Upload-Length": str(len(data)),
                "Upload-Metadata": "filename %s,sha256 %s,mtime %s" % (b64(name), b64(sha256), b64("1700000000")),
                "Content-Type": "application/offset+octet-stream",
            }
            started = time.perf_counter()
            try:
                connection.request("POST", "/api/v1/uploads", body=data, headers=headers)
                response = connection.getresponse()
                response.read()
            except (OSError, http.client.HTTPException) as e:
                with lock:
                    failures.append("%s: %s" % (name, e))
                break
            latency = time.perf_counter() - started
            if (response.status != 201 or not response.getheader("Shoebox-Asset-Id")
                    or response.getheader("Shoebox-Duplicate")):
                with lock:
                    failures.append("%s: HTTP %d %s" % (name, response.status, response.getheader("Shoebox-Duplicate") or ""))
                break
            with lock:
                latencies.append(latency)
        connection.close()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started, cpu_started = time.perf_counter(), time.process_time()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    if failures:
        print("upload.py: " + "; ".join(failures[:3]), file=sys.stderr)
        sys.exit(1)
    total_bytes = sum(len(data) for _, data, _ in files)
    latencies.sort()
    print(json.dumps({
        "files": len(files),
        "bytes": total_bytes,
        "clients": clients,
        "seconds": round(seconds, 3),
        "files_per_second": round(len(files) / seconds, 2),
        "mb_per_second": round(total_bytes / 1e6 / seconds, 2),
        "request_p50_ms": round(latencies[len(latencies) // 2] * 1000, 1),
        "request_p99_ms": round(latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000, 1),
        "client_cpu_seconds": round(cpu_seconds, 2),
    }))


if __name__ == "__main__":
    main()
