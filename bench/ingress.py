"""(a) Ingress: signed Slack events/s and ack latency at concurrency 32 on ONE uvicorn process,
beside a bare FastAPI endpoint measured in the same run.

    .venv/bin/python bench/ingress.py [--runs 3] [--duration 15] [--connections 32] [--markdown]

Starts a scratch PostgreSQL database, a private Redis, the fake Slack Web API, `uvicorn
bot.app:app` (no worker: this measures the edge alone — signature, bolt dispatch, durable
insert, RQ enqueue) and `uvicorn bare_app:app` (bench/bare_app.py). Each run drives both with
wrk (bench/wrk_signed.lua replays pre-signed ~1 KB `message.im` deliveries, every event_id
unique) after a short warm-up. The web process is started, then restarted (its RSS is given
after both and after the load: the first start records the charter files). Prints a table;
--markdown rewrites the ingress section of docs/benchmarks.md. Targets (issue 2): ≥ 400
events/s and p99 ≤ 100 ms.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import harness as h

TARGET_RPS = 400.0
TARGET_P99_MS = 100.0
LUA = Path(__file__).resolve().parent / "wrk_signed.lua"
MAX_RATE = 4000  # events/s the request file is sized for (ceiling for unique event_ids)


def write_requests(path: Path, traffic: h.Traffic, start: int, count: int) -> None:
    with open(path, "w") as f:
        for i in range(start, start + count):
            body = traffic.body(i)
            hdr = traffic.headers(body)
            f.write(f"{hdr['X-Slack-Request-Timestamp']}\t{hdr['X-Slack-Signature']}\t")
            f.write(body.decode())
            f.write("\n")


def wrk(url: str, reqfile: Path, *, duration: float, connections: int, threads: int) -> dict:
    argv = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{duration:g}s",
        "--timeout",
        "5s",
        "-s",
        str(LUA),
        url,
        "--",
        str(reqfile),
        str(threads),
    ]
    out = subprocess.run(argv, capture_output=True, text=True, timeout=duration + 60, check=False)
    for line in out.stdout.splitlines():
        if line.startswith("WRKJSON "):
            return json.loads(line.removeprefix("WRKJSON "))
    raise RuntimeError(f"wrk failed ({out.returncode}): {out.stdout[-500:]} {out.stderr[-500:]}")


def measure(
    st: h.Stack,
    name: str,
    port: int,
    proc: h.Proc,
    traffic: h.Traffic,
    start: int,
    args: argparse.Namespace,
    tmp: Path,
) -> tuple[dict, int]:
    url = f"http://127.0.0.1:{port}/slack/events"
    warm_n = int(args.warmup * MAX_RATE)
    meas_n = int(args.duration * MAX_RATE)
    warm_file, meas_file = tmp / f"{name}-warm.tsv", tmp / f"{name}-meas.tsv"
    write_requests(warm_file, traffic, start, warm_n)
    write_requests(meas_file, traffic, start + warm_n, meas_n)
    warm = wrk(
        url, warm_file, duration=args.warmup, connections=args.connections, threads=args.threads
    )
    meter = h.CpuMeter(
        {
            "uvicorn": h.of_pids(lambda: [proc.pid]),
            "postgres": h.of_pids(st.pg.server_pids),
            "redis": h.of_pids(st.redis.pids),
            "wrk": h.reaped_children,
        }
    )
    if args.quiet_wait:
        h.wait_quiet(args.quiet_wait)
    meter.start()
    r = wrk(
        url, meas_file, duration=args.duration, connections=args.connections, threads=args.threads
    )
    meter.stop()
    ok = r["requests"] - r["status"]
    result = {
        "name": name,
        "rps": ok / (r["duration_us"] / 1e6),
        "p50_ms": r["p50_us"] / 1000,
        "p90_ms": r["p90_us"] / 1000,
        "p99_ms": r["p99_us"] / 1000,
        "max_ms": r["max_us"] / 1000,
        "requests": r["requests"],
        "non_2xx": r["status"],
        "socket_errors": r["connect"] + r["read"] + r["write"] + r["timeout"],
        "wrapped": r["wrapped"],
        "rss_mib": h.rss_mib(proc.pid),
        "cpu": meter.shares(),
        "cpu_ms": 1000 * meter.used.get("uvicorn", 0.0) / max(ok, 1),  # the server's, a request
        "acked": ok + warm["requests"] - warm["status"],
    }
    return result, start + warm_n + meas_n


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--duration", type=float, default=15.0, help="seconds measured per target")
    p.add_argument("--warmup", type=float, default=3.0, help="seconds of warm-up per target")
    p.add_argument("--connections", type=int, default=32)
    p.add_argument("--threads", type=int, default=2, help="wrk threads")
    p.add_argument(
        "--access-log", action="store_true", default=None, help="uvicorn's access log on"
    )
    p.add_argument(
        "--no-access-log", dest="access_log", action="store_false", help="... off, warning level"
    )  # neither: as the Procfile's web line (bench/harness.py reads its flags)
    h.add_run_options(p, section="ingress")
    args = p.parse_args(argv)
    if shutil.which("wrk") is None:
        print("wrk not found: apt-get install -y wrk", file=sys.stderr)
        return 2
    args.runs = max(1, min(args.runs, 10))
    args.duration = max(1.0, min(args.duration, 120.0))

    machine = h.machine()
    runs: list[dict[str, dict]] = []
    with (
        h.Stack(
            workers=0, redis_url=args.redis_url, postgres=args.postgres, access_log=args.access_log
        ) as st,
        tempfile.TemporaryDirectory(prefix="pos-ingress-") as tmpdir,
    ):
        machine["stack"] = st.describe()
        tmp = Path(tmpdir)
        bare_port = h.free_port()
        bare = st.start_web("bare", "bare_app:app", bare_port, app_dir=h.ROOT / "bench")
        # The first start on the fresh database records the charter files (running their test
        # cases); a restart finds them recorded, as a deploy with unchanged charters does. The
        # load then runs on the restarted process.
        started = {"first_start": h.rss_mib(st.web.pid), "bare": h.rss_mib(bare.pid)}
        st.web.stop()
        st.web = st.start_web("web", "bot.app:app", st.port)
        started["slack"] = h.rss_mib(st.web.pid)  # after the restart, before load
        traffic = st.traffic()
        cursor = 0
        acked = 0
        for n in range(args.runs):
            run = {}
            for name, port, proc in (("bare", bare_port, bare), ("slack", st.port, st.web)):
                run[name], cursor = measure(st, name, port, proc, traffic, cursor, args, tmp)
                if name == "slack":
                    acked += run[name]["acked"]
            runs.append(run)
            print(
                f"run {n + 1}: bare {run['bare']['rps']:,.0f}/s, "
                f"slack {run['slack']['rps']:,.0f}/s "
                f"p99 {run['slack']['p99_ms']:.1f} ms",
                flush=True,
            )
        time.sleep(0.5)
        stored = st.count_rows("SELECT count(*) FROM inbound_events")
        queued = st.queued_events()
    report = summarise(
        runs, machine, args, acked=acked, stored=stored, queued=queued, started=started
    )
    print(report)
    if args.markdown:
        h.write_section(args.section, report)
    h.dump_json(
        args.json,
        {
            "machine": machine,
            "runs": runs,
            "stored": stored,
            "acked": acked,
            "queued": queued,
            "rss_after_start_mib": started,
        },
    )
    return 0


def summarise(
    runs: list[dict],
    machine: dict,
    args: argparse.Namespace,
    *,
    acked: int,
    stored: int,
    queued: int,
    started: dict[str, float],
) -> str:
    rows = []
    for n, run in enumerate(runs, 1):
        b, s = run["bare"], run["slack"]
        rows.append(
            [
                n,
                f"{b['rps']:,.0f}",
                f"{b['p50_ms']:.1f} / {b['p99_ms']:.1f}",
                f"{s['rps']:,.0f}",
                f"{s['p50_ms']:.1f} / {s['p99_ms']:.1f}",
                f"{s['rps'] / b['rps']:.2f}",
                s["non_2xx"] + s["socket_errors"],
                f"{s['cpu'].get('uvicorn', 0):.0f}%",
                f"{b.get('cpu_ms', 0):.2f} / {s.get('cpu_ms', 0):.2f}",
            ]
        )
    med = {k: h.median([r["slack"][k] for r in runs]) for k in ("rps", "p50_ms", "p99_ms")}
    bmed = {k: h.median([r["bare"][k] for r in runs]) for k in ("rps", "p50_ms", "p99_ms")}
    ratio = h.median([r["slack"]["rps"] / r["bare"]["rps"] for r in runs])
    rows.append(
        [
            "**median**",
            f"{bmed['rps']:,.0f}",
            f"{bmed['p50_ms']:.1f} / {bmed['p99_ms']:.1f}",
            f"**{med['rps']:,.0f}**",
            f"{med['p50_ms']:.1f} / **{med['p99_ms']:.1f}**",
            f"**{ratio:.2f}**",
            "",
            "",
            f"{h.median([r['bare'].get('cpu_ms', 0) for r in runs]):.2f} / "
            f"{h.median([r['slack'].get('cpu_ms', 0) for r in runs]):.2f}",
        ]
    )
    cpu = {
        g: h.median([r["slack"]["cpu"].get(g, 0.0) for r in runs]) for g in runs[0]["slack"]["cpu"]
    }
    wrapped = sum(r["slack"]["wrapped"] for r in runs)
    rss = runs[-1]["slack"]["rss_mib"], runs[-1]["bare"]["rss_mib"]
    lines = [
        f"Measured {machine_line(machine, args)}",
        "",
        h.table(
            [
                "run",
                "bare events/s",
                "bare p50 / p99 ms",
                "Slack events/s",
                "Slack p50 / p99 ms",
                "ratio",
                "errors",
                "uvicorn CPU",
                "CPU ms a request, bare / Slack",
            ],
            rows,
        ),
        "",
        f"- Throughput: {h.verdict(med['rps'], TARGET_RPS, higher_is_better=True, unit='events/s')}.",
        f"- p99 ack latency: {h.verdict(med['p99_ms'], TARGET_P99_MS, higher_is_better=False, unit='ms')}.",
        f"- Ratio Slack / bare endpoint (same run, same flags): {ratio:.2f}.",
        f"- Durability check: {acked:,} deliveries answered 200 within wrk's window, {stored:,} "
        f"rows in inbound_events, {queued:,} events in the RQ queue's jobs (no worker ran); "
        f"wrk stops with up to {args.connections} requests in flight per phase, answered "
        "after its window"
        + (
            "."
            if acked <= stored == queued <= acked + 2 * args.runs * args.connections
            else " — **mismatch**."
        ),
        "- CPU during the Slack runs (% of one core, median): "
        + ", ".join(f"{g} {v:.0f}%" for g, v in cpu.items())
        + ".",
        f"- Memory (RSS): Slack app {started['first_start']:.1f} MiB after its first start "
        f"(charter files recorded), {started['slack']:.1f} MiB after a restart, "
        f"{rss[0]:.1f} MiB after the runs; bare app {started['bare']:.1f} / {rss[1]:.1f} MiB "
        "after start / after the runs.",
    ]
    if wrapped:
        lines.append(f"- **Warning**: the request file ran out {wrapped} times (duplicates sent).")
    return "\n".join(lines)


def uvicorn_line(access_log: bool | None) -> str:
    flags = " ".join(h.procfile_web_flags()) or "no options"
    forced = "" if access_log is None else f", access log forced {'on' if access_log else 'off'}"
    return f"uvicorn with the Procfile's options ({flags}){forced}"


def machine_line(machine: dict, args: argparse.Namespace) -> str:
    return (
        f"{h.machine_line(machine)}; {h.versions('uvicorn', 'uvloop', 'httptools', 'slack_bolt', 'rq')}; "
        f"wrk -t{args.threads} -c{args.connections} -d{args.duration:g}s after {args.warmup:g} s "
        f"warm-up, {args.runs} runs, {uvicorn_line(args.access_log)}"
        + (f"; {args.label}" if args.label else "")
        + "."
    )


if __name__ == "__main__":
    sys.exit(main())
