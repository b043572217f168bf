#!/usr/bin/env python3
"""Writes a photo folder for the backup benchmark: COUNT files that sniff as JPEG (a JFIF header
and pseudo-random bytes, so every file has its own checksum), sizes uniformly between MIN and MAX
bytes, PER_FOLDER to a folder, as a camera roll organised by month would be.
Usage: make_tree.py DIR COUNT MIN_BYTES MAX_BYTES PER_FOLDER SEED"""
import os
import random
import sys

root, count, low, high, per_folder, seed = sys.argv[1], *map(int, sys.argv[2:7])
rng = random.Random(seed)
header = bytes.fromhex("ffd8ffe000104a46494600010100000100010000")
pool = os.urandom(4 << 20)  # slices of one random block: fast, and distinct per file below
for i in range(count):
    folder = os.path.join(root, f"{2000 + i // (per_folder * 12):04d}-{(i // per_folder) % 12 + 1:02d}")
    if i % per_folder == 0:
        os.makedirs(folder, exist_ok=True)
    size = rng.randint(low, high)
    body = bytearray()
    while len(body) < size - len(header) - 16:
        start = rng.randrange(0, len(pool) - 65536)
        body += pool[start:start + min(65536, size - len(header) - 16 - len(body))]
    with open(os.path.join(folder, f"IMG_{i:06d}.jpg"), "wb") as f:
        f.write(header + i.to_bytes(16, "big") + bytes(body))
