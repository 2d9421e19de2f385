"""A real process at a pseudo-terminal, driven from the test's event loop (where the simulator runs).

``await term.expect("Choose a number")`` waits for text on the screen; ``term.type("2")`` types a
line. What the process printed is in ``term.screen``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import pty
import sys
from collections.abc import AsyncIterator
from pathlib import Path


class Terminal:
    def __init__(self, process: asyncio.subprocess.Process, master: int):
        self.process, self._master = process, master
        self.screen = ""
        self._seen = 0  # expect() looks only past what it already matched
        self._changed = asyncio.Event()
        asyncio.get_running_loop().add_reader(master, self._read)

    def _read(self) -> None:
        try:
            data = os.read(self._master, 65536)
        except OSError:  # the process closed its side
            data = b""
        if not data:
            asyncio.get_running_loop().remove_reader(self._master)
        self.screen += data.decode(errors="replace").replace("\r\n", "\n")
        self._changed.set()

    async def expect(self, text: str, timeout: float = 30.0) -> str:
        """Wait until ``text`` appears after the last match; returns the screen up to it."""
        return (await self.expect_first(text, timeout=timeout))[1]

    async def expect_first(self, *texts: str, timeout: float = 30.0) -> tuple[str, str]:
        """Wait for whichever of ``texts`` appears first; returns it and the screen up to it."""
        async with asyncio.timeout(timeout):
            while not (found := self._first(texts)):
                if self.process.returncode is not None and not self._changed.is_set():
                    raise AssertionError(f"the process ended without showing {texts!r}:\n{self.screen}")
                self._changed.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), 0.5)
        at, text = found
        before = self.screen[self._seen : at + len(text)]
        self._seen = at + len(text)
        return text, before

    def _first(self, texts: tuple[str, ...]) -> tuple[int, str] | None:
        places = [(self.screen.find(t, self._seen), t) for t in texts]
        return min(((at, t) for at, t in places if at >= 0), default=None)

    def type(self, line: str) -> None:
        os.write(self._master, line.encode() + b"\r")

    async def finish(self, timeout: float = 30.0) -> int:
        code = await asyncio.wait_for(self.process.wait(), timeout)
        await asyncio.sleep(0.05)  # the last output
        return code


@contextlib.asynccontextmanager
async def at_a_terminal(
    *args: str, cwd: Path, env: dict[str, str], program: tuple[str, ...] = (sys.executable, "-m", "bot")
) -> AsyncIterator[Terminal]:
    """``python -m bot ARGS`` (or ``program`` ARGS) with a pseudo-terminal as its stdin, stdout and stderr."""
    master, child = pty.openpty()
    process = await asyncio.create_subprocess_exec(
        *program, *args, cwd=cwd, env=env, stdin=child, stdout=child, stderr=child
    )
    os.close(child)
    os.set_blocking(master, False)
    terminal = Terminal(process, master)
    try:
        yield terminal
    finally:
        with contextlib.suppress(ValueError, OSError):
            asyncio.get_running_loop().remove_reader(master)
        if process.returncode is None:
            process.kill()
            await process.wait()
        os.close(master)
