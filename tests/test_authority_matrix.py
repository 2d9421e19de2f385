"""The authority matrix: every persistent component, form and moderator command, forged by
everyone who must be refused. A new button or form is in the matrix without anyone adding it:
the custom_ids come from Tend's own registries and their templates (tests/custom_ids.py), in
the server tests/scene.py builds. Each interaction is forged as
- a member of A with no role (a modified client, or a card forwarded to them),
- a moderator of B, acting in B with A's ids,
- the moderator the report is about, on everything that touches the report,
- a moderator of A writing from a DM.
Every one must be answered kindly (never "something went wrong", never silence) and change
nothing: no row, no job, no message outside the refusal, nobody added to a thread.

The rule is decided in the domain and doesn't depend on the database, so the matrix runs on
SQLite only; the service tests check the same rule on both databases.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from models import Case

from .custom_ids import examples
from .scene import (
    FORM_VALUES,
    PUBLIC,
    Scene,
    answered_kindly,
    build_scene,
    component_type,
    snapshot,
    targets,
)
from .simulator import DiscordSimulator, InteractionHandle
from .tend import MANAGE_MESSAGES

# Commands any member may use.
PUBLIC_COMMANDS = {
    "conduct",
    "resources",
    "support",
    "report",
    "privacy",
    "learn",
    "remind",
    "tend about",
    "Report message",
}


@pytest.fixture
async def scene(discord_sim: DiscordSimulator, tmp_path: Path) -> AsyncIterator[Scene]:
    async with build_scene(discord_sim, tmp_path) as built:
        yield built


async def forge(
    scene: Scene,
    who: str,
    user: int,
    guild: int | None,
    channel: int | None,
    report_only: bool,
    only: Case | None = None,
) -> int:
    sim, bot = scene.tend.sim, scene.tend.bot
    assert bot is not None
    before = await snapshot(scene)
    forged = 0
    for name, custom_id, kind in targets(bot, scene, report_only=report_only, only=only):
        what = f"{who}: {name} {custom_id}"
        if kind == 0:
            handle = await sim.forge_modal_submit(guild, channel, user, custom_id, FORM_VALUES)
        elif kind in (3, 5):  # a select: its first option (one day), or the person themselves
            values: list[object] = ["1"] if kind == 3 else [user]
            handle = await sim.forge_component(
                guild, channel, user, custom_id, component_type=kind, values=values
            )
        else:
            handle = await sim.forge_component(guild, channel, user, custom_id, component_type=kind)
        await answered_kindly(sim, handle, what)
        await scene.tend.settle()
        assert await snapshot(scene) == before, f"{what} changed something"
        forged += 1
    return forged


async def test_a_member_of_the_server_is_refused_everywhere(scene: Scene) -> None:
    world = scene.tend.world
    assert await forge(scene, "member", scene.stranger, world.guild, world.general, False) > 50


async def test_a_moderator_of_another_server_is_refused_everywhere(scene: Scene) -> None:
    b_general = scene.tend.world.extra["b_general"]
    assert await forge(scene, "moderator of B", scene.mod_of_b, scene.guild_b, b_general, False) > 50


async def test_the_reported_moderator_is_refused_on_the_report(scene: Scene) -> None:
    world = scene.tend.world
    assert scene.report.subject_id == world.moderator2 and scene.report.escalated
    assert await forge(scene, "reported moderator", world.moderator2, world.guild, world.general, True) > 5


async def test_the_moderator_who_acted_is_refused_on_the_appeal(scene: Scene) -> None:
    """Review, Uphold, Shorten, Lift, Hand off and every form, by the moderator whose timeout it is."""
    world = scene.tend.world
    assert scene.appeal.acted_by == world.moderator and scene.appeal.kind == "appeal"
    forged = await forge(
        scene, "acting moderator", world.moderator, world.guild, world.general, True, scene.appeal
    )
    assert forged > 5


async def test_a_moderator_writing_from_a_dm_is_refused_everywhere(scene: Scene) -> None:
    assert await forge(scene, "DM", scene.tend.world.moderator2, None, None, False) > 50


async def test_moderator_commands_refuse_members_whatever_the_permissions(scene: Scene) -> None:
    """Owners can override a command's default permissions: Tend checks roles itself."""
    tend, sim = scene.tend, scene.tend.sim
    world = tend.world
    helper = sim.add_role(world.guild, "Helpers", permissions=MANAGE_MESSAGES)
    sim.set_member_roles(world.guild, scene.stranger, [helper])
    before = await snapshot(scene)
    checked = 0
    for command in sim.synced_commands(world.guild):
        if command.get("type", 1) == 3:  # a message context menu
            if command["name"] in PUBLIC_COMMANDS:
                continue
            handle = await sim.invoke_message_command(
                world.guild, world.general, scene.stranger, command["name"], scene.message_id
            )
            await _refused(handle, command["name"])
            checked += 1
            continue
        subs = [o for o in command.get("options", []) if o["type"] == 1] or [None]
        for sub in subs:
            full = f"{command['name']} {sub['name']}" if sub else command["name"]
            if full in PUBLIC_COMMANDS:
                continue
            options = (sub or command).get("options", [])
            values = {o["name"]: _option(o, world) for o in options if o.get("required")}
            handle = await sim.invoke_slash(
                world.guild,
                world.general,
                scene.stranger,
                command["name"],
                options=values,
                subcommand=sub["name"] if sub else None,
            )
            await _refused(handle, full)
            checked += 1
    assert checked >= 7
    assert await snapshot(scene) == before


async def _refused(handle: InteractionHandle, what: str) -> None:
    text = (await handle.answer(timeout=3)).get("content") or ""
    assert "for this server's moderators" in text or "Only Tend's owners" in text, (what, text)


def _option(option: dict[str, Any], world: Any) -> object:
    if option.get("choices"):
        return option["choices"][0]["value"]
    return {6: world.member, 7: world.general}.get(option["type"], "1d")


def test_every_template_is_understood(scene: Scene) -> None:
    """The public list names real classes, so a renamed entry point can't hide from the matrix."""
    bot = scene.tend.bot
    assert bot is not None
    names = {c.__name__ for c in bot.persistent_items()} | {f.__name__ for f in bot.modals.routes}
    assert names >= PUBLIC


async def test_ids_out_of_range_are_unknown_even_to_moderators(scene: Scene) -> None:
    """A 19-digit id past what Discord or the database can hold is answered like an unknown
    case or reminder, never with an apology for an error."""
    tend, sim, bot = scene.tend, scene.tend.sim, scene.tend.bot
    assert bot is not None
    world = tend.world
    huge = 9_999_999_999_999_999_999
    ctx: dict[str, list[object]] = {
        "case_id": [huge],
        "id": [huge],
        "case": [huge],
        "guild": [world.guild],
        "followup": [huge],
        "answer": ["ok", "yes"],
        "action": ["export"],
        "span": ["1h"],
        "member": [huge],
        "channel": [huge],
        "message": [huge],
        "situation": ["first_reply"],
        "rule": ["respect"],
    }
    before = await snapshot(scene)
    checked = 0
    for cls in bot.persistent_items():
        for custom_id in examples(cls.__discord_ui_compiled_template__, ctx):
            if str(huge) not in custom_id:
                continue
            kind = component_type(cls)
            values: list[object] | None = ["1"] if kind == 3 else [world.moderator2] if kind == 5 else None
            handle = await sim.forge_component(
                world.guild, world.general, world.moderator, custom_id, component_type=kind, values=values
            )
            await answered_kindly(sim, handle, f"moderator: {cls.__name__} {custom_id}")
            checked += 1
    assert checked > 15
    await tend.settle()
    assert await snapshot(scene) == before
