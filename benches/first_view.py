#!/usr/bin/env python3
"""First-view latency of big users, fully offline (127.0.0.1 only).

Usage (from the repository root; Python 3.11+, standard library only):

    python3 benches/first_view.py [--binary PATH] [--latency-ms MS] [--sizes 250,1500]

Starts the fake GitHub of benches/load.py answering every GraphQL request after --latency-ms
(default 300), and `<binary> serve` against it with its default FIRST_VIEW_DEADLINE. For each size N
(default 250 and 1500) it asks for the wide card of `reposN` (a user with N repositories, never
seen before) and reports: how long the first answer took, its status and `X-Stats-Status`, the
repositories the first card counted, and how long until a request got the complete card (one
request every 250 ms, at most 30 s). Requests to the fake are counted per user.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import load  # noqa: E402  (the fake GitHub and process helpers)

POLL_EVERY = 0.25
POLL_FOR = 30.0


def measure(port: int, fake_port: int, size: int) -> dict:
    login = f"repos{size}"
    path = f"/banners/preview?username={login}&type=wide"
    before = load.fake_counts(fake_port)["total"]
    started = time.monotonic()
    status, headers, body = load.http_get(port, path, timeout=30)
    first = time.monotonic() - started
    result = {
        "size": size,
        "first_s": first,
        "first_status": status,
        "first_state": headers.get("x-stats-status", "-"),
        "first_partial": headers.get("x-stats-partial", "-"),
        "cache_control": headers.get("cache-control", "-"),
        "full_s": None,
    }
    if status == 200 and result["first_state"] not in ("partial",):
        result["full_s"] = first
    while result["full_s"] is None and time.monotonic() - started < POLL_FOR:
        time.sleep(POLL_EVERY)
        status, headers, _ = load.http_get(port, path, timeout=30)
        if status == 200 and headers.get("x-stats-status") != "partial":
            result["full_s"] = time.monotonic() - started
    result["github_requests"] = load.fake_counts(fake_port)["total"] - before
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--binary", type=Path, default=load.REPO_ROOT / "target" / "release" / "github-banners")
    parser.add_argument("--latency-ms", type=int, default=300)
    parser.add_argument("--sizes", default="250,1500")
    args = parser.parse_args()
    sizes = [max(1, min(int(s), 20_000)) for s in args.sizes.split(",") if s.strip()]
    binary = args.binary.resolve()
    if not binary.is_file():
        print(f"no service binary at {binary}; run `cargo build --release` first", file=sys.stderr)
        return 2
    os.environ["FAKE_GITHUB_LATENCY_MS"] = str(max(0, min(args.latency_ms, 5_000)))
    workdir = Path(tempfile.mkdtemp(prefix="github-banners-first-view-"))
    fake = service = None
    try:
        fake, fake_port = load.start_fake_github(workdir)
        service, port = load.start_service(binary, workdir, fake_port)
        rows = [measure(port, fake_port, size) for size in sizes]
    except Exception as e:
        print(f"error: {e}", file=sys.stderr)
        if service is not None:
            print(f"service log tail:\n{load.service_log_tail(workdir)}", file=sys.stderr)
        return 1
    finally:
        load.stop(service, "service")
        load.stop(fake, "fake GitHub")
        shutil.rmtree(workdir, ignore_errors=True)

    print(f"fake GitHub answers after {args.latency_ms} ms; {binary.name} with default settings\n")
    print("| repositories | first answer | status | X-Stats-Status | Cache-Control | complete card after | GitHub requests |")
    print("|---:|---:|---:|---|---|---:|---:|")
    for r in rows:
        full = f"{r['full_s']:.2f} s" if r["full_s"] is not None else f"not within {POLL_FOR:g} s"
        control = re.sub(r", stale-while-revalidate=\d+", "", r["cache_control"])
        state = r["first_state"] + (f" ({r['first_partial']})" if r["first_partial"] != "-" else "")
        print(f"| {r['size']:,} | {r['first_s']:.2f} s | {r['first_status']} | {state} | {control} "
              f"| {full} | {r['github_requests']} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
