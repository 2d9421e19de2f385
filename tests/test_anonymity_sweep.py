"""The anonymity sweep: anonymous reports go through every flow that can touch them, and no
text anyone can see (but the reveal role, absent here) names the reporter: not their id,
not their name. Run with member check-ins on and off, logging at DEBUG in both formats.

Flows: acknowledge; talk with the reported member; resolve with each follow-up choice
(none, the reporter, the reported member) and dismiss; the follow-ups coming due (a
check-in Tend sends the reporter itself, on the moderator's behalf) and the reporter's
answer; reopening from the reminder; the reporter leaving; the weekly digest, /tend stats,
/cases; the reported member's /privacy export.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.infra.logs import JsonFormatter, setup_logging

from .flows import EPHEMERAL, buttons, card, cases, click, fire_due, pending, report
from .simulator import DiscordSimulator
from .tend import Tend, build_world, running_tend

# Logs from the simulator itself (Discord's side of the wire) aren't Tend's.
NOT_TENDS = ("tests.", "aiohttp.access", "aiohttp.server", "aiohttp.web")


@pytest.fixture
def tend_logs() -> Iterator[io.StringIO]:
    """Tend's logs at DEBUG, as `tend run` writes them: the text format and JSON, together."""
    root = logging.getLogger()
    libraries = ("discord", "aiosqlite", "asyncpg", "sqlalchemy", "aiohttp", "alembic", "apscheduler")
    saved = (root.handlers[:], root.level, {name: logging.getLogger(name).level for name in libraries})
    buffer = io.StringIO()
    setup_logging("DEBUG", "text", stream=buffer)
    as_json = logging.StreamHandler(buffer)
    as_json.setFormatter(JsonFormatter())
    root.addHandler(as_json)
    for handler in root.handlers:
        handler.addFilter(lambda record: not record.name.startswith(NOT_TENDS))
    try:
        yield buffer
    finally:
        root.handlers[:], root.level = saved[0], saved[1]
        for name, level in saved[2].items():
            logging.getLogger(name).setLevel(level)


@pytest.mark.parametrize("checkins", [True, False], ids=["checkins-on", "checkins-off"])
async def test_an_anonymous_reporter_is_named_nowhere(
    discord_sim: DiscordSimulator,
    database_url: str,
    tmp_path: Path,
    tend_logs: io.StringIO,
    checkins: bool,
) -> None:
    sim = discord_sim
    world = build_world(sim)
    reporter, reported = world.member, world.member2
    followups = {"member_checkins": checkins, "quiet_hours_start": "00:00", "quiet_hours_end": "00:00"}
    async with running_tend(sim, database_url, tmp_path, world=world, followups=followups) as tend:
        assert tend.bot is not None
        # The reported member has something of their own for /privacy to export.
        await (await tend.slash(reported, "remind", when="3d", text="breathe")).answer()
        for text in ("They mocked me in voice.", "They did it again today.", "And in the forum."):
            await report(tend, reporter, reported, text=text, anonymous=True)
        first, second, third = await cases(tend, "report")

        # Acknowledge and talk with the reported member, on the first.
        ack = await click(tend, await card(tend, first.id), "Acknowledge", world.moderator)
        await ack.wait_followup()
        talk = await click(tend, await card(tend, first.id), "Talk with reported member", world.moderator)
        await talk.wait_followup()
        # Resolve with each follow-up choice; dismiss the third.
        for case, follow in ((first, "reporter"), (second, "reported")):
            form = await click(tend, await card(tend, case.id), "Resolve", world.moderator)
            done = await sim.submit_modal(
                form, world.moderator, {"outcome": ["warning"], "note": "talked to them", "follow": [follow]}
            )
            await done.wait_followup()
        form = await click(tend, await card(tend, third.id), "Dismiss", world.moderator)
        await (await sim.submit_modal(form, world.moderator, {"reason": "Already handled."})).wait_followup()
        await tend.settle()

        # The follow-ups come due: the moderator is reminded, and the reporter gets a check-in
        # Tend sends itself (on or off), which they answer: they'd like to talk.
        await fire_due(tend, "case.followup")
        await fire_due(tend, "followup.checkin")
        [checkin] = [m for m in sim.dm_messages(reporter) if buttons(m)]
        assert "Thank you again for your report" in checkin["content"]
        talk_again = await sim.click_button(
            int(checkin["id"]), buttons(checkin)["I'd like to talk again"], reporter
        )
        reply = await talk_again.wait_followup()
        assert reply["flags"] & EPHEMERAL and "/support" in reply["content"]
        await tend.settle()
        assert [c.kind for c in await cases(tend)] == ["report"] * 3  # no support case tied to it

        # Reopen the first from its reminder, then the reporter leaves the server.
        reminder = next(
            m
            for m in sim.channel_messages((await cases(tend, "report"))[0].staff_thread_id or 0)
            if "Reopen case" in buttons(m)
        )
        assert "with the reporter on R-0001" in reminder["content"]
        reopen = await click(tend, reminder, "Reopen case", world.moderator)
        await reopen.response()
        await sim.wait_for(lambda: "reopened" in sim.message(int(reminder["id"]))["content"])
        sim.remove_member(world.guild, reporter)
        await sim.wait_for(lambda: _left_recorded(tend))
        await tend.settle()

        # The digest, /tend stats, /cases, and the reported member's own /privacy export.
        [digest] = await pending(tend, "tend.digest")
        tend.clock.set(digest.due_at)
        await tend.bot.jobs.sweep()
        await tend.settle()
        await (await tend.slash(world.moderator, "tend", subcommand="stats")).answer()
        await (await tend.slash(world.moderator, "cases")).answer()
        shown = await (await tend.slash(reported, "privacy")).answer()
        export = await sim.click_button(int(shown["id"]), buttons(shown)["Export my data"], reported)
        exported = await export.wait_followup()
        exported_json = exported["attachments"][0]["data"].decode()
        assert json.loads(exported_json)["member_id"] == str(reported)
        await tend.settle()

        # Now the sweep: everything anyone can see, the export, and Tend's logs.
        visible = [*sim.all_visible_text(include_custom_ids=True), exported_json, tend_logs.getvalue()]
        assert len(visible) > 50
        for text in visible:
            assert str(reporter) not in text and "river" not in text.lower(), text[:500]
        # The team heard the reporter's answer, as "the reporter".
        # (Its notes thread was opened when the first reminder needed it.)
        first = (await cases(tend, "report"))[0]
        notes = " ".join(m["content"] or "" for m in sim.channel_messages(first.staff_thread_id or 0))
        assert "the reporter on r-0001 answered the check-in: they'd like to talk" in notes.lower()


async def _left_recorded(tend: Tend) -> bool:
    """The reopened (open) report has noted its reporter left (closed ones aren't touched)."""
    return (await cases(tend, "report"))[0].member_left_at is not None
