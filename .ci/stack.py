#!/usr/bin/env python3
"""The compose topology as processes on 127.0.0.1, checked end to end (no Docker engine here).

Usage (from the repository root; Python 3.11+, standard library only):

    python3 .ci/stack.py [--binary PATH] [--tansu PATH]

Starts what docker-compose.yaml starts: PostgreSQL (this machine's: a fresh database), a real
Kafka-protocol broker (tansu, in-memory storage), two API replicas (`serve --no-worker`) and two
workers (`worker`), all four at once (so they race to migrate), with the environment the compose
file gives them (read from docker-compose.yaml, empty optional variables included) plus the
addresses of this run; GitHub is benches/abuse.py's fake. Then it checks, each with a bounded wait:

  1. a banner created on replica A is served by replica B;
  2. a signed webhook on A updates B's cache and the stored banner within seconds;
  3. a broker restart while the processes are young (stop it for 20 s, write while it is down,
     start it empty: the topic is gone) crashes nothing, and every pending event is delivered
     without restarting any process;
  4. `kill -9` of a worker in the middle of refreshes loses no event, and its leased users are
     refreshed by the other worker after the lease; two workers never fetch one user twice
     within a refresh interval;
  5. every outbox row is published, and the events published per outbox row are reported;
  6. `/metrics` on both replicas parses as Prometheus text, counts their traffic, and agrees with
     the database on the outbox and refresh backlog;
  7. views of one banner on both replicas add up in PostgreSQL once the replicas stop gracefully
     (SIGTERM), with no write per view before that.

Exits 0 when every check passed; prints what each measured.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benches"))
import load  # noqa: E402

HOST = "127.0.0.1"
API_KEY = "stack-api-key"
WEBHOOK_SECRET = "stack-webhook-secret"
PG_ADMIN = "postgres://postgres@127.0.0.1:5432/postgres"


def compose_environment() -> dict[str, str]:
    """The `environment:` of the `x-banners` anchor in docker-compose.yaml, `${X:-}` as "" and
    `${X:?...}` as a placeholder (this run sets those)."""
    text = (REPO / "docker-compose.yaml").read_text()
    block = re.search(r"environment: &banners-env\n((?:    \S.*\n)+)", text)
    if not block:
        raise RuntimeError("docker-compose.yaml has no `environment: &banners-env` block")
    env = {}
    for line in block.group(1).splitlines():
        key, _, value = line.strip().partition(":")
        value = value.strip()
        if m := re.fullmatch(r"\$\{(\w+):-(.*)\}", value):
            value = m.group(2)
        elif re.fullmatch(r"\$\{\w+:\?.*\}", value):
            value = "<set by this run>"
        env[key.strip()] = value
    return env


def psql(sql: str, database: str = "postgres") -> str:
    return subprocess.run(["psql", "-h", HOST, "-U", "postgres", "-d", database, "-tAc", sql],
                          capture_output=True, text=True, check=True).stdout.strip()


OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # 127.0.0.1 only, never a proxy


def http(method: str, url: str, body: bytes | None = None, headers: dict | None = None) -> tuple[int, dict, bytes]:
    """(status, headers, body); status 0 when nothing answered."""
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with OPENER.open(request, timeout=15) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()
    except (urllib.error.URLError, OSError):
        return 0, {}, b""


def wait(what: str, check, timeout: float) -> float:
    """Polls `check` (an outside observer has nothing to subscribe to) until it holds; seconds."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if check():
            return time.monotonic() - start
        time.sleep(0.2)
    raise AssertionError(f"{what}: not within {timeout:.0f}s")


class Stack:
    def __init__(self, binary: Path, tansu: Path, workdir: Path) -> None:
        self.binary, self.tansu, self.workdir = binary, tansu, workdir
        self.procs: dict[str, subprocess.Popen] = {}
        self.ports: dict[str, int] = {}
        self.database = f"banners_stack_{os.getpid()}"

    def start_broker(self) -> None:
        port = self.ports.setdefault("kafka", load.free_port())
        log = open(self.workdir / "tansu.log", "ab")
        self.procs["kafka"] = subprocess.Popen(
            [str(self.tansu), "broker", "--listener-url", f"tcp://{HOST}:{port}", "--advertised-listener-url",
             f"tcp://{HOST}:{port}", "--storage-engine", "memory://tansu/"],
            stdout=log, stderr=log, start_new_session=True, preexec_fn=load.die_with_parent)
        wait("the broker listens", lambda: self._connects(port), 30)

    def stop_broker(self) -> None:
        load.stop(self.procs.pop("kafka"), "broker")

    @staticmethod
    def _connects(port: int) -> bool:
        try:
            socket.create_connection((HOST, port), timeout=1).close()
            return True
        except OSError:
            return False

    def env(self, name: str) -> dict[str, str]:
        env = compose_environment()
        env.update({
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self.workdir),
            "HOSTNAME": name,
            "DATABASE_URL": f"postgres://postgres@{HOST}:5432/{self.database}",
            "KAFKA_BROKERS": f"{HOST}:{self.ports['kafka']}",
            "GITHUB_TOKENS": "stack-token",
            "GITHUB_API_URL": f"http://{HOST}:{self.ports['github']}/graphql",
            "GITHUB_REST_URL": f"http://{HOST}:{self.ports['github']}",
            "API_KEYS": API_KEY,
            "GITHUB_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "HOST": HOST,
            "PORT": str(self.ports.get(name, 0)),
            "LOG_FORMAT": "json",
            # Shorter than production so refreshes fall due within the run (one a minute).
            "CACHE_SOFT_TTL": "30s",
            "WORKER_INTERVAL": "1s",
            "WORKER_LEASE": "5s",
            "RATE_LIMIT_EXEMPT": "127.0.0.0/8",
        })
        return env

    def start(self, name: str, args: list[str]) -> None:
        if name.startswith("api"):
            self.ports[name] = load.free_port()
        log = open(self.workdir / f"{name}.log", "ab")
        command = [str(self.binary), *args]
        if os.environ.get("STACK_GDB"):
            # Debugging a crash: the backtrace lands in the process's log.
            command = ["gdb", "-batch", "-ex", "run", "-ex", "thread apply all bt 25", "--args", *command]
        self.procs[name] = subprocess.Popen(command, env=self.env(name), cwd=self.workdir,
                                            stdout=log, stderr=log, start_new_session=True,
                                            preexec_fn=load.die_with_parent)

    def url(self, name: str, path: str) -> str:
        return f"http://{HOST}:{self.ports[name]}{path}"

    def alive(self) -> list[str]:
        return [name for name, proc in self.procs.items() if proc.poll() is not None]

    def log(self, name: str) -> list[dict]:
        events = []
        for line in (self.workdir / f"{name}.log").read_text(errors="replace").splitlines():
            try:
                events.append(json.loads(line))
            except ValueError:
                pass
        return events

    def stop_all(self) -> None:
        for name in list(self.procs):
            load.stop(self.procs.pop(name), name)


def metrics(stack: Stack, replica: str) -> dict[str, float]:
    """`/metrics` of a replica as {series: value}; every sample line must parse."""
    status, _, body = http("GET", stack.url(replica, "/metrics"))
    assert status == 200, status
    samples = {}
    for line in body.decode().splitlines():
        if not line or line.startswith("#"):
            continue
        series, _, value = line.rpartition(" ")
        assert re.fullmatch(r"[a-zA-Z_:][a-zA-Z0-9_:]*(\{.*\})?", series), line
        samples[series] = float(value)
    return samples


def webhook(stack: Stack, replica: str, login: str, delivery: str) -> int:
    body = json.dumps({"repository": {"owner": {"login": login, "type": "User"}}}).encode()
    signature = "sha256=" + hmac.new(WEBHOOK_SECRET.encode(), body, hashlib.sha256).hexdigest()
    status, _, _ = http("POST", stack.url(replica, "/webhooks/github"), body,
                        {"X-GitHub-Event": "push", "X-GitHub-Delivery": delivery, "X-Hub-Signature-256": signature,
                         "Content-Type": "application/json"})
    return status


def create_banner(stack: Stack, replica: str, login: str) -> str:
    status, _, body = http("POST", stack.url(replica, "/banners"),
                           json.dumps({"username": login, "type": "compact"}).encode(),
                           {"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json"})
    assert status == 201, (status, body)
    return json.loads(body)["banner"]["id"]


def stars_in(svg: bytes) -> int:
    """The compact card's total stars (the first number after the stars label)."""
    text = re.sub(r"<[^>]+>", " ", svg.decode())
    m = re.search(r"Total stars\s+([\d,]+)", text)
    return int(m.group(1).replace(",", "")) if m else -1


def control(stack: Stack, **knobs) -> None:
    http("POST", f"http://{HOST}:{stack.ports['github']}/__control", json.dumps(knobs).encode(),
         {"Content-Type": "application/json"})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--binary", type=Path, default=REPO / "target" / "debug" / "github-banners")
    parser.add_argument("--tansu", type=Path,
                        default=Path.home() / ".cache" / "github-banners-ci" / "tansu" / "bin" / "tansu")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="github-banners-stack-"))
    stack = Stack(args.binary.resolve(), args.tansu, workdir)
    fake = None
    report = []
    try:
        psql(f"CREATE DATABASE {stack.database}")
        fake_proc = subprocess.Popen([sys.executable, str(REPO / "benches" / "abuse.py"), "--fake-github"],
                                     stdout=subprocess.PIPE, stderr=open(workdir / "github.log", "wb"),
                                     start_new_session=True, preexec_fn=load.die_with_parent)
        fake = fake_proc
        stack.ports["github"] = int(fake_proc.stdout.readline().split()[1])
        stack.start_broker()
        for name, role in [("api-a", ["serve", "--no-worker"]), ("api-b", ["serve", "--no-worker"]),
                           ("worker-1", ["worker"]), ("worker-2", ["worker"])]:
            stack.start(name, role)
        for name in ["api-a", "api-b"]:
            wait(f"{name} is ready", lambda n=name: http("GET", stack.url(n, "/readyz"))[0] == 200, 90)
        applied = psql("SELECT count(*) FROM seaql_migrations", stack.database)
        report.append(f"four processes started together and migrated the empty database once ({applied} migrations)")

        # 1. A banner made on A is served by B.
        banner = create_banner(stack, "api-a", "octocat")
        status, _, svg = http("GET", stack.url("api-b", f"/banners/{banner}.svg"))
        assert status == 200 and b"<svg" in svg, status
        before = stars_in(svg)
        report.append("1. a banner created on replica A is served by replica B")

        # 2. A webhook on A reaches B's cache and the stored banner.
        http("GET", stack.url("api-b", "/banners/preview?username=octocat&type=compact"))
        control(stack, bump={"octocat": 1000})
        started = time.monotonic()
        assert webhook(stack, "api-a", "octocat", "stack-1") == 200
        preview = lambda: stars_in(http("GET", stack.url("api-b", "/banners/preview?username=octocat&type=compact"))[2])
        wait("B's card shows the refresh", lambda: preview() == before + 1000, 15)
        latency = time.monotonic() - started
        wait("the stored banner shows it", lambda: stars_in(http("GET", stack.url("api-b", f"/banners/{banner}.svg"))[2])
             == before + 1000, 15)
        report.append(f"2. a webhook on A reached B's cache in {latency:.2f}s (and the stored banner)")

        # 3. Broker restart while writing, with young processes.
        stack.stop_broker()
        down = []
        for i in range(5):
            down.append(create_banner(stack, "api-a", f"outage-{i}"))
            http("GET", stack.url("api-b", f"/banners/preview?username=outage-b-{i}"))
        assert webhook(stack, "api-b", "octocat", "stack-2") in (200,), "webhook while the broker is down"
        time.sleep(20)  # down about as long as in the reported crash, with young processes
        stack.start_broker()
        pending = lambda: int(psql("SELECT count(*) FROM event_outbox WHERE sent_at IS NULL", stack.database))
        drained = wait("the outbox drains by itself", lambda: pending() == 0, 120)
        dead = stack.alive()
        assert not dead, f"processes died: {[(n, stack.procs[n].returncode) for n in dead]}"
        for banner_id in down:
            assert http("GET", stack.url("api-b", f"/banners/{banner_id}.svg"))[0] == 200
        report.append(f"3. broker restarted empty: nothing crashed, the outbox drained {drained:.1f}s after it came back")

        # 4. Workers: one killed mid-refresh; nobody fetched twice within an interval.
        owners = [f"owner-{i:02d}" for i in range(12)]
        for login in owners:
            create_banner(stack, "api-a", login)
        counts0 = load.fake_counts(stack.ports["github"])
        control(stack, delay=2.0)
        # Refreshes are due one interval (60 s at the default soft TTL) after the fetch that
        # created each row; wait until workers hold some, then kill one.
        wait("a worker claims due users", lambda: psql(
            "SELECT count(*) FROM refresh_schedule WHERE leased_by IS NOT NULL", stack.database) not in ("", "0"), 120)
        holder = psql("SELECT split_part(min(leased_by), '-', 1) || '-' || split_part(min(leased_by), '-', 2) "
                      "FROM refresh_schedule WHERE leased_by IS NOT NULL", stack.database)
        victim = holder if holder in stack.procs else "worker-1"
        leased = psql(f"SELECT string_agg(login, ',') FROM refresh_schedule WHERE leased_by LIKE '{victim}-%'",
                      stack.database)
        os.kill(stack.procs[victim].pid, signal.SIGKILL)
        stack.procs.pop(victim).wait()
        control(stack, delay=0.0)
        lost = [login for login in (leased.split(",") if leased else [])]
        wait("the killed worker's users are refreshed by the other", lambda: all(
            load.fake_counts(stack.ports["github"]).get(f"login:{login.lower()}", 0)
            > counts0.get(f"login:{login.lower()}", 0) for login in owners), 90)
        report.append(f"4. kill -9 of {victim} holding {len(lost)} leased users: all 12 owners were refreshed after the lease")
        counts = load.fake_counts(stack.ports["github"])
        per_user = {login: counts.get(f"login:{login}", 0) - counts0.get(f"login:{login}", 0) for login in owners}
        assert max(per_user.values()) <= 2, per_user
        report.append(f"   fetches per user during the worker phase: {sorted(set(per_user.values()))} "
                      "(at most one per interval, plus a killed worker's)")

        # 5. Events published per outbox row, once everything written so far went out.
        wait("the outbox drains", lambda: pending() == 0, 60)
        rows = int(psql("SELECT count(*) FROM event_outbox", stack.database))
        published = sum(e.get("published", 0) for name in ["api-a", "api-b", "worker-1", "worker-2"]
                        for e in stack.log(name) if e.get("message") == "published events")
        report.append(f"5. {published} events published for {rows} outbox rows "
                      f"({published / max(rows, 1):.2f} per row)")
        assert published >= rows, (published, rows)

        # 6. Metrics on both replicas.
        for name in ["api-a", "api-b"]:
            samples = metrics(stack, name)
            served = samples.get('banners_http_requests_total{route="banners",status="2xx"}', 0)
            assert served >= 1, f"{name}: no banner requests counted"
            assert samples.get('banners_github_tokens{state="active"}') == 1, name
            # Workers keep refreshing (and writing events) meanwhile: close, not equal.
            assert abs(samples.get("banners_outbox_pending", -100) - pending()) <= 20, name
            due = int(psql("SELECT count(*) FROM refresh_schedule WHERE due_at <= now() AND "
                           "(leased_until IS NULL OR leased_until < now())", stack.database))
            assert abs(samples.get("banners_refresh_due", -1) - due) <= 12, (name, samples.get("banners_refresh_due"), due)
        report.append(f"6. /metrics on both replicas: {len(samples)} series, traffic counted, outbox and refresh "
                      "backlog as in the database")

        # 7. Views of one banner on both replicas add up at a graceful stop.
        viewed = create_banner(stack, "api-a", "octocat")
        for name, times in [("api-a", 3), ("api-b", 4)]:
            for _ in range(times):
                assert http("GET", stack.url(name, f"/banners/{viewed}.svg"))[0] == 200
        stored = lambda: psql(f"SELECT coalesce(sum(views), 0) FROM view_counts WHERE subject = 'banner' "
                              f"AND subject_key = '{viewed}'", stack.database)
        before_stop = stored()
        for name in ["api-a", "api-b"]:
            load.stop(stack.procs.pop(name), name)
        after_stop = stored()
        assert after_stop == "7", (before_stop, after_stop)
        report.append(f"7. 3 + 4 views of one banner on two replicas: {before_stop} in the database while they "
                      f"ran (batched every 10 s), {after_stop} after SIGTERM")
        print("\n".join(report))
        return 0
    except (AssertionError, RuntimeError, subprocess.CalledProcessError) as error:
        print("\n".join(report))
        print(f"FAILED: {error}", file=sys.stderr)
        for name in ["api-a", "api-b", "worker-1", "worker-2"]:
            path = workdir / f"{name}.log"
            if path.exists():
                print(f"--- {name} (last lines)", file=sys.stderr)
                print("\n".join(path.read_text(errors="replace").splitlines()[-15:]), file=sys.stderr)
        return 1
    finally:
        stack.stop_all()
        load.stop(fake, "fake GitHub")
        try:
            psql(f"DROP DATABASE IF EXISTS {stack.database} WITH (FORCE)")
        except subprocess.CalledProcessError:
            pass
        if os.environ.get("STACK_KEEP"):
            print(f"kept {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
