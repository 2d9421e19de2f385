"""Asking the owner at a terminal: numbered choices, yes or no, a line of text.

Every question shows its default, and Enter takes it. A wrong answer is answered kindly and
the question comes again; nothing typed before is lost. Input is read on a daemon thread so
the Discord connection keeps its heartbeat while the owner thinks, and Ctrl-C never waits
for a pending read.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


class SetupStopped(Exception):
    """The owner stopped setup (Ctrl-D, or said no); the message says what was (not) done."""


@dataclass(frozen=True)
class Option(Generic[T]):
    label: str
    value: T


def say(*lines: str) -> None:
    for line in lines:
        print(line, flush=True)


async def read_line(prompt: str) -> str:
    """One line from the terminal, without blocking the event loop."""
    loop = asyncio.get_running_loop()
    answer: asyncio.Future[str] = loop.create_future()

    def settle(set_it: Callable[[], None]) -> None:
        if not answer.done():
            set_it()

    def read() -> None:
        try:
            line = input(prompt)
        except BaseException as exc:  # EOFError above all; handed to the waiting coroutine
            failure = exc
            with contextlib.suppress(RuntimeError):  # the loop is gone: nobody is waiting
                loop.call_soon_threadsafe(settle, lambda: answer.set_exception(failure))
        else:
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(settle, lambda: answer.set_result(line))

    threading.Thread(target=read, name="setup-input", daemon=True).start()
    try:
        return (await answer).strip()
    except EOFError:
        print(file=sys.stdout, flush=True)
        raise SetupStopped("the input ended (Ctrl-D), so nothing was written.") from None


def _numbers(answer: str, count: int) -> list[int] | None:
    picked = []
    for part in answer.replace(" ", ",").split(","):
        if not part:
            continue
        if not part.isdigit() or not 1 <= int(part) <= count:
            return None
        picked.append(int(part) - 1)
    return list(dict.fromkeys(picked))


class Terminal:
    """The questions ``tend setup`` asks when a person is at the keyboard."""

    async def pick_one(
        self,
        question: str,
        options: Sequence[Option[T]],
        default: int | None,
        refuse: Callable[[T], str | None] = lambda _: None,
    ) -> T:
        """One of ``options`` by its number; ``refuse`` may turn a choice down with a reason."""
        say("", question)
        say(*(f"  {number}) {option.label}" for number, option in enumerate(options, 1)))
        hint = f" [{default + 1}]" if default is not None else ""
        while True:
            answer = await read_line(f"Choose a number{hint}: ")
            if not answer and default is not None:
                picked: list[int] | None = [default]
            else:
                picked = _numbers(answer, len(options))
            if not picked or len(picked) != 1:
                say(f"Please type one number from 1 to {len(options)}.")
                continue
            value = options[picked[0]].value
            reason = refuse(value)
            if reason:
                say(reason)
                continue
            return value

    async def pick_many(
        self, question: str, options: Sequence[Option[T]], defaults: Sequence[int]
    ) -> list[T]:
        """One or more of ``options`` by their numbers, separated by commas."""
        say("", question)
        say(*(f"  {number}) {option.label}" for number, option in enumerate(options, 1)))
        hint = f" [{', '.join(str(d + 1) for d in defaults)}]" if defaults else ""
        while True:
            answer = await read_line(f"Choose one or more numbers, separated by commas{hint}: ")
            picked = list(defaults) if not answer and defaults else _numbers(answer, len(options))
            if picked:
                return [options[i].value for i in picked]
            say(f"Please type one or more numbers from 1 to {len(options)}, e.g. 1 or 1,3.")

    async def yes_no(self, question: str, default: bool) -> bool:
        hint = "[Y/n]" if default else "[y/N]"
        while True:
            answer = (await read_line(f"{question} {hint}: ")).lower()
            if not answer:
                return default
            if answer in ("y", "yes", "n", "no"):
                return answer.startswith("y")
            say("Please answer y or n.")

    async def text(self, question: str, default: str, check: Callable[[str], str | None]) -> str:
        """A line of text; ``check`` returns what is wrong with it, or None."""
        while True:
            answer = await read_line(f"{question} [{default}]: ") or default
            problem = check(answer)
            if problem is None:
                return answer
            say(f"{problem[0].upper()}{problem[1:]}.")
