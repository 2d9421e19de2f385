"""Interaction latency, deadline misses, CPU and Discord REST calls: the real Tend against the
tests' Discord simulator, beside a bare discord.py bot (the floor).

    .venv/bin/python -m benchmarks.interactions                          # 100/s for 30 s, bursts of 500
    .venv/bin/python -m benchmarks.interactions --seconds 3 --burst 100  # a quick look
    scripts/bench [the same flags]                                       # installs .venv first

The simulator and this driver run in this process; each bot runs in its own process
(``benchmarks/_bots.py``) so its CPU time (``time.process_time``) is its own. Latency is what
Discord would see: from the simulator dispatching INTERACTION_CREATE to the first callback
arriving. ``BENCH_PROFILE=/tmp/bench`` writes a cProfile of each bot process to
``/tmp/bench.<bot>.prof``. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import os
import re
import sys
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.runtime.metrics import route_template
from tests.simulator import DiscordSimulator, InteractionHandle
from tests.tend import World, build_world, guild_table

ROOT = Path(__file__).resolve().parents[1]
_CALLBACK = re.compile(r"/interactions/(?P<id>[0-9]+)/[^/]+/callback$")
Flow = Callable[[int], Awaitable[InteractionHandle | None]]


@dataclass
class Result:
    name: str
    handles: list[InteractionHandle]
    failures: int
    misses: int
    cpu_seconds: float
    requests: list[Any]
    latencies: list[float] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.handles) + self.failures

    def percentile(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    @property
    def cpu_ms_per_interaction(self) -> float:
        return 1000 * self.cpu_seconds / max(self.count, 1)

    @property
    def rest_per_flow(self) -> float:
        return len(self.requests) / max(self.count, 1)

    def top_routes(self, n: int = 6) -> str:
        counts = collections.Counter(
            f"{r.method} {route_template(_api_path(r.path), '/api/v10')}" for r in self.requests
        )
        per_flow = max(self.count, 1)
        return ", ".join(f"{route} ×{v / per_flow:.2f}" for route, v in counts.most_common(n))


def _api_path(path: str) -> str:
    return path if path.startswith("/api/v10/") else "/api/v10" + path


class BotProcess:
    """A bot in a child process, driven over stdin/stdout (see benchmarks/_bots.py)."""

    def __init__(self, kind: str, settings_path: Path):
        self.kind, self.settings_path = kind, settings_path
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "benchmarks._bots",
            self.kind,
            str(self.settings_path),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            cwd=ROOT,
        )
        line = await asyncio.wait_for(self._read(), 60)
        if line != "ready":
            raise RuntimeError(f"the {self.kind} bot did not start (said {line!r})")

    async def _read(self) -> str:
        assert self.process is not None and self.process.stdout is not None
        return (await self.process.stdout.readline()).decode().strip()

    async def ask(self, command: str) -> str:
        assert self.process is not None and self.process.stdin is not None
        self.process.stdin.write(f"{command}\n".encode())
        await self.process.stdin.drain()
        return await asyncio.wait_for(self._read(), 180)

    async def cpu(self) -> float:
        return float(await self.ask("cpu"))

    async def stop(self) -> None:
        if self.process is None:
            return
        assert self.process.stdin is not None
        self.process.stdin.close()
        try:
            await asyncio.wait_for(self.process.wait(), 15)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()
        self.process = None


class Bench:
    def __init__(self, sim: DiscordSimulator, world: World, members: list[int]):
        self.sim, self.world = sim, world
        self._members = iter(members)

    def next_member(self) -> int:
        return next(self._members)

    # -- flows: each returns the handle whose first response is measured -------------------

    async def conduct(self, _i: int) -> InteractionHandle | None:
        handle = await self.sim.invoke_slash(
            self.world.guild, self.world.general, self.world.member, "conduct"
        )
        await handle.response(timeout=10)
        return handle

    async def support(self, _i: int) -> InteractionHandle | None:
        member = self.next_member()
        opened = await self.sim.invoke_slash(self.world.guild, self.world.general, member, "support")
        await opened.response(timeout=10)
        submitted = await self.sim.submit_modal(opened, member, {"story": "A hard week; can we talk?"})
        await submitted.wait_followup(timeout=30)
        return submitted

    async def report(self, _i: int) -> InteractionHandle | None:
        # The lead's /report (issue in progress): member, rule, anonymous → modal "what" → submit.
        reporter = self.next_member()
        options = {"member": self.world.member2, "rule": "respect", "anonymous": False}
        opened = await self.sim.invoke_slash(
            self.world.guild, self.world.general, reporter, "report", options
        )
        await opened.response(timeout=10)
        submitted = await self.sim.submit_modal(
            opened, reporter, {"what": "They called me names in #general."}
        )
        await submitted.wait_followup(timeout=30)  # the receipt, once the report is stored
        return submitted

    # -- shapes of load ----------------------------------------------------------------------

    async def run(self, name: str, bot: BotProcess, flow: Flow, *, rate: float | None, count: int) -> Result:
        sim = self.sim
        first_request, misses_before = len(sim.requests), len(sim.deadline_misses)
        cpu_before = await bot.cpu()
        loop = asyncio.get_running_loop()
        start = loop.time()
        tasks = []
        for i in range(count):
            if rate is not None:
                delay = start + i / rate - loop.time()
                if delay > 0:
                    await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(flow(i)))
        outcomes = await asyncio.gather(*tasks, return_exceptions=True)
        # Tend: the cards and threads its jobs post are part of the flow.
        if await bot.ask("idle") != "idle":
            print(f"  {name}: jobs still running after 120 s; measured what was done", file=sys.stderr)
        await asyncio.sleep(0.2)
        cpu_after = await bot.cpu()
        handles = [h for h in outcomes if isinstance(h, InteractionHandle)]
        requests = sim.requests[first_request:]
        result = Result(
            name,
            handles,
            failures=count - len(handles),
            misses=len(sim.deadline_misses) - misses_before,
            cpu_seconds=cpu_after - cpu_before,
            requests=requests,
        )
        answered: dict[int, float] = {}
        for request in requests:
            match = _CALLBACK.search(request.path)
            if match is not None:
                answered.setdefault(int(match["id"]), request.at)
        result.latencies = [answered[h.id] - h.dispatched_at for h in handles if h.id in answered]
        if not name.startswith("warm-up"):
            print(
                f"  done: {name}: p99 {1000 * result.percentile(0.99):.1f} ms, "
                f"{result.cpu_ms_per_interaction:.2f} CPU ms/flow, {result.misses} missed",
                file=sys.stderr,
            )
        errors = [o for o in outcomes if isinstance(o, BaseException)]
        if errors:
            print(f"  {name}: {len(errors)} flow(s) failed, e.g. {errors[0]!r}", file=sys.stderr)
        return result


def settings_for(sim: DiscordSimulator, world: World, database_url: str, data_dir: Path) -> dict[str, Any]:
    return {
        "token": sim.token,
        "bot": {
            "database_url": database_url,
            "data_dir": str(data_dir),
            "api_base_url": sim.api_base_url,
            "gateway_url": sim.gateway_url,
            "shard_count": 1,
            "log_level": "WARNING",
        },
        "guilds": [guild_table(world)],
    }


def print_table(results: list[Result]) -> None:
    header = f"{'scenario':44} {'n':>5} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7} {'missed':>6} {'failed':>6} {'CPU ms':>7} {'REST':>5}"
    print(header)
    print("-" * len(header))
    for r in results:
        print(
            f"{r.name:44} {r.count:5d} {1000 * r.percentile(0.5):7.1f} {1000 * r.percentile(0.99):7.1f} "
            f"{1000 * max(r.latencies, default=float('nan')):7.1f} {r.misses:6d} {r.failures:6d} "
            f"{r.cpu_ms_per_interaction:7.2f} {r.rest_per_flow:5.1f}"
        )
    print("\nREST calls per flow (route × per flow):")
    for r in results:
        print(f"  {r.name}: {r.top_routes()}")


async def main(args: argparse.Namespace) -> int:
    sim = DiscordSimulator(spec_path=None)  # request validation is the simulator's CPU, not the bot's
    await sim.start()
    work = Path(tempfile.mkdtemp(prefix="tend-bench-"))
    try:
        world = build_world(sim)
        sustained = int(args.rate * args.seconds)
        flows_needing_members = 2 * (sustained + args.burst + 10)  # support and report: one case per member
        members = [sim.add_user(f"member-{i}") for i in range(flows_needing_members)]
        for member in members:
            sim.add_member(world.guild, member)
        bench = Bench(sim, world, members)
        database_url = args.database_url or f"sqlite+aiosqlite:///{work}/tend.db"
        settings_path = work / "settings.json"
        settings_path.write_text(json.dumps(settings_for(sim, world, database_url, work)))
        label = f"{args.rate:g}/s x {args.seconds:g}s"
        results: list[Result] = []

        tend = BotProcess("tend", settings_path)
        await tend.start()
        scenarios: list[tuple[str, Flow]] = [("/conduct", bench.conduct), ("/support submit", bench.support)]
        # /report joins in automatically once the lead's command is synced.
        if any(c["name"] == "report" for c in sim.synced_commands(world.guild)):
            scenarios.append(("/report submit", bench.report))
        scenarios = [(n, f) for n, f in scenarios if n.split()[0].strip("/") in args.only]
        try:
            for name, flow in scenarios:
                await bench.run(f"warm-up {name}", tend, flow, rate=None, count=5)
                results.append(
                    await bench.run(f"tend {name} {label}", tend, flow, rate=args.rate, count=sustained)
                )
                await asyncio.sleep(1)
                results.append(
                    await bench.run(
                        f"tend {name} burst {args.burst}", tend, flow, rate=None, count=args.burst
                    )
                )
                await asyncio.sleep(1)
        finally:
            await tend.stop()

        if "floor" not in args.only:
            print_table(results)
            return 0
        floor = BotProcess("floor", settings_path)
        await floor.start()
        try:
            await bench.run("warm-up floor", floor, bench.conduct, rate=None, count=5)
            results.append(
                await bench.run(
                    f"floor /conduct {label}", floor, bench.conduct, rate=args.rate, count=sustained
                )
            )
            await asyncio.sleep(1)
            results.append(
                await bench.run(
                    f"floor /conduct burst {args.burst}", floor, bench.conduct, rate=None, count=args.burst
                )
            )
        finally:
            await floor.stop()

        backend = database_url.split(":", 1)[0]
        print(
            f"\nTend interactions benchmark ({backend}; bot processes measured alone; Python {sys.version.split()[0]})\n"
        )
        print_table(results)
        tend_conduct = next((r for r in results if r.name.startswith("tend /conduct ")), None)
        floor_conduct = next(r for r in results if r.name.startswith("floor /conduct "))
        if tend_conduct is None:
            return 0
        ratio = tend_conduct.cpu_ms_per_interaction / max(floor_conduct.cpu_ms_per_interaction, 1e-9)
        print(f"\nTend /conduct CPU per interaction: {ratio:.2f}x the floor (target <= 1.5x)")
        sustained_p99 = max(
            r.percentile(0.99) for r in results if r.name.startswith("tend") and label in r.name
        )
        burst_misses = sum(r.misses for r in results if r.name.startswith("tend") and "burst" in r.name)
        print(f"Tend worst p99 at {label}: {1000 * sustained_p99:.1f} ms (target < 100 ms)")
        print(f"Tend deadline misses in bursts of {args.burst}: {burst_misses} (target 0)")
        return 0
    finally:
        await sim.stop()


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.interactions", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--rate", type=float, default=100.0, help="interactions per second, sustained (default 100)"
    )
    parser.add_argument("--seconds", type=float, default=30.0, help="how long to sustain it (default 30)")
    parser.add_argument("--burst", type=int, default=500, help="interactions sent at once (default 500)")
    parser.add_argument(
        "--only",
        nargs="+",
        default=["conduct", "support", "report", "floor"],
        help="scenarios to run (default: conduct support report floor)",
    )
    parser.add_argument(
        "--database-url", default=os.environ.get("BENCH_DATABASE_URL"), help="default: a fresh SQLite file"
    )
    return parser.parse_args(argv)


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main(parse_args())))
