"""End to end: `python -m bench e2e [--k 100] [--latency 0.3]`.

The fake Webex (messaging, websocket and the calling sandbox) is served over TLS with a test
CA from this process; every calling-API request waits ``--latency`` seconds. Each bot runs
as its own process on webex-bot's websocket against it, one after the other on the same
fake:

* **trunkbot**: ``trunkbot run`` (TRUNKBOT_API_URL / TRUNKBOT_U2C_URL / SSL_CERT_FILE
  pointing at the fake, a SQLite store on disk) with only the image's packages importable
  (bench/as_image.py: what the development venv has beyond deploy/requirements.lock stays
  out of the bot process, as it is out of the image);
* **webex_bot**: bench/plain_webex_bot.py, webex_bot's documented usage.

K people each send ``create trunk name=… location=Madrid`` in their own 1:1 space at once.
Printed for both: wall time until every answer, per-room p50/p90, lost commands, Webex
requests per command by endpoint (the fake's recorder), CPU per command (the child's own
utime+stime from /proc), peak RSS (VmHWM), start-to-ready (spawn → authorized
websocket) and the sockets it opened during the burst (/proc/PID/fd sampled every 20 ms:
each is a TCP connection, and over TLS a handshake). The machine may be shared: the ratios
within one run are the figures to read, and ``--repeat R`` runs trunkbot's burst R times (a
new process each) and prints the median and range of each figure.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from bench.as_image import HIDE, not_in_image
from tests.live import bot_env
from webexfake.calling import SandboxState
from webexfake.calling import build_app as build_sandbox
from webexfake.messaging import FakeWebex

POLICY = (
    '[[grant]]\ndomains=["example.com"]\nactions=["trunk.create"]\nlocations=["*"]\norgs=["*"]\n'
    "confirm=false\n"
)
DONE = "✅ Trunk"  # how both bots' answer to a create begins
STALL = 30.0  # seconds without a new answer after which the rest count as lost
_ID = re.compile(r"/[A-Za-z0-9_=-]{20,}")  # a Webex id in a path


@dataclass
class Result:
    label: str
    ready: float = 0.0
    wall: float = 0.0
    per_room: list[float] = field(default_factory=list)
    lost: int = 0
    created: int = 0
    requests: Counter[str] = field(default_factory=Counter)
    # endpoint → when each request reached the fake, seconds after the burst was sent
    timeline: dict[str, list[float]] = field(default_factory=dict)
    cpu: float = 0.0  # seconds of the process during the burst
    threads: Counter[str] = field(default_factory=Counter)  # of it, by thread name
    rss_mib: float = 0.0
    ready_rss_mib: float = 0.0  # VmHWM before the burst: start-up's own peak
    log_lines: int = 0  # written by the bot during the burst
    sockets: int = 0  # sockets the bot held during the burst that it did not hold before
    alone: float | None = None  # one create by itself after the burst (None: unanswered)


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _thread_cpu(pid: int) -> Counter[str]:
    """CPU seconds so far, user and system, of the event loop (the main thread) and of all
    other threads."""
    out: Counter[str] = Counter()
    tick = os.sysconf("SC_CLK_TCK")
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # the thread ended meanwhile
            continue
        label = "event loop" if task.name == str(pid) else "other threads"
        out[f"{label} user"] += int(fields[11]) / tick
        out[f"{label} system"] += int(fields[12]) / tick
    return out


def _peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _socket_inodes(pid: int) -> set[str]:
    """The process's open sockets now (their inodes, from /proc/PID/fd)."""
    found: set[str] = set()
    try:
        fds = list(Path(f"/proc/{pid}/fd").iterdir())
    except OSError:
        return found
    for fd in fds:
        try:
            target = os.readlink(fd)
        except OSError:  # closed meanwhile
            continue
        if target.startswith("socket:"):
            found.add(target)
    return found


async def _watch_sockets(pid: int, seen: set[str], every: float = 0.02) -> None:
    """Adds to ``seen`` every socket the process holds, sampled until cancelled (a
    connection opened and closed between two samples is missed: a lower bound)."""
    while True:
        seen |= _socket_inodes(pid)
        await asyncio.sleep(every)


def machine_reference_ms() -> float:
    """CPU milliseconds a fixed workload takes in this process now (the best of three): the
    same code measures faster or slower as a shared machine's load changes, so the figures
    of a run are read beside this one (the README gives the one its figures came with)."""
    payload = [
        {"id": f"Y2lzY29zcGFyazovL3VzL1RSVU5LLz{i:08d}", "name": f"t-{i}"} for i in range(200)
    ]
    best = float("inf")
    for _ in range(3):
        began = time.process_time()
        for _ in range(300):
            text = json.dumps({"items": payload})
            json.loads(text)
            hashlib.sha256(text.encode() * 20).hexdigest()
            sorted(re.findall(r"t-\d+", text))
        best = min(best, time.process_time() - began)
    return best * 1000


def _endpoint(method: str, path: str) -> str:
    return f"{method} {_ID.sub('/{id}', path.split('?', 1)[0])}"


async def measure(
    label: str,
    argv: list[str],
    fake: FakeWebex,
    state: SandboxState,
    k: int,
    tmp: Path,
    profile: Path | None = None,
    tag: str = "",
) -> Result:
    """One bot process, one burst; ``tag`` tells repeated bursts' people and trunks apart."""
    out = Result(label)
    name = label + tag
    env = bot_env(fake, tmp, **fake.tls.env(), **{HIDE: ",".join(sorted(not_in_image()))})
    connected = len([c for c in fake.connections if c.authorized])
    log = (tmp / f"{name}.log").open("wb")
    started = time.perf_counter()
    proc = await asyncio.create_subprocess_exec(*argv, env=env, stdout=log, stderr=log)
    try:
        await fake.wait_connected(timeout=60, total=connected + 1)
        out.ready = time.perf_counter() - started
        await asyncio.sleep(0.5)  # the first frames settle
        people = [fake.add_person(f"{name}.{i}@example.com", f"{name} {i}") for i in range(k)]
        rooms = [fake.add_room("direct", [p]) for p in people]
        out.ready_rss_mib = _peak_rss_mib(proc.pid)
        spy = await _start_profile(proc.pid, profile)
        before, cpu0 = len(fake.requests), _cpu_seconds(proc.pid)
        threads0 = _thread_cpu(proc.pid)
        log_from = (tmp / f"{name}.log").stat().st_size
        held_before = _socket_inodes(proc.pid)
        seen: set[str] = set()
        watch = asyncio.create_task(_watch_sockets(proc.pid, seen))
        begin, begin_at = time.perf_counter(), time.monotonic()  # the fake stamps monotonic
        await asyncio.gather(
            *(
                fake.user_says(p, r, f"create trunk name={name}-{i:04d} location=Madrid")
                for i, (p, r) in enumerate(zip(people, rooms, strict=True))
            )
        )
        pending = {r.uuid: r for r in rooms}
        progress = begin  # a command is lost when nothing has been answered for STALL seconds
        while pending and time.perf_counter() - progress < STALL and proc.returncode is None:
            for message in fake.messages_from_bot(include_deleted=True):
                text = message.markdown or message.text or ""
                if message.room.uuid in pending and text.startswith(DONE):
                    del pending[message.room.uuid]
                    progress = time.perf_counter()
                    out.per_room.append(progress - begin)
            await asyncio.sleep(0.02)
        out.wall = max(out.per_room, default=0.0)  # until the last answer
        await asyncio.sleep(0.5)  # the last follow-ups (a password's 1:1 message) go out
        watch.cancel()
        out.sockets = len(seen - held_before)
        out.cpu = _cpu_seconds(proc.pid) - cpu0
        out.threads = _thread_cpu(proc.pid)
        out.threads.subtract(threads0)
        with (tmp / f"{name}.log").open("rb") as written:
            written.seek(log_from)
            out.log_lines = written.read().count(b"\n")
        out.rss_mib = _peak_rss_mib(proc.pid)
        out.lost = len(pending)
        out.created = sum(1 for t in state.trunks.values() if t.name.startswith(f"{name}-"))
        out.requests = Counter(_endpoint(r.method, r.path) for r in fake.requests[before:])
        for r in fake.requests[before:]:
            out.timeline.setdefault(_endpoint(r.method, r.path), []).append(r.at - begin_at)
        if spy is not None:
            spy.send_signal(2)  # py-spy writes its profile on SIGINT
            await spy.wait()
        out.alone = await _one_alone(name, fake, proc)
    finally:
        if proc.returncode is None:
            proc.terminate()
            try:
                await asyncio.wait_for(proc.wait(), timeout=15)
            except TimeoutError:
                proc.kill()
                await proc.wait()
        log.close()
    return out


async def _one_alone(label: str, fake: FakeWebex, proc: asyncio.subprocess.Process) -> float | None:
    """Seconds one create takes by itself, once the burst is over (None: no answer)."""
    person = fake.add_person(f"{label}-alone@example.com", f"{label} alone")
    room = fake.add_room("direct", [person])
    begin = time.perf_counter()
    await fake.user_says(person, room, f"create trunk name={label}-alone location=Madrid")
    while time.perf_counter() - begin < STALL and proc.returncode is None:
        for message in fake.messages_from_bot(room=room, include_deleted=True):
            if (message.markdown or message.text or "").startswith(DONE):
                return time.perf_counter() - begin
        await asyncio.sleep(0.02)
    return None


async def _start_profile(pid: int, path: Path | None) -> asyncio.subprocess.Process | None:
    """py-spy sampling the bot during the burst (``--profile``), when py-spy is installed."""
    spy_bin = shutil.which("py-spy", path=str(Path(sys.executable).parent)) or shutil.which(
        "py-spy"
    )
    if path is None or spy_bin is None:
        return None
    fmt = (
        "speedscope" if path.suffix == ".json" else "raw" if path.suffix == ".txt" else "flamegraph"
    )
    spy = await asyncio.create_subprocess_exec(
        spy_bin,
        "record",
        "-p",
        str(pid),
        "-o",
        str(path),
        "-f",
        fmt,
        "-r",
        "1000",
        "--nonblocking",
        "--threads",
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    await asyncio.sleep(0.5)  # attached
    return spy


def report_timeline(r: Result, k: int) -> None:
    """When each endpoint's requests reached Webex during the burst (seconds after it was
    sent: the first, the median, the last): a phase that starts late shows what held the
    commands before it (``--timeline``)."""
    print(f"  {r.label:10} requests reaching Webex, seconds after the burst: first p50 last")
    rows = [(name, sorted(times)) for name, times in r.timeline.items() if len(times) >= k // 2]
    for name, times in sorted(rows, key=lambda row: row[1][0]):
        p50 = times[len(times) // 2]
        print(f"  {'':12} {times[0]:5.2f} {p50:5.2f} {times[-1]:5.2f}  {len(times):4}  {name}")


def report(r: Result, k: int) -> None:
    p = r.per_room or [0.0]
    p90 = statistics.quantiles(p, n=10)[8] if len(p) > 1 else p[0]
    print(
        f"  {r.label:10} wall {r.wall:6.2f} s   per room p50 {statistics.median(p):5.2f} s "
        f"p90 {p90:5.2f} s   lost {r.lost}/{k}   created {r.created}/{k}"
    )
    print(
        f"  {'':10} CPU {r.cpu / k * 1000:6.1f} ms per command   peak RSS {r.rss_mib:5.1f} MiB "
        f"(before the burst {r.ready_rss_mib:5.1f})   start→ready {r.ready:5.2f} s"
    )
    if r.alone is None:
        print(f"  {'':10} one create alone afterwards: no answer")
    else:
        print(
            f"  {'':10} one create alone afterwards {r.alone:5.2f} s   "
            f"(burst wall / alone {r.wall / r.alone:4.1f}x)"
        )
    by_thread = ", ".join(
        f"{name} {seconds / k * 1000:.1f}" for name, seconds in r.threads.most_common() if seconds
    )
    print(f"  {'':10} of which, ms per command by thread: {by_thread}")
    print(f"  {'':10} log lines per command: {r.log_lines / k:.1f}")
    print(f"  {'':10} new sockets during the burst (TCP connections, sampled): {r.sockets}")
    total = sum(r.requests.values())
    print(f"  {'':10} Webex requests per command: {total / k:.1f}")
    for endpoint, n in sorted(r.requests.items(), key=lambda kv: -kv[1]):
        print(f"  {'':12} {n / k:5.2f}  {endpoint}")


def summary(runs: list[Result], k: int) -> None:
    """The median and range of each figure over several bursts of the same bot."""

    def spread(values: list[float], fmt: str) -> str:
        return f"{statistics.median(values):{fmt}} ({min(values):{fmt}}-{max(values):{fmt}})"

    alone = [r.wall / r.alone for r in runs if r.alone]
    print(f"  {runs[0].label} over {len(runs)} bursts, median (range):")
    print(f"  {'':10} CPU per command {spread([r.cpu / k * 1000 for r in runs], '.1f')} ms")
    print(f"  {'':10} wall {spread([r.wall for r in runs], '.2f')} s", end="")
    print(f"   burst wall / alone {spread(alone, '.2f')}x" if alone else "")
    print(f"  {'':10} peak RSS {spread([r.rss_mib for r in runs], '.1f')} MiB")
    print(f"  {'':10} lost {sum(r.lost for r in runs)} of {k * len(runs)}")


async def run(
    k: int,
    latency: float,
    *,
    baseline: bool = True,
    profile: Path | None = None,
    repeat: int = 1,
    timeline: bool = False,
) -> list[Result]:
    reference = machine_reference_ms()  # before anything else runs
    state = SandboxState.seeded()
    if latency:
        state.faults.add("latency", seconds=latency, times=None)
    fake = FakeWebex(extra_app=build_sandbox(state)).start()
    results = []
    try:
        with tempfile.TemporaryDirectory() as tmp_dir:
            tmp = Path(tmp_dir)
            (tmp / "policy.toml").write_text(POLICY)
            ours = [sys.executable, "-m", "bench.as_image", "run"]
            repeats = [
                await measure(
                    "trunkbot",
                    ours,
                    fake,
                    state,
                    k,
                    tmp,
                    profile if i == 0 else None,
                    f"r{i}" if i else "",
                )
                for i in range(repeat)
            ]
            results.append(repeats[0])
            if baseline:
                theirs = [sys.executable, "-m", "bench.plain_webex_bot"]
                results.append(await measure("webex_bot", theirs, fake, state, k, tmp))
            for r in results:
                if r.lost:  # what the bot that lost commands said last
                    tail = (tmp / f"{r.label}.log").read_text()[-3000:]
                    print(f"--- {r.label} log (tail) ---\n{tail}")
    finally:
        fake.stop()
    print(
        f"end to end: {k} simultaneous creates over the websocket, TLS fake, "
        f"{latency * 1000:.0f} ms per calling-API request, {os.cpu_count()} CPUs "
        f"(machine reference {reference:.0f} ms of CPU: the higher, the slower the machine is "
        "running now)"
    )
    for r in results:
        report(r, k)
        if timeline:
            report_timeline(r, k)
    if repeat > 1:
        summary(repeats, k)
    if len(results) == 2 and results[0].wall:
        ours, theirs = results
        note = (
            f" (webex_bot lost {theirs.lost}: its wall is its last answer)" if theirs.lost else ""
        )
        print(f"  ratio (webex_bot wall / trunkbot wall) {theirs.wall / ours.wall:6.1f}x{note}")
        if theirs.wall and theirs.per_room:
            rate_ours = len(ours.per_room) / ours.wall
            rate_theirs = len(theirs.per_room) / theirs.wall
            print(
                f"  answered per second: trunkbot {rate_ours:5.1f}, webex_bot {rate_theirs:5.1f} "
                f"({rate_ours / rate_theirs:4.1f}x)"
            )
    return results


def main() -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.e2e", description=__doc__.split("\n")[0])
    ap.add_argument("--k", type=int, default=100, help="simultaneous creates")
    ap.add_argument("--latency", type=float, default=0.3, help="seconds per calling-API request")
    ap.add_argument("--no-baseline", action="store_true", help="trunkbot only")
    ap.add_argument(
        "--profile",
        type=Path,
        help="py-spy record trunkbot during the burst into this file "
        "(.txt: collapsed stacks, .json: speedscope, else an SVG flame graph)",
    )
    ap.add_argument("--repeat", type=int, default=1, help="trunkbot's burst this many times")
    ap.add_argument(
        "--timeline", action="store_true", help="when each endpoint's requests reached Webex"
    )
    args = ap.parse_args()
    asyncio.run(
        run(
            args.k,
            args.latency,
            baseline=not args.no_baseline,
            profile=args.profile,
            repeat=args.repeat,
            timeline=args.timeline,
        )
    )


if __name__ == "__main__":
    main()
