"""Ingest throughput: the real app next to a bare Flask endpoint, side by side in one run.

    .venv/bin/python bench/ingest.py [--seconds 10] [--rounds 3] [--postgres URL] [--breakdown]
                                     [--workers 2] [--json FILE] [--against DIR ...]

Both are served by gunicorn with 2 workers (``--workers``; gthread, 8 threads each) on
127.0.0.1 and driven by the same load (wrk when installed, else a Python load generator; both
open a connection per request, as readers' browsers and a proxy in front of gunicorn do).
Every round runs each side once, each round starting one side later than the one before, so
drift on a noisy machine hits all sides alike and no side always runs right after another;
the medians and the ratio real/bare are printed, for SQLite and, when reachable, PostgreSQL.
Every check of the real app is on: validation, bleach, origin, rate limits (raised, not
disabled, via ERRATA_LIMIT_*), grouping under lock, commit. Each side's line also gives the
CPU time its gunicorn workers spent per request (user + system; not wrk's, Redis' or the
PostgreSQL server's). ``--json`` also keeps each round's req/s, for ratios round by round.

``--breakdown`` serves two more sides in the same rounds: the real app answering right after
validation, and the real app doing everything but the database transaction
(bench/ingest_parts.py), so the run shows what each part of a report costs.

``--against DIR`` (repeatable) serves the real app of another checkout too, e.g. a worktree
at an earlier commit (``git worktree add --detach /tmp/base main``), in the same rounds:
before and after a change, side by side in one run. Its side is named after the directory;
it runs on the same database (this checkout's migrations) with this checkout's virtualenv,
its own ``service`` package first on the import path.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
ORIGIN = "https://news.example"
SITE_KEY = "bench"
PG_DEFAULT = "postgresql://postgres@127.0.0.1:5432/test"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(port: int, path: str, timeout: float = 30) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", path)
            conn.getresponse().read()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"server on port {port} did not start")


def gunicorn(app_spec: str, port: int, env: dict[str, str], cwd: Path,
             workers: int = 2) -> subprocess.Popen:
    return subprocess.Popen(
        [str(BIN / "gunicorn"), "-w", str(workers), "-k", "gthread", "--threads", "8",
         "-b", f"127.0.0.1:{port}", "--log-level", "warning", app_spec],
        cwd=cwd, env=env, start_new_session=True,
    )


def stop(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(timeout=20)


def prepare_database(url: str, instance: Path) -> dict[str, str]:
    env = dict(os.environ, ERRATA_DATABASE_URL=url, ERRATA_INSTANCE_PATH=str(instance),
               ERRATA_LIMIT_READER="100000000/hour", ERRATA_LIMIT_SITE="100000000/hour",
               ERRATA_LIMIT_IP="100000000/hour", ERRATA_BASE_URL="http://127.0.0.1",
               # Two workers share limits only through Redis, as in production.
               ERRATA_RATELIMIT_STORAGE_URI=os.environ.get(
                   "ERRATA_BENCH_REDIS", "redis://127.0.0.1:6379/14"))
    subprocess.run([str(BIN / "errata"), "db", "upgrade"], env=env, check=True,
                   capture_output=True)
    code = (
        "from service import create_app\n"
        "from service.extensions import db\n"
        "from service.sites.core import create_site, site_by_key\n"
        "app = create_app()\n"
        "with app.app_context():\n"
        f"    if site_by_key(db.session, {SITE_KEY!r}) is None:\n"
        f"        s = create_site(db.session, 'Bench', [{ORIGIN!r}])\n"
        f"        s.key = {SITE_KEY!r}\n"
        "        db.session.commit()\n"
    )
    subprocess.run([sys.executable, "-c", code], env=env, check=True, cwd=ROOT)
    return env


def run_wrk(port: int, seconds: int, conns: int) -> dict[str, float]:
    out = subprocess.run(
        ["wrk", "-t1", f"-c{conns}", f"-d{seconds}s", "--latency",
         "-s", str(ROOT / "bench" / "ingest.lua"), f"http://127.0.0.1:{port}"],
        check=True, capture_output=True, text=True,
        env=dict(os.environ, BENCH_SITE=SITE_KEY, BENCH_ORIGIN=ORIGIN),
    ).stdout

    def latency(label: str) -> float:
        m = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)", out, re.M)
        value, unit = float(m.group(1)), m.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: .*", out)
    return {"rps": rps, "p50": latency("50"), "p99": latency("99"),
            "non2xx": int(non2xx.group(1)) if non2xx else 0,
            "socket_errors": errors.group(0) if errors else ""}


def run_python(port: int, seconds: int, conns: int) -> dict[str, float]:
    """Fallback load generator: `conns` threads, one request at a time each."""
    latencies: list[float] = []
    failures = [0]
    stop_at = time.time() + seconds
    lock = threading.Lock()

    def worker() -> None:
        local: list[float] = []
        while time.time() < stop_at:
            page = random.randint(1, 50)
            body = json.dumps({
                "site": SITE_KEY, "url": f"{ORIGIN}/news/{page}", "exact": random.choice(
                    ["collegiums", "liaisons", "topical", "Makei", "Dublin"]),
                "prefix": "the text before ", "suffix": " and after it", "elapsed_ms": 4000,
                "suggestion": "fixed", "client": "bench"})
            t0 = time.perf_counter()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request("POST", "/api/v1/reports", body=body, headers={
                "Content-Type": "text/plain;charset=UTF-8", "Origin": ORIGIN})
            status = conn.getresponse().status
            conn.close()
            local.append((time.perf_counter() - t0) * 1000)
            if status >= 300:
                with lock:
                    failures[0] += 1
        with lock:
            latencies.extend(local)

    threads = [threading.Thread(target=worker) for _ in range(conns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    latencies.sort()
    return {"rps": len(latencies) / seconds, "p50": latencies[len(latencies) // 2],
            "p99": latencies[int(len(latencies) * 0.99)], "non2xx": failures[0],
            "socket_errors": ""}


def worker_cpu(master: subprocess.Popen) -> float:
    """CPU seconds (user + system) used so far by a gunicorn master's workers (Linux)."""
    total = 0.0
    try:
        children = Path(f"/proc/{master.pid}/task/{master.pid}/children").read_text().split()
        for pid in children:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        return float("nan")
    return total


def bench_backend(name: str, url: str, args, load) -> dict[str, object]:
    instance = Path(tempfile.mkdtemp(prefix="errata-bench-"))
    env = prepare_database(url, instance)
    # side -> (gunicorn app, environment, path that answers once it is up, checkout); every
    # round runs each side once, one after the other, so drift hits them all alike.
    sides = {"bare": ("bench.bare_app:app", dict(os.environ), "/", ROOT)}
    for other in args.against:
        other = Path(other).resolve()
        sides[other.name] = ("service:create_app()", dict(env, PYTHONPATH=str(other)),
                             "/healthz", other)
    sides["real"] = ("service:create_app()", env, "/healthz", ROOT)
    if args.breakdown:
        sides["validated"] = ("bench.ingest_parts:validated_only()", env, "/healthz", ROOT)
        sides["no store"] = ("bench.ingest_parts:without_store()", env, "/healthz", ROOT)
    ports = {side: free_port() for side in sides}
    procs = {side: gunicorn(spec, ports[side], side_env, cwd, args.workers)
             for side, (spec, side_env, _, cwd) in sides.items()}
    results: dict[str, list[dict[str, float]]] = {side: [] for side in sides}
    try:
        for side, (_, _, path, _) in sides.items():
            wait_for(ports[side], path)
        for side in sides:
            load(ports[side], 2, args.connections)  # warm-up: imports, connections, caches
        order = list(sides)
        for n in range(args.rounds):
            # Each round starts one side later: a side that always ran right after another
            # (after bare's thousands of closed connections, say) measured up to 20 % apart
            # from the same code run elsewhere in the round.
            for side in order[n % len(order):] + order[:n % len(order)]:
                cpu = worker_cpu(procs[side])
                run = load(ports[side], args.seconds, args.connections)
                served = run["rps"] * args.seconds
                run["cpu_ms"] = (worker_cpu(procs[side]) - cpu) * 1000 / served if served else 0
                results[side].append(run)
    finally:
        for proc in procs.values():
            stop(proc)
        shutil.rmtree(instance, ignore_errors=True)
    summary: dict[str, object] = {"backend": name, "sides": list(sides)}
    for side, runs in results.items():
        summary[side] = {
            "rps": statistics.median(r["rps"] for r in runs),
            "p50_ms": statistics.median(r["p50"] for r in runs),
            "p99_ms": statistics.median(r["p99"] for r in runs),
            "cpu_ms": statistics.median(r["cpu_ms"] for r in runs),
            "non2xx": sum(r["non2xx"] for r in runs),
            "rounds": [round(r["rps"]) for r in runs],
        }
    summary["ratio"] = summary["real"]["rps"] / summary["bare"]["rps"]  # type: ignore[index]
    return summary


def create_pg_database(url: str) -> tuple[str, callable]:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    admin = make_url(url).set(drivername="postgresql+psycopg")
    name = f"errata_bench_{uuid.uuid4().hex[:8]}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    return admin.set(database=name).render_as_string(hide_password=False), drop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per side")
    parser.add_argument("--postgres", default=os.environ.get("ERRATA_BENCH_POSTGRES", PG_DEFAULT),
                        help="server URL to create a scratch database on ('' to skip)")
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument("--breakdown", action="store_true",
                        help="also serve the app with the later ingest steps switched off "
                             "(bench/ingest_parts.py), to show what each part costs")
    parser.add_argument("--against", action="append", default=[], metavar="DIR",
                        help="also serve the real app of this checkout (repeatable)")
    args = parser.parse_args()
    load = run_wrk if shutil.which("wrk") else run_python
    print(f"load generator: {'wrk' if load is run_wrk else 'python threads'}, "
          f"{args.connections} connections, {args.rounds} x {args.seconds}s per side, "
          f"{args.workers} workers a side, {os.cpu_count()} CPUs")
    summaries = []
    tmp = Path(tempfile.mkdtemp(prefix="errata-bench-sqlite-"))
    summaries.append(bench_backend("SQLite", f"sqlite:///{tmp / 'bench.db'}", args, load))
    if args.postgres:
        try:
            url, drop = create_pg_database(args.postgres)
        except Exception as exc:  # noqa: BLE001
            print(f"PostgreSQL skipped: {exc}")
        else:
            try:
                summaries.append(bench_backend("PostgreSQL", url, args, load))
            finally:
                drop()
    width = max(9, *(len(side) for s in summaries for side in s["sides"]))
    print(f"\n{'backend':<11} {'side':<{width}} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} "
          f"{'worker CPU ms/req':>17} {'non-2xx':>8} {'/bare':>6}")
    for s in summaries:
        for side in s["sides"]:
            r = s[side]
            print(f"{s['backend']:<11} {side:<{width}} {r['rps']:>8.0f} {r['p50_ms']:>8.2f} "
                  f"{r['p99_ms']:>8.2f} {r['cpu_ms']:>17.3f} {r['non2xx']:>8} "
                  f"{r['rps'] / s['bare']['rps']:>6.2f}")
        print(f"{s['backend']:<11} ratio real/bare = {s['ratio']:.2f}")
    if args.json:
        Path(args.json).write_text(json.dumps(summaries, indent=2))


if __name__ == "__main__":
    main()
