#!/usr/bin/env python3
"""Abuse soak for the GitHub Banners service, fully offline (127.0.0.1 only, bounded).

Usage (from the repository root; Python 3.11+, standard library only; build first with
`cargo build --release`):

    python3 benches/abuse.py [--binary PATH] [--duration S]

It starts a fake GitHub (benches/load.py's, with knobs for delay, errors and a secondary rate
limit) and `<binary> serve` on 127.0.0.1, then replays the attacks of the hardening issue one after
another. During each attack a well-behaved client on another loopback address (127.0.0.2) asks for
a known user's card twenty times a second. For each attack it reports: whether the service is still
alive, how many GitHub requests the attack caused, the well-behaved client's p50/p99, and the
service's RSS and thread count afterwards.

Attackers use addresses in 127.0.1.0/24 (Linux routes all of 127/8 to loopback), so per-client
limits see many clients where the issue describes many visitors, and one client where it describes
one. Every attack is bounded by --duration (default 8 s, at most 20) and by request counts.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import load  # noqa: E402  (the fake GitHub, process helpers and HTTP parsing are shared)

HOST = load.HOST
GOOD_CLIENT = "127.0.0.2"
HARD_MAX_DURATION = 20.0

# ----------------------------------------------------------------------------------------------
# Fake GitHub with knobs (a child process: `abuse.py --fake-github`)
# ----------------------------------------------------------------------------------------------


class KnobbedGitHub(load.FakeGitHub):
    """load.py's fake, plus POST /__control {"delay": s, "error_rate": 0..1, "secondary_limit": n,
    "bump": {"login": stars}} (adds stars to a login's first repository) and per-login counts."""

    def __init__(self) -> None:
        super().__init__()
        self.delay = 0.0
        self.error_rate = 0.0
        self.secondary_limit = 0
        self.in_flight = 0
        self.max_in_flight = 0
        self.seen = 0
        self.bumps: dict[str, int] = {}

    def graphql(self, headers: dict[str, str], body: bytes) -> tuple[int, dict, dict]:
        status, payload, extra = super().graphql(headers, body)
        try:
            request = json.loads(body)
            login = str((request.get("variables") or {}).get("login") or "").lower()
        except ValueError:
            login = ""
        if login:
            self.counts[f"login:{login}"] += 1
        user = (payload.get("data") or {}).get("user") or {}
        nodes = (user.get("repositories") or {}).get("nodes") or []
        if login in self.bumps and nodes and request.get("operationName") == "UserStats":
            first = dict(nodes[0])
            first["stargazerCount"] += self.bumps[login]
            user["repositories"]["nodes"] = [first] + nodes[1:]
        return status, payload, extra

    async def answer(self, method: str, target: str, headers: dict[str, str], body: bytes) -> tuple[int, dict, dict]:
        if method == "GET" and target == "/__counts":
            return 200, {**self.counts, "logins": len(self.logins), "max_in_flight": self.max_in_flight}, {}
        if method == "POST" and target == "/__control":
            knobs = json.loads(body or b"{}")
            self.delay = float(knobs.get("delay", self.delay))
            self.error_rate = float(knobs.get("error_rate", self.error_rate))
            self.secondary_limit = int(knobs.get("secondary_limit", self.secondary_limit))
            for login, stars in (knobs.get("bump") or {}).items():
                self.bumps[login.lower()] = self.bumps.get(login.lower(), 0) + int(stars)
            self.max_in_flight = 0
            return 200, {"ok": True}, {}
        if method != "POST":
            return 404, {"message": "Not Found"}, {}
        self.counts["arrived"] += 1
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            self.seen += 1
            if self.secondary_limit and self.in_flight > self.secondary_limit:
                self.counts["total"] += 1
                self.counts["secondary_limited"] += 1
                return 403, {"message": "You have exceeded a secondary rate limit."}, {"Retry-After": "60"}
            if self.delay:
                await asyncio.sleep(self.delay)
            if self.error_rate and (self.seen % 1000) < self.error_rate * 1000:
                self.counts["total"] += 1
                return 502, {"message": "Bad Gateway"}, {}
            return self.graphql(headers, body)
        finally:
            self.in_flight -= 1

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
                    body = await load.read_chunked(reader)
                status, payload, extra = await self.answer(method, target, headers, body)
                data = json.dumps(payload, separators=(",", ":")).encode()
                out = [f"HTTP/1.1 {status} X", "Content-Type: application/json", f"Content-Length: {len(data)}"]
                out += [f"{k}: {v}" for k, v in extra.items()]
                writer.write(("\r\n".join(out) + "\r\n\r\n").encode() + data)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()


async def fake_github_main() -> None:
    fake = KnobbedGitHub()
    server = await asyncio.start_server(fake.handle, HOST, 0, backlog=1024)
    print(f"PORT {server.sockets[0].getsockname()[1]}", flush=True)
    async with server:
        await server.serve_forever()


def start_fake(workdir: Path):
    log = open(workdir / "fake-github.log", "wb")
    proc = load.subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), "--fake-github"],
        stdin=load.subprocess.DEVNULL, stdout=load.subprocess.PIPE, stderr=log,
        start_new_session=True, preexec_fn=load.die_with_parent,
    )
    ready, _, _ = load.select.select([proc.stdout], [], [], 15)
    line = proc.stdout.readline().decode() if ready else ""
    if not line.startswith("PORT "):
        load.stop(proc, "fake GitHub")
        raise RuntimeError("fake GitHub did not start")
    return proc, int(line.split()[1])


def control(fake_port: int, **knobs: float) -> None:
    conn = load.http.client.HTTPConnection(HOST, fake_port, timeout=5)
    conn.request("POST", "/__control", body=json.dumps(knobs), headers={"Content-Type": "application/json"})
    conn.getresponse().read()
    conn.close()


def start_service(binary: Path, workdir: Path, fake_port: int):
    port = load.free_port()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(workdir),
        "HOST": HOST,
        "PORT": str(port),
        "GITHUB_API_URL": f"http://{HOST}:{fake_port}/graphql",
        # Never the real GitHub, even if every token were rejected (the REST fallback).
        "GITHUB_REST_URL": f"http://{HOST}:{fake_port}",
        "GITHUB_TOKENS": "abuse-token",
        "LOG_LEVEL": "error",
        "DATABASE_URL": f"sqlite://{workdir}/abuse.db?mode=rwc",
        "NO_WORKER": "true",
        # Short TTLs so "a known user older than the hard TTL" happens within the run.
        "CACHE_SOFT_TTL": "1s",
        "CACHE_HARD_TTL": "3s",
        "HEADER_READ_TIMEOUT": "3s",
    }
    log = open(workdir / "service.log", "wb")
    proc = load.subprocess.Popen(
        [str(binary), "serve"], cwd=workdir, env=env, stdin=load.subprocess.DEVNULL, stdout=log, stderr=log,
        start_new_session=True, preexec_fn=load.die_with_parent,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"service exited with {proc.returncode}:\n{load.service_log_tail(workdir)}")
        try:
            if load.http_get(port, "/healthz", timeout=1)[0] == 200:
                return proc, port
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError("service not healthy after 60 s")


def rss_and_threads(pid: int) -> tuple[float, int]:
    rss, threads = float("nan"), -1
    try:
        for line in open(f"/proc/{pid}/status"):
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1]) / 1024
            elif line.startswith("Threads:"):
                threads = int(line.split()[1])
    except OSError:
        pass
    return rss, threads


# ----------------------------------------------------------------------------------------------
# HTTP from a chosen loopback address
# ----------------------------------------------------------------------------------------------


async def request(port: int, source: str, raw: bytes, timeout: float = 30.0) -> tuple[int, bytes]:
    """One request on a fresh connection from `source`; (status, body), status 0 on failure."""
    writer = None
    try:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(HOST, port, local_addr=(source, 0)), timeout)
        writer.write(raw)
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout)
        status, length, chunked, _ = load.parse_head(head)
        if length is not None:
            body = await asyncio.wait_for(reader.readexactly(length), timeout)
        elif chunked:
            body = await asyncio.wait_for(load.read_chunked(reader), timeout)
        else:
            body = b""
        return status, body
    except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, ValueError, asyncio.LimitOverrunError):
        return 0, b""
    finally:
        if writer is not None:
            writer.close()


def get(path: str) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n".encode()


def post(path: str, body: str) -> bytes:
    data = body.encode()
    return (f"POST {path} HTTP/1.1\r\nHost: {HOST}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(data)}\r\nConnection: close\r\n\r\n").encode() + data


def attacker(i: int) -> str:
    """Attack n's clients live in 127.<n>.x.y, so no attack inherits another's spent budget."""
    n = ATTACK[0]
    return f"127.{10 + n}.{i // 250}.{1 + i % 250}"


ATTACK = [0]


@dataclass
class Outcome:
    name: str
    alive: bool = False
    github: int = 0
    attack_statuses: dict = field(default_factory=dict)
    good: list[float] = field(default_factory=list)
    good_failures: int = 0
    rss_mb: float = 0.0
    threads: int = 0
    max_in_flight: int = 0
    note: str = ""


async def well_behaved(port: int, stop: asyncio.Event, outcome: Outcome) -> None:
    """Twenty requests a second for a known user's card, from its own address."""
    while not stop.is_set():
        t0 = time.perf_counter()
        status, _ = await request(port, GOOD_CLIENT, get("/banners/preview?username=good-visitor&type=wide"), 10)
        outcome.good.append(time.perf_counter() - t0)
        if status != 200:
            outcome.good_failures += 1
        await asyncio.sleep(max(0.0, 0.05 - (time.perf_counter() - t0)))


async def run_attack(name, attack, port, fake_port, pid, note="") -> Outcome:
    ATTACK[0] += 1
    outcome = Outcome(name, note=note)
    before = load.fake_counts(fake_port)["arrived"]
    stop = asyncio.Event()
    good = asyncio.create_task(well_behaved(port, stop, outcome))
    statuses: dict[int, int] = {}
    try:
        await attack(statuses)
    finally:
        stop.set()
        await good
    counts = load.fake_counts(fake_port)
    outcome.max_in_flight = counts["max_in_flight"]
    outcome.github = counts["arrived"] - before
    control(fake_port, delay=0, error_rate=0, secondary_limit=0)
    outcome.attack_statuses = dict(sorted(statuses.items(), key=lambda kv: str(kv[0])))
    status, _ = await request(port, "127.0.0.3", get("/healthz"), 5)
    outcome.alive = status == 200
    outcome.rss_mb, outcome.threads = rss_and_threads(pid)
    return outcome


def count(statuses: dict[int, int], status: int) -> None:
    statuses[status] = statuses.get(status, 0) + 1


async def main_async(port: int, fake_port: int, pid: int, duration: float) -> list[Outcome]:
    results = []

    async def until(deadline: float, make) -> None:
        while time.perf_counter() < deadline:
            await make()

    # Known users, stored before the attacks (the well-behaved visitor's and 20 others), each
    # asked for by its own visitor.
    for i, login in enumerate(["good-visitor"] + [f"known-{i}" for i in range(20)]):
        status, _ = await request(port, f"127.0.2.{i + 1}", get(f"/banners/preview?username={login}&type=compact"))
        if status != 200:
            raise RuntimeError(f"could not store {login}: {status}")
    rss0, threads0 = rss_and_threads(pid)
    baseline = await run_attack("baseline (no attack)", lambda s: asyncio.sleep(duration / 2), port, fake_port, pid)
    results.append(baseline)

    async def deep_graphql(statuses):
        deep = post("/graphql", json.dumps({"query": "{user(login:" + "[" * 10_000 + '"x"' + "]" * 10_000 + "){login}}"}))
        deadline = time.perf_counter() + duration
        async def one(i):
            while time.perf_counter() < deadline:
                status, _ = await request(port, attacker(i), deep)
                count(statuses, status)
        await asyncio.gather(*(one(i) for i in range(4)))
    results.append(await run_attack("1. GraphQL nested 10,000 deep, 4 clients", deep_graphql, port, fake_port, pid))

    async def aliases(statuses):
        previews = " ".join(f'p{i}: preview(login: "alias-{i}")' for i in range(990))
        users = " ".join(f'u{i}: user(login: "alias-user-{i}") {{ login }}' for i in range(450))
        few = " ".join(f'u{i}: user(login: "few-{i}") {{ login }}' for i in range(40))
        deadline = time.perf_counter() + duration
        n = 0
        while time.perf_counter() < deadline:
            query = [previews, users, few][n % 3].replace("few-", f"few-{n}-")
            n += 1
            status, _ = await request(port, attacker(1), post("/graphql", json.dumps({"query": "{ " + query + " }"})))
            count(statuses, status)
    results.append(await run_attack("2. 990 preview / 450 user / 40 user aliases, one client", aliases, port, fake_port,
                                    pid, "each 40-alias request: 5 users at most"))

    async def burst(statuses):
        control(fake_port, delay=0.2, secondary_limit=10)
        async def one(i):
            status, _ = await request(port, attacker(i), get(f"/banners/preview?username=burst-{i}&type=compact"))
            count(statuses, status)
        await asyncio.gather(*(one(i) for i in range(50)))
    burst_result = await run_attack("3. 50 new users at once (GitHub 200 ms)", burst, port, fake_port, pid)
    burst_result.note = (f"the fake trips a secondary limit above 10 at once per token; "
                         f"most at once: {burst_result.max_in_flight}")
    results.append(burst_result)

    async def hang(statuses):
        control(fake_port, delay=30)
        deadline = time.perf_counter() + duration
        async def visitor(i):
            while time.perf_counter() < deadline:
                t0 = time.perf_counter()
                status, _ = await request(port, attacker(i), get(f"/banners/preview?username=known-{i}&type=compact"))
                count(statuses, status)
                await asyncio.sleep(max(0.0, 1.0 - (time.perf_counter() - t0)))
        await asyncio.gather(*(visitor(i) for i in range(20)))
    results.append(await run_attack("4a. GitHub hangs (known users)", hang, port, fake_port, pid))

    async def failing(statuses):
        control(fake_port, error_rate=1)
        deadline = time.perf_counter() + duration
        async def visitor(i):
            while time.perf_counter() < deadline:
                status, _ = await request(port, attacker(i), get(f"/banners/preview?username=known-{i}&type=compact"))
                count(statuses, status)
                await asyncio.sleep(0.5)
        await asyncio.gather(*(visitor(i) for i in range(20)))
    results.append(await run_attack("4b. GitHub fails every request", failing, port, fake_port, pid))

    async def png_flood(statuses):
        deadline = time.perf_counter() + duration
        n = 0
        async def client(i):
            nonlocal n
            while time.perf_counter() < deadline:
                n += 1
                status, _ = await request(
                    port, attacker(i), get(f"/banners/preview.png?username=known-{i % 20}&title_color={n:06x}"))
                count(statuses, status)
        await asyncio.gather(*(client(i) for i in range(64)))
    results.append(await run_attack("6. 64 clients x uncached PNGs", png_flood, port, fake_port, pid))

    async def cold_flood(statuses):
        deadline = time.perf_counter() + duration
        n = 0
        async def conn():
            nonlocal n
            while time.perf_counter() < deadline and n < 5000:
                n += 1
                status, _ = await request(port, attacker(7), get(f"/banners/preview?username=stranger-{n}"))
                count(statuses, status)
        await asyncio.gather(*(conn() for _ in range(16)))
    results.append(await run_attack("7. one client, thousands of new users", cold_flood, port, fake_port, pid,
                                    "its costly budget: 60/min, burst 15"))

    async def slowloris(statuses):
        connections = []
        for i in range(300):
            try:
                r, w = await asyncio.open_connection(HOST, port, local_addr=(attacker(100 + i), 0))
                w.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
                connections.append((r, w))
            except OSError:
                count(statuses, 0)
        await asyncio.sleep(min(duration, 5.0))
        closed = 0
        for r, w in connections:
            try:
                # The server hung up: reading gives end-of-file (or a reset) at once.
                if await asyncio.wait_for(r.read(1), 0.5) == b"":
                    closed += 1
            except (OSError, asyncio.TimeoutError):
                pass
            w.close()
        statuses["closed by server"] = closed
        statuses["opened"] = len(connections)
    results.append(await run_attack("9. 300 slowloris connections", slowloris, port, fake_port, pid,
                                    "HEADER_READ_TIMEOUT=3s"))
    results.insert(0, Outcome("start", alive=True, rss_mb=rss0, threads=threads0))
    return results


def report(results: list[Outcome]) -> str:
    rows = ["| attack | alive | GitHub requests | well-behaved p50 / p99 (failures) | RSS after | threads | attack answers |",
            "|---|---|---:|---|---:|---:|---|"]
    for r in results:
        good = sorted(r.good)
        p = (lambda q: load.percentile(good, q) * 1000) if good else (lambda q: float("nan"))
        rows.append(f"| {r.name}{' (' + r.note + ')' if r.note else ''} | {'yes' if r.alive else 'NO'} | {r.github} | "
                    f"{p(50):.1f} / {p(99):.1f} ms ({r.good_failures}/{len(good)}) | {r.rss_mb:.0f} MB | {r.threads} | "
                    f"{', '.join(f'{k}: {v}' for k, v in r.attack_statuses.items())} |")
    return "\n".join(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--binary", type=Path, default=load.REPO_ROOT / "target" / "release" / "github-banners")
    parser.add_argument("--duration", type=float, default=8.0)
    parser.add_argument("--fake-github", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.fake_github:
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        try:
            asyncio.run(fake_github_main())
        except (KeyboardInterrupt, SystemExit):
            pass
        return 0
    args.duration = max(1.0, min(args.duration, HARD_MAX_DURATION))
    binary = args.binary.resolve()
    if not binary.is_file():
        print(f"no service binary at {binary}; run `cargo build --release` first", file=sys.stderr)
        return 2

    def on_sigterm(*_: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_sigterm)
    workdir = Path(tempfile.mkdtemp(prefix="github-banners-abuse-"))
    fake = service = None
    try:
        fake, fake_port = start_fake(workdir)
        service, port = start_service(binary, workdir, fake_port)
        results = asyncio.run(main_async(port, fake_port, service.pid, args.duration))
        alive_at_end = service.poll() is None
    except KeyboardInterrupt:
        return 130
    finally:
        load.stop(service, "service")
        load.stop(fake, "fake GitHub")
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"\n{os.cpu_count()} CPUs; client, fake GitHub and service share them; {args.duration:g} s per attack\n")
    print(report(results))
    print(f"\nservice alive at the end: {'yes' if alive_at_end else 'NO'}")
    return 0 if alive_at_end and all(r.alive for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
