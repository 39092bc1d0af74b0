#!/usr/bin/env python3
"""Hot-path ratios: the service against a bare axum route, same client, same run.

Usage (from the repository root; needs `wrk` (Debian package) and a release build:
`cargo build --release`):

    python3 benches/ratios.py [--duration S] [--connections N] [--binary PATH]

Starts load.py's fake GitHub and `<binary> serve` on 127.0.0.1 (SQLite, per-client limits off
for 127.0.0.0/8), warms one user, then starts `<binary> bench-bare --bytes <size of the warm SVG>`
(an axum route returning a static body of the same size; a second one PNG-sized) and runs
`wrk -t1 -c<N> -d<S>s` against:

    bare route (SVG-sized), warm SVG, warm SVG with If-None-Match (304),
    warm `type=languages&layout=donut`, bare route (PNG-sized), warm PNG

in --rounds interleaved rounds (default 3), and reports each scenario's median in requests/s and
as a ratio to the median of the bare route with a body of its size. Then it measures, with the same service:

    - CPU per cold user: 500 users never seen before, fetched, stored and rendered
      (service CPU seconds / users);
    - RSS with 2,000 users cached (after asking for 2,000 distinct users).

Everything binds to 127.0.0.1 and stops when the script ends.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import load  # noqa: E402

HOST = load.HOST


def wrk(url: str, duration: float, connections: int, headers: dict[str, str] | None = None) -> float:
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(duration))}s", "--latency"]
    for k, v in (headers or {}).items():
        cmd += ["-H", f"{k}: {v}"]
    done = subprocess.run(cmd + [url], capture_output=True, text=True, timeout=duration + 30)
    out = done.stdout
    if done.returncode != 0 or "Requests/sec" not in out:
        print(f"  wrk failed for {url}: {done.stderr.strip() or out.strip()}", file=sys.stderr)
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    if non2xx:
        print(f"  warning: {non2xx.group(1)} non-2xx/3xx answers for {url}", file=sys.stderr)
    return float(m.group(1)) if m else float("nan")


def start_bare(binary: Path, size: int, workdir: Path) -> tuple[subprocess.Popen, int]:
    port = load.free_port()
    log = open(workdir / "bare.log", "wb")
    proc = subprocess.Popen([str(binary), "bench-bare", "--bytes", str(size), "--port", str(port)],
                            stdout=log, stderr=log, start_new_session=True, preexec_fn=load.die_with_parent)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if load.http_get(port, "/", timeout=1)[0] == 200:
                return proc, port
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("bare server did not start")


def rss_mb(pid: int) -> float:
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def fetch_many(port: int, logins: list[str]) -> None:
    import http.client
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    for login in logins:
        conn.request("GET", f"/banners/preview?username={login}&type=compact")
        resp = conn.getresponse()
        resp.read()
        if resp.status != 200:
            raise RuntimeError(f"{login}: {resp.status}")
    conn.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--binary", type=Path, default=load.REPO_ROOT / "target" / "release" / "github-banners")
    args = parser.parse_args()
    args.duration = max(1.0, min(args.duration, 20.0))
    if shutil.which("wrk") is None:
        print("wrk is not installed (apt-get install wrk)", file=sys.stderr)
        return 2
    binary = args.binary.resolve()
    workdir = Path(tempfile.mkdtemp(prefix="github-banners-ratios-"))
    fake = service = bare = bare_png = bare_calendar = None
    try:
        fake, fake_port = load.start_fake_github(workdir)
        service, port = load.start_service(binary, workdir, fake_port)
        base = f"http://{HOST}:{port}"
        svg_path = "/banners/preview?username=hot-user&type=wide"
        png_path = svg_path + "&format=png"
        donut_path = "/banners/preview?username=hot-user&type=languages&layout=donut"
        # Contribution cards of a user with 11 years of calendars.
        streak_path = "/banners/preview?username=hot-user&type=streak&timezone=Europe/Berlin"
        calendar_path = "/banners/preview?username=hot-user&type=calendar"
        for path in (svg_path, png_path, donut_path, streak_path, calendar_path):
            status, headers, body = load.http_get(port, path)
            assert status == 200, (path, status)
        _, svg_headers, svg_body = load.http_get(port, svg_path)
        _, _, png_body = load.http_get(port, png_path)
        bare, bare_port = start_bare(binary, len(svg_body), workdir)
        bare_png, bare_png_port = start_bare(binary, len(png_body), workdir)
        _, _, calendar_body = load.http_get(port, calendar_path)
        bare_calendar, bare_calendar_port = start_bare(binary, len(calendar_body), workdir)
        scenarios = [
            ("bare axum route, SVG-sized body", f"http://{HOST}:{bare_port}/", None, None),
            ("warm SVG", base + svg_path, None, "bare axum route, SVG-sized body"),
            ("warm SVG, If-None-Match -> 304", base + svg_path, {"If-None-Match": svg_headers["etag"]},
             "bare axum route, SVG-sized body"),
            ("warm languages, donut", base + donut_path, None, "bare axum route, SVG-sized body"),
            ("bare axum route, PNG-sized body", f"http://{HOST}:{bare_png_port}/", None, None),
            ("warm PNG", base + png_path, None, "bare axum route, PNG-sized body"),
            ("warm streak (11 years of calendars)", base + streak_path, None, "bare axum route, SVG-sized body"),
            ("bare axum route, calendar-sized body", f"http://{HOST}:{bare_calendar_port}/", None, None),
            ("warm calendar heatmap", base + calendar_path, None, "bare axum route, calendar-sized body"),
        ]
        # Interleaved rounds, median per scenario: the machine is shared and noisy.
        samples: dict[str, list[float]] = {name: [] for name, *_ in scenarios}
        for _ in range(args.rounds):
            for name, url, headers, _ in scenarios:
                samples[name].append(wrk(url, args.duration, args.connections, headers))
        median = {name: sorted(v)[len(v) // 2] for name, v in samples.items()}
        runs = [(name, median[name], median[base_name] if base_name else median[name], samples[name])
                for name, _, _, base_name in scenarios]

        # CPU per cold user: fetch + store + render of users never seen before.
        cold = [f"cold-{i}" for i in range(500)]
        cpu0 = load.proc_cpu_seconds(service.pid)
        t0 = time.perf_counter()
        fetch_many(port, cold)
        cold_secs = time.perf_counter() - t0
        cpu_per_user_ms = (load.proc_cpu_seconds(service.pid) - cpu0) / len(cold) * 1000
        # RSS with 2,000 users cached.
        fetch_many(port, [f"cached-{i}" for i in range(1500)])
        rss = rss_mb(service.pid)
    finally:
        load.stop(bare, "bare")
        load.stop(bare_png, "bare")
        load.stop(bare_calendar, "bare")
        load.stop(service, "service")
        load.stop(fake, "fake GitHub")
        shutil.rmtree(workdir, ignore_errors=True)

    print(f"\nwrk -t1 -c{args.connections} -d{args.duration:g}s; client, service and bare route share "
          f"{os.cpu_count()} CPUs; SVG {len(svg_body):,} B, PNG {len(png_body):,} B")
    print(f"median of {args.rounds} interleaved rounds; ratio to the bare route serving a body of the same size\n")
    print("| scenario | req/s | ratio to bare | rounds |")
    print("|---|---:|---:|---|")
    for name, rps, bare_rps, all_runs in runs:
        print(f"| {name} | {rps:,.0f} | {rps / bare_rps:.2f}x | {', '.join(f'{r:,.0f}' for r in all_runs)} |")
    print(f"CPU per cold user (fetch + store + render, 500 users one after another): {cpu_per_user_ms:.2f} ms "
          f"({len(cold) / cold_secs:.0f} users/s)")
    print(f"RSS with 2,000 users cached: {rss:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
