#!/usr/bin/env python3
"""Load test for the GitHub Banners service, fully offline (127.0.0.1 only).

Usage (from the repository root; Python 3.11+, standard library only):

    python3 benches/load.py [--concurrency N] [--duration S] [--binary PATH]
                            [--max-requests N] [--users N]

    --concurrency N    client connections, one request in flight on each (default 32)
    --duration S       seconds per open-ended scenario (default 10, capped at 20)
    --binary PATH      service binary (default target/release/github-banners; build it first
                       with `cargo build --release`)
    --max-requests N   request cap per scenario (default and maximum 100000)
    --users N          distinct users of scenario (c) (default 1000)

What it does:
  1. starts a fake GitHub GraphQL endpoint on 127.0.0.1 (random port, separate Python process) that
     answers `UserStats` / `UserRepositories` for any login with one fixed user (30 repositories
     with languages, `rateLimit` in the body and X-RateLimit-* headers), `ContributionCalendar`
     with a user active every year since 2016, and counts requests;
  2. starts `<binary> serve` on 127.0.0.1 (random port) in a temporary working directory with
     GITHUB_API_URL=<fake>, GITHUB_TOKENS=load-token, LOG_LEVEL=warn,
     DATABASE_URL=sqlite://<tmp>/load.db?mode=rwc, NO_WORKER=true, RATE_LIMIT_EXEMPT=127.0.0.0/8
     (every request comes from one address), and waits for /healthz;
  3. runs the scenarios with raw asyncio streams over HTTP/1.1 keep-alive connections:
       (a)  GET /banners/preview?username=loaduser&type=wide            hot cache, one user
            (starts cold: the first burst of concurrent requests shows request coalescing)
       (b)  same with &format=png                                       PNG rasterising
       (c1) GET /banners/preview?username=userN, N < --users, each once  cold: one GitHub fetch each
       (c2) the same URLs again                                          warm
       (d)  GET /themes/default/compact.svg                             sample render, no GitHub
       (e)  (a) with If-None-Match: <its ETag>                           304 revalidation
     and reports requests/s, p50/p95/p99 latency, errors (any other status, or a broken
     connection), the requests that reached the fake GitHub, and CPU used by the service and by
     this client (100% = one core);
  4. stops everything it started (also on Ctrl-C, SIGTERM or errors; the children also get
     SIGTERM from the kernel if this script dies) and prints a Markdown table.

Every scenario is bounded by --duration (at most 20 s) and --max-requests (at most 100000).
The client runs on the same machine as the service and competes with it for CPU: with few cores
the numbers are a lower bound for the service, and the "client CPU" column shows how close the
(single-threaded) client came to being the bottleneck.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import ctypes
import hashlib
import http.client
import json
import math
import os
import random
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

HOST = "127.0.0.1"  # never anything else
ANSI = re.compile(r"\x1b\[[0-9;]*m")
HARD_MAX_DURATION = 20.0
HARD_MAX_REQUESTS = 100_000
REPO_ROOT = Path(__file__).resolve().parents[1]

# ----------------------------------------------------------------------------------------------
# Fake GitHub GraphQL endpoint (runs in a child process: `load.py --fake-github`)
# ----------------------------------------------------------------------------------------------

RATE_LIMIT = 5000
PAGE_SIZE = 100
LANGUAGES = [
    ("Rust", "#dea584"),
    ("Python", "#3572A5"),
    ("TypeScript", "#3178c6"),
    ("Go", "#00ADD8"),
    ("JavaScript", "#f1e05a"),
    ("C++", "#f34b7d"),
    ("Shell", "#89e051"),
    ("HTML", "#e34c26"),
    ("CSS", "#563d7c"),
    ("Dockerfile", "#384d54"),
    ("Makefile", "#427819"),
    ("Lua", "#000080"),
]


def fake_repositories(count: int = 30) -> list[dict]:
    """`count` owned repositories (every 15th a fork from the 8th on), stars descending, like GitHub
    orders them."""
    rng = random.Random(42 if count == 30 else count)
    repos = []
    for i in range(count):
        langs = rng.sample(LANGUAGES[: 6 + i % 6], k=1 + i % 4)
        sizes = sorted((rng.randint(2_000, 900_000) for _ in langs), reverse=True)
        edges = [{"size": s, "node": {"name": n, "color": c}} for (n, c), s in zip(langs, sizes)]
        repos.append(
            {
                "id": f"R_kgDO{rng.getrandbits(40):010X}",
                "name": f"project-{i:02d}",
                "isFork": i % 12 == 7,
                "isPrivate": False,
                "stargazerCount": int(4000 / (i + 1)) + rng.randint(0, 9),
                "forkCount": int(300 / (i + 1)) + rng.randint(0, 3),
                "pushedAt": f"2025-{1 + i % 12:02d}-{1 + i % 28:02d}T12:00:00Z",
                "primaryLanguage": edges[0]["node"],
                "languages": {"edges": edges},
            }
        )
    repos.sort(key=lambda r: (-r["stargazerCount"], r["name"]))
    return repos


def contribution_calendar(variables: dict) -> dict:
    """`contributionsCollection(from, to)` of a user active every year since 2016: a few
    contributions most days (a fixed pattern), the days counted in `from`'s offset."""
    import datetime as dt

    start = dt.datetime.fromisoformat(str(variables.get("from")).replace("Z", "+00:00"))
    end = dt.datetime.fromisoformat(str(variables.get("to")).replace("Z", "+00:00")).astimezone(start.tzinfo)
    weeks: list[dict] = []
    day = start.date()
    while day <= end.date():
        if not weeks or day.isoweekday() == 7:
            weeks.append({"contributionDays": []})
        count = (day.toordinal() * 7919) % 13
        weeks[-1]["contributionDays"].append({"date": day.isoformat(), "contributionCount": max(count - 3, 0)})
        day += dt.timedelta(days=1)
    this_year = dt.date.today().year
    return {
        "contributionsCollection": {
            "contributionYears": list(range(this_year, 2015, -1)),
            "restrictedContributionsCount": 0,
            "contributionCalendar": {"weeks": weeks},
        }
    }


def cursor(offset: int) -> str:
    return base64.b64encode(f"cursor:v2:{offset}".encode()).decode()


def decode_cursor(text: str) -> int | None:
    try:
        raw = base64.b64decode(text + "=" * (-len(text) % 4)).decode()
        return int(raw.removeprefix("cursor:v2:")) if raw.startswith("cursor:v2:") else None
    except Exception:
        return None


# `reposN` (N up to 20,000) owns N repositories instead of the default 30 (first-view benchmark).
SIZED_LOGIN = re.compile(r"repos(\d{1,5})")


class FakeGitHub:
    def __init__(self) -> None:
        self.repos = fake_repositories()
        self.sized: dict[int, list[dict]] = {}
        # Every GraphQL answer waits this long, like GitHub under load (FAKE_GITHUB_LATENCY_MS).
        self.latency = int(os.environ.get("FAKE_GITHUB_LATENCY_MS", "0")) / 1000
        self.reset_at = int(time.time()) + 3600
        self.counts: Counter[str] = Counter()
        self.logins: set[str] = set()

    def rate_limit(self) -> tuple[dict, dict]:
        used = self.counts["total"]
        remaining = max(RATE_LIMIT - used, 0)
        reset_iso = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.reset_at))
        headers = {
            "X-RateLimit-Limit": str(RATE_LIMIT),
            "X-RateLimit-Remaining": str(remaining),
            "X-RateLimit-Reset": str(self.reset_at),
            "X-RateLimit-Used": str(RATE_LIMIT - remaining),
            "X-RateLimit-Resource": "graphql",
        }
        return {"limit": RATE_LIMIT, "remaining": remaining, "resetAt": reset_iso}, headers

    def graphql(self, headers: dict[str, str], body: bytes) -> tuple[int, dict, dict]:
        if not headers.get("authorization"):
            return 401, {"message": "This endpoint requires you to be authenticated."}, {}
        try:
            request = json.loads(body)
        except ValueError:
            return 400, {"message": "Problems parsing JSON"}, {}
        self.counts["total"] += 1
        operation = request.get("operationName") or ""
        self.counts[operation or "?"] += 1
        rate_limit, rl_headers = self.rate_limit()
        variables = request.get("variables") or {}
        login = variables.get("login")
        if operation == "ContributionCalendar" and isinstance(login, str):
            return 200, {"data": {"rateLimit": rate_limit, "user": contribution_calendar(variables)}}, rl_headers
        if operation not in ("UserStats", "UserRepositories") or not isinstance(login, str):
            return 200, {"errors": [{"message": f'No operation named "{operation}"'}]}, rl_headers
        self.logins.add(login.lower())
        repos = self.repos_of(login)
        if str(variables.get("direction") or "DESC").upper() == "ASC":
            repos = repos[::-1]
        start = 0
        if operation == "UserRepositories" and variables.get("after") is not None:
            start = decode_cursor(str(variables["after"]))
            if start is None:
                return 200, {"errors": [{"message": "invalid cursor"}]}, rl_headers
            start = min(start, len(repos))
        end = min(start + PAGE_SIZE, len(repos))
        page = {
            "pageInfo": {"hasNextPage": end < len(repos), "endCursor": cursor(end) if end > start else None},
            "nodes": repos[start:end],
        }
        if operation == "UserRepositories":
            return 200, {"data": {"rateLimit": rate_limit, "user": {"repositories": page}}}, rl_headers
        user = {
            # Unique per login, like GitHub's node ids (the store keys users by it).
            "id": "U_kgDO" + hashlib.sha1(login.lower().encode()).hexdigest()[:16],
            "login": login,
            "name": "Load Test User",
            "avatarUrl": f"https://avatars.githubusercontent.com/{login}",
            "bio": "Benchmarks things.",
            "company": "@example",
            "location": "Berlin",
            "createdAt": "2012-03-04T05:06:07Z",
            "followers": {"totalCount": 1234},
            "following": {"totalCount": 56},
            "contributionsCollection": {
                "totalCommitContributions": 1523,
                "restrictedContributionsCount": 120,
                "totalPullRequestContributions": 210,
                "totalIssueContributions": 87,
                "totalPullRequestReviewContributions": 64,
            },
            "repositoriesContributedTo": {"totalCount": 42},
            "pullRequests": {"totalCount": 240},
            "mergedPullRequests": {"totalCount": 200},
            "issues": {"totalCount": 130},
            "repositoryDiscussions": {"totalCount": 4},
            "repositoryDiscussionComments": {"totalCount": 2},
            "repositories": {"totalCount": len(repos), **page},
        }
        return 200, {"data": {"rateLimit": rate_limit, "user": user}}, rl_headers

    def repos_of(self, login: str) -> list[dict]:
        sized = SIZED_LOGIN.fullmatch(login.lower())
        if not sized or int(sized.group(1)) > 20_000:
            return self.repos
        count = int(sized.group(1))
        if count not in self.sized:
            self.sized[count] = fake_repositories(count)
        return self.sized[count]

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, target = lines[0].split(" ")[:2]
                headers = {}
                for line in lines[1:]:
                    if ":" in line:
                        k, v = line.split(":", 1)
                        headers[k.strip().lower()] = v.strip()
                body = b""
                if "content-length" in headers:
                    body = await reader.readexactly(int(headers["content-length"]))
                elif headers.get("transfer-encoding", "").lower() == "chunked":
                    body = await read_chunked(reader)
                if method == "GET" and target == "/__counts":
                    status, payload, extra = 200, {**self.counts, "logins": len(self.logins)}, {}
                elif method == "POST":
                    status, payload, extra = self.graphql(headers, body)
                    if self.latency:
                        await asyncio.sleep(self.latency)
                else:
                    status, payload, extra = 404, {"message": "Not Found"}, {}
                data = json.dumps(payload, separators=(",", ":")).encode()
                out = [f"HTTP/1.1 {status} {'OK' if status == 200 else 'Error'}",
                       "Content-Type: application/json; charset=utf-8",
                       f"Content-Length: {len(data)}"]
                out += [f"{k}: {v}" for k, v in extra.items()]
                writer.write(("\r\n".join(out) + "\r\n\r\n").encode() + data)
                await writer.drain()
                if headers.get("connection", "").lower() == "close":
                    break
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()


async def read_chunked(reader: asyncio.StreamReader) -> bytes:
    parts = []
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
        if size == 0:
            await reader.readuntil(b"\r\n")  # (no trailers expected)
            return b"".join(parts)
        parts.append(await reader.readexactly(size))
        await reader.readexactly(2)


async def fake_github_main() -> None:
    fake = FakeGitHub()
    server = await asyncio.start_server(fake.handle, HOST, 0, backlog=1024)
    port = server.sockets[0].getsockname()[1]
    print(f"PORT {port}", flush=True)
    async with server:
        await server.serve_forever()


# ----------------------------------------------------------------------------------------------
# Process management
# ----------------------------------------------------------------------------------------------


def die_with_parent() -> None:
    """preexec_fn: the kernel sends SIGTERM to the child if this script dies (Linux)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except Exception:
        pass


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def stop(proc: subprocess.Popen | None, name: str) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        print(f"{name} did not stop after SIGTERM; killing it", file=sys.stderr)
        proc.kill()
        proc.wait(timeout=5)


def start_fake_github(workdir: Path) -> tuple[subprocess.Popen, int]:
    log = open(workdir / "fake-github.log", "wb")
    proc = subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), "--fake-github"],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=log,
        start_new_session=True, preexec_fn=die_with_parent,
    )
    ready, _, _ = select.select([proc.stdout], [], [], 15)
    line = proc.stdout.readline().decode() if ready else ""
    if not line.startswith("PORT "):
        stop(proc, "fake GitHub")
        raise RuntimeError(f"fake GitHub did not start: {(workdir / 'fake-github.log').read_text()[-2000:]}")
    return proc, int(line.split()[1])


def http_get(port: int, path: str, timeout: float = 5.0) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)  # direct: never a proxy
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


def start_service(
    binary: Path, workdir: Path, fake_port: int, extra_env: dict[str, str] | None = None
) -> tuple[subprocess.Popen, int]:
    port = free_port()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(workdir),
        "HOST": HOST,
        "PORT": str(port),
        "GITHUB_API_URL": f"http://{HOST}:{fake_port}/graphql",
        # Never the real GitHub, even if every token were rejected (the REST fallback).
        "GITHUB_REST_URL": f"http://{HOST}:{fake_port}",
        "GITHUB_TOKENS": "load-token",
        "LOG_LEVEL": "warn",
        "DATABASE_URL": f"sqlite://{workdir}/load.db?mode=rwc",
        "NO_WORKER": "true",
        # One client address sends everything here: the per-client limits would measure themselves.
        "RATE_LIMIT_EXEMPT": "127.0.0.0/8",
        "NO_PROXY": "*",
        "no_proxy": "*",
        **(extra_env or {}),
    }
    log = open(workdir / "service.log", "wb")
    proc = subprocess.Popen(
        [str(binary), "serve"], cwd=workdir, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
        start_new_session=True, preexec_fn=die_with_parent,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"service exited with {proc.returncode}:\n{service_log_tail(workdir)}")
        try:
            if http_get(port, "/healthz", timeout=1)[0] == 200:
                return proc, port
        except OSError:
            pass
        time.sleep(0.1)
    stop(proc, "service")
    raise RuntimeError(f"service not healthy after 60 s:\n{service_log_tail(workdir)}")


def service_log_tail(workdir: Path, chars: int = 3000) -> str:
    try:
        return (workdir / "service.log").read_text(errors="replace")[-chars:]
    except OSError:
        return "(no log)"


def fake_counts(fake_port: int) -> Counter:
    status, _, body = http_get(fake_port, "/__counts")
    return Counter(json.loads(body)) if status == 200 else Counter()


def proc_cpu_seconds(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return float("nan")


def own_cpu_seconds() -> float:
    t = os.times()
    return t.user + t.system


# ----------------------------------------------------------------------------------------------
# Load client: N keep-alive connections, one request in flight on each
# ----------------------------------------------------------------------------------------------


@dataclass
class Result:
    name: str
    latencies: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    failures: Counter = field(default_factory=Counter)  # connection-level problems
    errors: int = 0
    body_bytes: int = 0
    connections: int = 0
    elapsed: float = 0.0
    github: int = 0
    svc_cpu: float = 0.0
    fake_cpu: float = 0.0
    client_cpu: float = 0.0
    first_headers: dict = field(default_factory=dict)


def build_request(path: str, port: int, extra: dict[str, str] | None = None) -> bytes:
    lines = [f"GET {path} HTTP/1.1", f"Host: {HOST}:{port}", "User-Agent: github-banners-load/1", "Accept: */*"]
    lines += [f"{k}: {v}" for k, v in (extra or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def parse_head(head: bytes) -> tuple[int, int | None, bool, bool]:
    """(status, content-length, chunked, connection: close) from a response head."""
    status = int(head[9:12])
    lower = head.lower()
    length = None
    i = lower.find(b"\r\ncontent-length:")
    if i >= 0:
        j = lower.index(b"\r\n", i + 2)
        length = int(lower[i + 17 : j])
    chunked = b"\r\ntransfer-encoding: chunked" in lower
    close = b"\r\nconnection: close" in lower
    return status, length, chunked, close


def head_dict(head: bytes) -> dict[str, str]:
    out = {}
    for line in head.decode("latin-1").split("\r\n")[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            out[k.strip().lower()] = v.strip()
    return out


async def run_scenario(
    name: str, port: int, requests: list[bytes], *, total: int, concurrency: int, duration: float,
    expect: int, svc_pid: int, fake_port: int, fake_pid: int,
) -> Result:
    """Sends requests[i % len(requests)] for i < total, until `duration` has passed."""
    result = Result(name)
    next_index = 0
    deadline = 0.0
    perf = time.perf_counter
    lat_append = result.latencies.append
    statuses = result.statuses

    async def worker() -> None:
        nonlocal next_index
        reader = writer = None
        try:
            while next_index < total and perf() < deadline:
                request = requests[next_index % len(requests)]
                next_index += 1
                try:
                    if writer is None:
                        reader, writer = await asyncio.open_connection(HOST, port)
                        result.connections += 1
                    t0 = perf()
                    writer.write(request)
                    head = await reader.readuntil(b"\r\n\r\n")
                    status, length, chunked, close = parse_head(head)
                    if length is not None:
                        body = await reader.readexactly(length) if length else b""
                    elif chunked:
                        body = await read_chunked(reader)
                    elif status in (204, 304):
                        body = b""
                    else:
                        body = await reader.read()
                        close = True
                    lat_append(perf() - t0)
                except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as e:
                    result.failures[type(e).__name__] += 1
                    result.errors += 1
                    if writer is not None:
                        writer.close()
                    reader = writer = None
                    continue
                statuses[status] += 1
                result.body_bytes += len(body)
                if not result.first_headers:
                    result.first_headers = head_dict(head)
                if status != expect:
                    result.errors += 1
                if close:
                    writer.close()
                    reader = writer = None
        finally:
            if writer is not None:
                writer.close()

    before = fake_counts(fake_port)["total"]
    svc0, cli0, fake0 = proc_cpu_seconds(svc_pid), own_cpu_seconds(), proc_cpu_seconds(fake_pid)
    start = perf()
    deadline = start + duration
    tasks = [asyncio.create_task(worker()) for _ in range(concurrency)]
    # Requests still in flight 10 s after the deadline count as timeouts.
    done, pending = await asyncio.wait(tasks, timeout=duration + 10)
    for task in pending:
        task.cancel()
        result.failures["timeout"] += 1
        result.errors += 1
    if pending:
        await asyncio.wait(pending)
    for task in done:
        if task.exception() is not None:
            result.failures[type(task.exception()).__name__] += 1
            result.errors += 1
    result.elapsed = perf() - start
    result.svc_cpu = proc_cpu_seconds(svc_pid) - svc0
    result.client_cpu = own_cpu_seconds() - cli0
    result.fake_cpu = proc_cpu_seconds(fake_pid) - fake0
    result.github = fake_counts(fake_port)["total"] - before
    return result


def percentile(sorted_values: list[float], p: float) -> float:
    if not sorted_values:
        return float("nan")
    k = max(0, min(len(sorted_values) - 1, math.ceil(p / 100 * len(sorted_values)) - 1))  # nearest rank
    return sorted_values[k]


def table(results: list[Result]) -> str:
    rows = [
        "| scenario | requests | errors | secs | req/s | p50 ms | p95 ms | p99 ms | GitHub calls | svc CPU | client CPU |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lat = sorted(r.latencies)
        n = sum(r.statuses.values())
        rows.append(
            f"| {r.name} | {n} | {r.errors} | {r.elapsed:.2f} | {n / r.elapsed if r.elapsed else 0:,.0f} | "
            f"{percentile(lat, 50) * 1e3:.2f} | {percentile(lat, 95) * 1e3:.2f} | {percentile(lat, 99) * 1e3:.2f} | "
            f"{r.github} | {100 * r.svc_cpu / r.elapsed:.0f}% | {100 * r.client_cpu / r.elapsed:.0f}% |"
        )
    return "\n".join(rows)


def details(results: list[Result]) -> str:
    lines = []
    for r in results:
        n = sum(r.statuses.values())
        statuses = ", ".join(f"{s}x{c}" for s, c in sorted(r.statuses.items()))
        fails = ", ".join(f"{k}x{v}" for k, v in r.failures.items()) or "none"
        h = r.first_headers
        lines.append(
            f"- {r.name}: statuses {statuses or '-'}; connection failures {fails}; {r.connections} connections; "
            f"{r.body_bytes / n if n else 0:,.0f} B/response; first response "
            f"content-type={h.get('content-type', '-')}, x-stats-status={h.get('x-stats-status', '-')}; "
            f"fake GitHub CPU {100 * r.fake_cpu / r.elapsed:.0f}%"
        )
    return "\n".join(lines)


async def run_all(
    args: argparse.Namespace, port: int, svc_pid: int, fake_port: int, fake_pid: int
) -> list[Result]:
    common = dict(concurrency=args.concurrency, svc_pid=svc_pid, fake_port=fake_port, fake_pid=fake_pid)
    dur, cap = args.duration, args.max_requests
    hot = "/banners/preview?username=loaduser&type=wide"
    results = []

    def say(r: Result) -> None:
        n = sum(r.statuses.values())
        print(f"  {r.name}: {n} requests, {r.errors} errors, {n / r.elapsed:,.0f} req/s", file=sys.stderr, flush=True)

    scenarios = [
        ("(a) hot wide SVG, 1 user", [build_request(hot, port)], cap, dur, 200),
        ("(b) hot wide PNG, 1 user", [build_request(hot + "&format=png", port)], cap, dur, 200),
    ]
    for name, reqs, total, d, expect in scenarios:
        print(f"running {name} ...", file=sys.stderr, flush=True)
        results.append(await run_scenario(name, port, reqs, total=total, duration=d, expect=expect, **common))
        say(results[-1])

    users = [build_request(f"/banners/preview?username=user{i}", port) for i in range(args.users)]
    for name in (f"(c1) {args.users} users, cold pass", f"(c2) {args.users} users, warm pass"):
        print(f"running {name} ...", file=sys.stderr, flush=True)
        total = min(len(users), cap)
        results.append(await run_scenario(name, port, users, total=total, duration=HARD_MAX_DURATION,
                                          expect=200, **common))
        say(results[-1])

    name = "(d) /themes/default/compact.svg"
    print(f"running {name} ...", file=sys.stderr, flush=True)
    results.append(await run_scenario(name, port, [build_request("/themes/default/compact.svg", port)],
                                      total=cap, duration=dur, expect=200, **common))
    say(results[-1])

    status, headers, _ = http_get(port, hot)
    etag = headers.get("etag")
    if status != 200 or not etag:
        raise RuntimeError(f"no ETag on {hot}: status {status}, headers {headers}")
    name = "(e) (a) + If-None-Match -> 304"
    print(f"running {name} ...", file=sys.stderr, flush=True)
    results.append(await run_scenario(name, port, [build_request(hot, port, {"If-None-Match": etag})],
                                      total=cap, duration=dur, expect=304, **common))
    say(results[-1])
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--binary", type=Path, default=REPO_ROOT / "target" / "release" / "github-banners")
    parser.add_argument("--max-requests", type=int, default=HARD_MAX_REQUESTS)
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--fake-github", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.fake_github:
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        try:
            asyncio.run(fake_github_main())
        except (KeyboardInterrupt, SystemExit):
            pass
        return 0

    args.duration = max(0.5, min(args.duration, HARD_MAX_DURATION))
    args.max_requests = max(1, min(args.max_requests, HARD_MAX_REQUESTS))
    args.concurrency = max(1, min(args.concurrency, 1024))
    args.users = max(1, min(args.users, HARD_MAX_REQUESTS))
    binary = args.binary.resolve()
    if not binary.is_file():
        print(f"no service binary at {binary}; run `cargo build --release` first", file=sys.stderr)
        return 2

    # SIGTERM unwinds like Ctrl-C, so the finally below stops the children.
    def on_sigterm(*_: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_sigterm)
    workdir = Path(tempfile.mkdtemp(prefix="github-banners-load-"))
    fake = service = None
    try:
        fake, fake_port = start_fake_github(workdir)
        service, port = start_service(binary, workdir, fake_port)
        print(f"fake GitHub on {HOST}:{fake_port}, service on {HOST}:{port} (pid {service.pid}), "
              f"concurrency {args.concurrency}, duration {args.duration:g}s, cap {args.max_requests} requests, "
              f"{os.cpu_count()} CPUs", file=sys.stderr, flush=True)
        results = asyncio.run(run_all(args, port, service.pid, fake_port, fake.pid))
        if service.poll() is not None:
            print(f"service exited during the run ({service.returncode})", file=sys.stderr)
        log_lines = [ANSI.sub("", line) for line in service_log_tail(workdir, 10**7).splitlines() if line.strip()]
    except KeyboardInterrupt:
        print("interrupted; stopping", file=sys.stderr)
        return 130
    except Exception as e:
        print(f"error: {e}", file=sys.stderr)
        if service is not None:
            print(f"service log tail:\n{service_log_tail(workdir)}", file=sys.stderr)
        return 1
    finally:
        stop(service, "service")
        stop(fake, "fake GitHub")
        shutil.rmtree(workdir, ignore_errors=True)

    print()
    print(f"concurrency {args.concurrency}, duration {args.duration:g}s/scenario, keep-alive, "
          f"client and service on the same {os.cpu_count()}-CPU host (CPU 100% = one core)")
    print()
    print(table(results))
    print()
    print(details(results))
    if log_lines:
        print(f"\nservice log: {len(log_lines)} lines at warn or above; last ones:\n```")
        print("\n".join(line[:300] for line in log_lines[-8:]) + "\n```")
    else:
        print("\nservice log: no lines at warn or above")
    return 0


if __name__ == "__main__":
    sys.exit(main())
