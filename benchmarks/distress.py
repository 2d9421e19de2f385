"""The distress watch's cost per message: screening in watched channels, and the early return
in unwatched ones. Not part of the test suite.

    .venv/bin/python -m benchmarks.distress                # 50,000 messages each way
    .venv/bin/python -m benchmarks.distress --messages 5000

Messages are everyday chat built from a fixed seed (lengths like a busy server's: mostly short,
some paragraphs), with one in two hundred carrying a real signal. Screening runs the default
signals (``signals.toml``) exactly as the listener does; the unwatched figure times the whole
``on_message`` listener on a message in a channel nobody asked Tend to watch. Targets: ≥ 5,000
messages/s per core screened; nothing measurable unwatched.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
from types import SimpleNamespace
from typing import Any

from bot.domain.config import parse_settings
from bot.domain.guidance import match_distress
from bot.domain.guidance.signals import default_signals
from cogs.distress._cog import DistressCog

WORDS = [
    "the",
    "a",
    "to",
    "and",
    "of",
    "in",
    "is",
    "it",
    "you",
    "that",
    "for",
    "on",
    "with",
    "this",
    "was",
    "are",
    "be",
    "have",
    "i",
    "my",
    "we",
    "just",
    "so",
    "but",
    "game",
    "stream",
    "tonight",
    "lol",
    "anyone",
    "playing",
    "later",
    "patch",
    "notes",
    "meme",
    "server",
    "voice",
    "chat",
    "raid",
    "boss",
    "lunch",
    "work",
    "school",
    "exam",
    "tired",
    "weekend",
    "music",
    "album",
    "movie",
    "love",
    "hate",
    "build",
    "deck",
    "map",
    "cat",
    "dog",
    "coffee",
    "rain",
    "sun",
    "morning",
    "night",
    "thanks",
    "welcome",
    "sorry",
    "maybe",
    "sure",
    "really",
    "actually",
    "literally",
]
SIGNALS = ("i dont want to be here anymore", "i feel so alone lately", "nobody would miss me")
GUILD, WATCHED, UNWATCHED = 1 << 41, 1 << 42, 1 << 43


def chat(count: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    messages = []
    for n in range(count):
        length = rng.choice((3, 5, 8, 12, 20, 40, 120))
        text = " ".join(rng.choice(WORDS) for _ in range(length))
        if n % 200 == 0:
            text = f"{text}. {rng.choice(SIGNALS)}"
        messages.append(text)
    return messages


def screening_rate(messages: list[str]) -> tuple[float, int]:
    signals = default_signals()
    began = time.process_time()
    matched = sum(1 for text in messages if match_distress(text, signals) is not None)
    return len(messages) / (time.process_time() - began), matched


def unwatched_cost(messages: list[str]) -> float:
    """Microseconds of CPU per message for the whole listener in an unwatched channel."""
    settings = parse_settings(
        {
            "guilds": [
                {
                    "id": GUILD,
                    "moderator_roles": [1 << 44],
                    "channels": {"queue": 1 << 45, "support": 1 << 46},
                    "features": {"distress_watch": True},
                    "listening": {"distress_channels": [WATCHED]},
                }
            ]
        },
        {"DISCORD_TOKEN": "x"},
    )
    bot: Any = SimpleNamespace(
        settings=settings, intents=SimpleNamespace(message_content=True), signals=lambda _g: default_signals()
    )
    cog = DistressCog(bot)
    author = SimpleNamespace(bot=False, id=1)
    guild = SimpleNamespace(id=GUILD)
    channel = SimpleNamespace(id=UNWATCHED, parent_id=None)
    fakes = [SimpleNamespace(author=author, guild=guild, channel=channel, content=text) for text in messages]

    async def run() -> float:
        began = time.process_time()
        for message in fakes:
            await cog.on_message(message)
        return time.process_time() - began

    return 1e6 * asyncio.run(run()) / len(messages)


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.distress", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--messages", type=int, default=50_000)
    args = parser.parse_args()
    messages = chat(args.messages)
    rate, matched = screening_rate(messages)
    print(
        f"distress watch, watched channel: {rate:,.0f} messages/s per core screened "
        f"({matched} of {len(messages):,} matched; target >= 5,000/s, {rate / 5000:.1f}x)"
    )
    print(
        f"distress watch, unwatched channel: {unwatched_cost(messages):.1f} µs CPU per message for the whole listener"
    )


if __name__ == "__main__":
    main()
