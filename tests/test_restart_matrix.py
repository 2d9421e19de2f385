"""Nothing forgotten on restart: every button and form Tend has shown answers after a restart.

tests/scene.py builds a lived-in server (cards, a reminder, a check-in, a /remind), then Tend
restarts. Every registered DynamicItem and routed form, with custom_ids generated from their
templates (so a new one is covered without anyone adding it), is pressed or submitted by the
people who could have it in front of them: a moderator, the members of the cases, in the
server and from a DM. Each must be answered within Discord's 3 seconds with the action or a
kind explanation, never silence and never an apology for an error. Components and forms Tend
no longer knows (an older version's, or made up) get a kind answer too.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from .flows import EPHEMERAL
from .scene import FORM_VALUES, Scene, answered_kindly, build_scene, targets
from .simulator import DiscordSimulator


@pytest.fixture
async def scene(discord_sim: DiscordSimulator, tmp_path: Path) -> AsyncIterator[Scene]:
    async with build_scene(discord_sim, tmp_path) as built:
        yield built


async def test_every_button_and_form_answers_after_a_restart(scene: Scene) -> None:
    tend, sim = scene.tend, scene.tend.sim
    world = tend.world
    await tend.restart()
    bot = tend.bot
    assert bot is not None
    pressed = 0
    people = [
        ("moderator", world.moderator, world.guild, world.general),
        ("the report's and check-in's member", world.member2, world.guild, world.general),
        ("the support case's member", world.member, world.guild, world.general),
        ("a member, from their DMs", world.member2, None, None),
    ]
    for who, user, guild, channel in people:
        for name, custom_id, kind in targets(bot, scene, report_only=False, public=True):
            what = f"{who}: {name} {custom_id}"
            if kind == 0:
                handle = await sim.forge_modal_submit(guild, channel, user, custom_id, FORM_VALUES)
            else:
                values: list[object] | None = (
                    ["1"] if kind == 3 else [world.moderator2] if kind == 5 else None
                )
                handle = await sim.forge_component(
                    guild, channel, user, custom_id, component_type=kind, values=values
                )
            await answered_kindly(sim, handle, what, private=False)
            pressed += 1
        await tend.settle()
    assert pressed > 400
    assert not sim.deadline_misses


@pytest.mark.parametrize(
    ("custom_id", "hint"),
    [
        ("privacy:export", "run `/privacy` again"),  # the ephemeral view's id before it was a DynamicItem
        ("privacy:confirm", "run `/privacy` again"),
        ("case:12:an-action-that-never-existed", "newer message"),
        ("something-else-entirely", "newer message"),
    ],
)
async def test_a_component_tend_no_longer_knows_gets_a_kind_answer(
    scene: Scene, custom_id: str, hint: str
) -> None:
    tend, sim = scene.tend, scene.tend.sim
    await tend.restart()
    handle = await sim.forge_component(tend.world.guild, tend.world.general, tend.world.member, custom_id)
    answer = await handle.answer(timeout=3)
    assert (
        answer["flags"] & EPHEMERAL
        and "from before I restarted" in answer["content"]
        and hint in answer["content"]
    )


async def test_a_form_tend_no_longer_knows_gives_the_words_back(scene: Scene) -> None:
    tend, sim = scene.tend, scene.tend.sim
    world = tend.world
    await tend.restart()
    handle = await sim.forge_modal_submit(
        world.guild, world.general, world.member, "tend:a-form-from-an-old-version:1", {"story": "my words"}
    )
    answer = await handle.answer(timeout=3)
    assert answer["flags"] & EPHEMERAL and "don't recognise that form" in answer["content"]
    words = await handle.wait_followup()
    assert "my words" in words["content"] and words["flags"] & EPHEMERAL
