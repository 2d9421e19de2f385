"""Interaction latency, deadline misses, CPU and Discord REST calls: the real Tend against the
tests' Discord simulator, beside a bare discord.py bot (the floor).

    .venv/bin/python -m benchmarks.interactions                          # 50/s for 10 s, bursts of 500
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
# Interaction webhooks (followups, edits of the original response) aren't part of the 50/s budget.
_INTERACTION_WEBHOOK = re.compile(r"/webhooks/[0-9]+/(?P<token>[^/]+)(/|$)")
DISCORD_BUDGET = 50.0  # rate-limited REST calls a second, for the whole bot
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
    # From dispatch to what the person waits for (the thread link, the receipt, the answer).
    completions: list[float] = field(default_factory=list)
    settled_seconds: float = float("nan")  # from the first dispatch until no job was in flight
    statements: int = 0
    writes: int = 0

    @property
    def count(self) -> int:
        return len(self.handles) + self.failures

    def percentile(self, q: float) -> float:
        return _percentile(self.latencies, q)

    @property
    def cpu_ms_per_interaction(self) -> float:
        return 1000 * self.cpu_seconds / max(self.count, 1)

    @property
    def rest_per_flow(self) -> float:
        return len(self.requests) / max(self.count, 1)

    @property
    def rate_limited_per_flow(self) -> float:
        limited = [r for r in self.requests if not _interaction_route(r.path)]
        return len(limited) / max(self.count, 1)

    @property
    def budget_flows_per_second(self) -> float:
        """How many of these flows a second Discord's 50/s budget allows any bot."""
        per_flow = self.rate_limited_per_flow
        return DISCORD_BUDGET / per_flow if per_flow else float("inf")

    @property
    def settled_per_second(self) -> float:
        return len(self.handles) / self.settled_seconds if self.settled_seconds > 0 else float("nan")

    def completion_percentile(self, q: float) -> float:
        return _percentile(self.completions, q)

    def top_routes(self, n: int = 6) -> str:
        counts = collections.Counter(
            f"{r.method} {route_template(_api_path(r.path), '/api/v10')}" for r in self.requests
        )
        per_flow = max(self.count, 1)
        return ", ".join(f"{route} ×{v / per_flow:.2f}" for route, v in counts.most_common(n))


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _interaction_route(path: str) -> bool:
    return bool(_CALLBACK.search(path) or _INTERACTION_WEBHOOK.search(path))


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

    async def sql(self) -> tuple[int, int]:
        statements, writes = (await self.ask("db")).split()
        return int(statements), int(writes)

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
    def __init__(self, sim: DiscordSimulator, world: World, members: list[int], evidence: list[int]):
        self.sim, self.world = sim, world
        self._members = iter(members)
        self._evidence = iter(evidence)  # messages in #general, one for each Report message flow

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

    async def report_message(self, _i: int) -> InteractionHandle | None:
        reporter = self.next_member()
        opened = await self.sim.invoke_message_command(
            self.world.guild, self.world.general, reporter, "Report message", next(self._evidence)
        )
        await opened.response(timeout=10)
        submitted = await self.sim.submit_modal(
            opened, reporter, {"rule": ["respect"], "what": "Insulting everyone.", "anonymous": ["0"]}
        )
        await submitted.wait_followup(timeout=30)
        return submitted

    async def resources(self, _i: int) -> InteractionHandle | None:
        handle = await self.sim.invoke_slash(
            self.world.guild, self.world.general, self.world.member, "resources"
        )
        await handle.response(timeout=10)
        return handle

    async def learn(self, _i: int) -> InteractionHandle | None:
        handle = await self.sim.invoke_slash(self.world.guild, self.world.general, self.world.member, "learn")
        await handle.response(timeout=10)
        return handle

    # -- shapes of load ----------------------------------------------------------------------

    async def run(self, name: str, bot: BotProcess, flow: Flow, *, rate: float | None, count: int) -> Result:
        sim = self.sim
        first_request, misses_before = len(sim.requests), len(sim.deadline_misses)
        cpu_before = await bot.cpu()
        sql_before = await bot.sql()
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
        settled = loop.time() - start
        await asyncio.sleep(0.2)
        cpu_after = await bot.cpu()
        sql_after = await bot.sql()
        handles = [h for h in outcomes if isinstance(h, InteractionHandle)]
        requests = sim.requests[first_request:]
        result = Result(
            name,
            handles,
            failures=count - len(handles),
            misses=len(sim.deadline_misses) - misses_before,
            cpu_seconds=cpu_after - cpu_before,
            requests=requests,
            settled_seconds=settled,
            statements=sql_after[0] - sql_before[0],
            writes=sql_after[1] - sql_before[1],
        )
        answered: dict[int, float] = {}
        followed: dict[str, float] = {}
        for request in requests:
            if (match := _CALLBACK.search(request.path)) is not None:
                answered.setdefault(int(match["id"]), request.at)
            elif (hook := _INTERACTION_WEBHOOK.search(request.path)) is not None:
                followed.setdefault(hook["token"], request.at)
        result.latencies = [answered[h.id] - h.dispatched_at for h in handles if h.id in answered]
        result.completions = [
            followed.get(h.token, answered.get(h.id, float("nan"))) - h.dispatched_at for h in handles
        ]
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
    header = (
        f"{'scenario':40} {'n':>5} {'p50 ms':>7} {'p99 ms':>7} {'done p99':>8} {'missed':>6} {'failed':>6} "
        f"{'CPU ms':>7} {'SQL':>5} {'writes':>6} {'REST':>5} {'limited':>7}"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        print(
            f"{r.name:40} {r.count:5d} {1000 * r.percentile(0.5):7.1f} {1000 * r.percentile(0.99):7.1f} "
            f"{1000 * r.completion_percentile(0.99):8.1f} {r.misses:6d} {r.failures:6d} "
            f"{r.cpu_ms_per_interaction:7.2f} {r.statements / max(r.count, 1):5.1f} "
            f"{r.writes / max(r.count, 1):6.2f} {r.rest_per_flow:5.1f} {r.rate_limited_per_flow:7.2f}"
        )
    print(
        "\n(p50/p99: dispatch to first response; done p99: dispatch to what the person waits for — the"
        " thread link, the receipt; SQL and writes: statements and write transactions per flow; REST: all"
        " calls per flow; limited: those counted against Discord's 50/s, i.e. not interaction callbacks"
        " or interaction webhooks)"
    )
    print("\nREST calls per flow (route × per flow):")
    for r in results:
        print(f"  {r.name}: {r.top_routes()}")


@dataclass
class Target:
    what: str
    measured: float
    goal: float
    unit: str = ""
    at_least: bool = False  # the goal is a floor, not a ceiling

    @property
    def met(self) -> bool:
        return self.measured >= self.goal if self.at_least else self.measured <= self.goal

    def line(self) -> str:
        sign = ">=" if self.at_least else "<="
        ratio = self.measured / self.goal if self.goal else float("nan")
        return (
            f"  {self.what:56} {self.measured:9.4g}{self.unit:3} target {sign} {self.goal:g}{self.unit:3}"
            f" ratio {ratio:5.2f}  {'met' if self.met else 'NOT MET'}"
        )


def targets(results: list[Result], label: str, burst: int) -> list[Target]:
    """Issue 12's targets, each from this run's figures."""

    def pick(prefix: str) -> Result | None:
        return next((r for r in results if r.name.startswith(prefix)), None)

    out: list[Target] = []
    floor = pick(f"floor /conduct {label}")
    cpu_goal = {"/support submit": 15.0, "/report submit": 10.0, "Report message submit": 10.0}
    for name in (
        "/conduct",
        "/resources",
        "/learn",
        "/support submit",
        "/report submit",
        "Report message submit",
    ):
        sustained, bursted = pick(f"tend {name} {label}"), pick(f"tend {name} burst")
        if sustained is None:
            continue
        if name in cpu_goal:
            out.append(
                Target(f"{name}: CPU per flow", sustained.cpu_ms_per_interaction, cpu_goal[name], " ms")
            )
        elif floor is not None:
            ratio = sustained.cpu_ms_per_interaction / max(floor.cpu_ms_per_interaction, 1e-9)
            out.append(Target(f"{name}: CPU per flow / the floor's", ratio, 1.3, "x"))
        if name == "/support submit":
            out.append(Target(f"{name}: write transactions per flow", sustained.writes / sustained.count, 3))
            out.append(
                Target(f"{name}: rate-limited REST calls per flow", sustained.rate_limited_per_flow, 4)
            )
            out.append(Target(f"{name} at {label}: flows not completed", sustained.failures, 0))
            out.append(
                Target(
                    f"{name} at {label}: thread link p99", sustained.completion_percentile(0.99), 2.0, " s"
                )
            )
        if bursted is not None and bursted.rate_limited_per_flow:
            out.append(
                Target(
                    f"{name}: burst {burst} settled / Discord's budget",
                    bursted.settled_per_second / bursted.budget_flows_per_second,
                    5.0,
                    "x",
                    at_least=True,
                )
            )
    return out


def print_budget(results: list[Result]) -> None:
    print("\nDiscord's budget (50 rate-limited calls/s for the whole bot) against Tend's own throughput:")
    for r in results:
        if not r.name.startswith("tend") or "burst" not in r.name:
            continue
        allowed = r.budget_flows_per_second
        allowed_text = "unlimited" if allowed == float("inf") else f"{allowed:7.1f}/s"
        multiple = "" if allowed == float("inf") else f" = {r.settled_per_second / allowed:5.1f}x the budget"
        print(
            f"  {r.name:40} {r.rate_limited_per_flow:5.2f} limited calls/flow; Discord allows {allowed_text};"
            f" Tend settled {r.settled_per_second:7.1f}/s{multiple}"
        )


async def main(args: argparse.Namespace) -> int:
    sim = DiscordSimulator(spec_path=None)  # request validation is the simulator's CPU, not the bot's
    await sim.start()
    work = Path(tempfile.mkdtemp(prefix="tend-bench-"))
    try:
        world = build_world(sim)
        sustained = int(args.rate * args.seconds)
        # support, report and Report message open one case per member
        flows_needing_members = 3 * (sustained + args.burst + 10)
        members = [sim.add_user(f"member-{i}") for i in range(flows_needing_members)]
        for member in members:
            sim.add_member(world.guild, member)
        evidence = [
            int((await sim.send_message(world.general, world.member2, f"you are all idiots ({n})"))["id"])
            for n in range(sustained + args.burst + 10)
        ]
        bench = Bench(sim, world, members, evidence)
        database_url = args.database_url or f"sqlite+aiosqlite:///{work}/tend.db"
        settings_path = work / "settings.json"
        settings_path.write_text(json.dumps(settings_for(sim, world, database_url, work)))
        label = f"{args.rate:g}/s x {args.seconds:g}s"
        results: list[Result] = []

        tend = BotProcess("tend", settings_path)
        await tend.start()
        scenarios: list[tuple[str, str, Flow]] = [
            ("conduct", "/conduct", bench.conduct),
            ("resources", "/resources", bench.resources),
            ("learn", "/learn", bench.learn),
            ("support", "/support submit", bench.support),
            ("report", "/report submit", bench.report),
            ("report-message", "Report message submit", bench.report_message),
        ]
        try:
            for key, name, flow in scenarios:
                if key not in args.only:
                    continue
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

        if "floor" in args.only:
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
                        f"floor /conduct burst {args.burst}",
                        floor,
                        bench.conduct,
                        rate=None,
                        count=args.burst,
                    )
                )
            finally:
                await floor.stop()

        backend = database_url.split(":", 1)[0]
        print(
            f"\nTend interactions benchmark ({backend}; bot processes measured alone; "
            f"{os.cpu_count()} cores; Python {sys.version.split()[0]})\n"
        )
        print_table(results)
        print_budget(results)
        print("\nTargets (issue 12), measured in this run:")
        for target in targets(results, label, args.burst):
            print(target.line())
        return 0
    finally:
        await sim.stop()


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.interactions", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--rate", type=float, default=50.0, help="interactions per second, sustained (default 50)"
    )
    parser.add_argument("--seconds", type=float, default=10.0, help="how long to sustain it (default 10)")
    parser.add_argument("--burst", type=int, default=500, help="interactions sent at once (default 500)")
    parser.add_argument(
        "--only",
        nargs="+",
        default=["conduct", "resources", "learn", "support", "report", "report-message", "floor"],
        help="scenarios to run (default: all of conduct resources learn support report report-message floor)",
    )
    parser.add_argument(
        "--database-url", default=os.environ.get("BENCH_DATABASE_URL"), help="default: a fresh SQLite file"
    )
    return parser.parse_args(argv)


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main(parse_args())))
