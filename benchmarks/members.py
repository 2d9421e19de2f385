"""Tend's resident memory as a community grows: 100 members, then 100,000 (members intent on).

    .venv/bin/python -m benchmarks.members                    # 100 → 100,000 members
    .venv/bin/python -m benchmarks.members --members 20000    # a quicker look

The real Tend runs in its own process (benchmarks/_bots.py) against the tests' Discord
simulator; members join through GUILD_MEMBER_ADD, as in a raid or a big server's growth. After
each step a /conduct is answered, so every event before it has been handled, then the bot
process reports its resident memory. Target: 100,000 members raise it by < 20 MB. Not part of
the test suite.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
from pathlib import Path

from benchmarks.interactions import BotProcess, settings_for
from tests.simulator import DiscordSimulator
from tests.tend import build_world


async def main(args: argparse.Namespace) -> int:
    sim = DiscordSimulator(spec_path=None)
    await sim.start()
    work = Path(tempfile.mkdtemp(prefix="tend-members-"))
    try:
        world = build_world(sim)
        settings = settings_for(sim, world, f"sqlite+aiosqlite:///{work}/tend.db", work)
        settings["bot"]["members_intent"] = True
        path = work / "settings.json"
        path.write_text(json.dumps(settings))
        tend = BotProcess("tend", path)
        await tend.start()
        try:

            async def grow_to(total: int, joined: int) -> int:
                for n in range(joined, total):
                    sim.add_member(world.guild, sim.add_user(f"joiner-{n}"))
                    if n % 2000 == 0:
                        await asyncio.sleep(0)  # let the gateway send
                handle = await sim.invoke_slash(world.guild, world.general, world.member, "conduct")
                await handle.response(timeout=300)  # answered: every join before it was handled
                return int(await tend.ask("rss"))

            small = await grow_to(100, 0)
            large = await grow_to(args.members, 100)
        finally:
            await tend.stop()
        grew = (large - small) / 2**20
        print(f"Tend resident memory with the members intent on (SQLite; {args.members:,} members joining):")
        print(f"  at 100 members:        {small / 2**20:7.1f} MiB")
        print(f"  at {args.members:,} members: {large / 2**20:7.1f} MiB")
        print(f"  growth: {grew:.1f} MiB (target < 20 MB, {grew * 1.048576 / 20:.2f}x)")
        return 0
    finally:
        await sim.stop()


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.members", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--members", type=int, default=100_000, help="how many members in the end (default 100,000)"
    )
    return parser.parse_args()


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main(parse_args())))
