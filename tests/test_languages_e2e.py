"""Every member in their own language, end to end: a Spanish-speaking member through support,
a report, a check-in and /privacy, while the moderators on the same cases read the team's
language with "writes in Spanish"; a language Tend doesn't speak gets the server's; an owner's
text for a language wins; and the registered commands carry their translations."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.domain.i18n import DISCORD_LOCALES
from bot.runtime.commands_i18n import valid_name
from bot.runtime.sync import _hash, commands_for_guild

from .flows import EPHEMERAL, buttons, card_of, cases, click, fields, fire_due, last_followup, only_case
from .simulator import DiscordSimulator
from .tend import Tend, running_tend

CARING = {"member_checkins": True, "quiet_hours_start": "00:00", "quiet_hours_end": "00:00"}


def modal_texts(response: dict[str, Any]) -> str:
    """Everything a form shows (title, labels, placeholders, options) as one string."""
    return json.dumps(response["data"], ensure_ascii=False)


@pytest.fixture
async def caring(discord_sim: DiscordSimulator, database_url: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    async with running_tend(discord_sim, database_url, tmp_path, followups=CARING) as running:
        yield running


async def test_a_spanish_speaking_member_reads_spanish_and_the_team_english(caring: Tend) -> None:
    tend, sim, world = caring, caring.sim, caring.world
    assert tend.bot is not None
    sim.set_locale(world.member, "es-ES")

    # /support: the form, the reply, the welcome in the thread, its button.
    opened = await tend.slash(world.member, "support")
    form = await opened.response()
    assert form["type"] == 9
    assert "¿Qué está pasando?" in modal_texts(form) and "Cuéntanos lo que quieras" in modal_texts(form)
    submitted = await sim.submit_modal(opened, world.member, {"story": "Estoy pasando una mala semana"})
    await submitted.wait_followup()
    await tend.settle()
    reply = last_followup(submitted)
    assert reply["flags"] & EPHEMERAL and reply["content"].startswith("Gracias por escribirnos")
    case = await only_case(tend)
    welcome = sim.channel_messages(case.thread_id or 0)[0]
    assert (
        welcome["content"].startswith(f"Hola <@{world.member}>") and "Gestionar hilos" in welcome["content"]
    )
    assert welcome["embeds"][0]["title"] == "Lo que escribiste"
    assert welcome["embeds"][1]["title"] == "Si necesitas algo ahora mismo"
    assert "Cerrar este hilo" in buttons(welcome)

    # The moderator's card and guidance: the team's language (English), naming the member's.
    card = card_of(tend, case)
    assert "writes in Spanish" in fields(card)["Language"]
    assert set(buttons(card)) == {"Claim", "Add me", "Hand off", "Close"}
    claim = await click(tend, card, "Claim", world.moderator)
    await claim.wait_followup()
    assert last_followup(claim)["content"].startswith("Thank you for taking support-0001")
    await tend.settle()

    # Closing: the goodbye and the survey in Spanish; the answer's thanks too.
    close = await click(tend, card_of(tend, await only_case(tend)), "Close", world.moderator)
    assert "Close this support case" in modal_texts(await close.response())
    done = await sim.submit_modal(
        close, world.moderator, {"reason": ["resolved"], "note": "", "followup": ["1"], "survey": ["yes"]}
    )
    await done.wait_followup()
    assert "Closed support-0001" in last_followup(done)["content"]
    await tend.settle()
    goodbye = sim.channel_messages(case.thread_id or 0)[-1]
    assert goodbye["content"].startswith("Un moderador ha cerrado este hilo")
    assert "¿te sentiste escuchado" in goodbye["content"]
    assert set(buttons(goodbye)) == {"Sí", "Más o menos", "No mucho"}
    thanks = await click(tend, goodbye, "Sí", world.member)
    assert (await thanks.wait_followup())["content"] == "Gracias por contárnoslo. Nos ayuda a hacerlo mejor."

    # The check-in DM, sent later: the stored locale, not an interaction, decides.
    await fire_due(tend, "case.followup")
    await fire_due(tend, "followup.checkin")
    checkin = sim.dm_messages(world.member)[-1]
    assert "¿cómo estás?" in checkin["content"] and "Haven" in checkin["content"]
    assert set(buttons(checkin)) == {
        "Estoy bien",
        "Me gustaría volver a hablar",
        "Prefiero que no me escribáis más",
    }
    ok = await click(tend, checkin, "Estoy bien", world.member)
    assert (await ok.wait_followup())["content"].startswith("Gracias por contárnoslo")
    await tend.settle()

    # /report: the form, the receipt, the acknowledgement and the outcome notice.
    filed = await tend.slash(world.member, "report", member=world.member2, rule="respect")
    report_form = await filed.response()
    assert "¿Qué pasó?" in modal_texts(report_form) and "Cuéntanos qué pasó" in modal_texts(report_form)
    sent = await sim.submit_modal(filed, world.member, {"what": "Se burlaron de mí en #general."})
    await sent.wait_followup()
    await tend.settle()
    receipt = last_followup(sent)
    assert receipt["content"].startswith("Gracias por tu reporte. Tu referencia es R-0001.")
    assert receipt["embeds"][0]["title"] == "Si necesitas apoyo"
    (filed_case,) = await cases(tend, "report")
    report_card = card_of(tend, filed_case)
    assert "writes in Spanish" in fields(report_card)["Language"]
    assert fields(report_card)["Status"] == "New: nobody has acknowledged it yet"
    ack = await click(tend, report_card, "Acknowledge", world.moderator)
    await ack.wait_followup()
    await tend.settle()
    assert sim.dm_messages(world.member)[-1]["content"] == (
        "Novedades sobre tu reporte R-0001: un moderador lo está revisando ahora."
    )
    resolve = await click(tend, card_of(tend, filed_case), "Resolve", world.moderator)
    await resolve.response()
    closed = await sim.submit_modal(
        resolve, world.moderator, {"outcome": ["warning"], "note": "", "follow": ["none"]}
    )
    await closed.wait_followup()
    await tend.settle()
    outcome = sim.dm_messages(world.member)[-1]["content"]
    assert outcome.startswith("Tu reporte R-0001 se ha cerrado.") and "advertencia" in outcome

    # /privacy: what Tend holds, its buttons, in Spanish.
    privacy = await tend.slash(world.member, "privacy")
    shown = await privacy.wait_followup()
    assert shown["embeds"][0]["title"] == "Lo que Tend guarda sobre ti aquí"
    assert "Peticiones de apoyo: **1**" in shown["embeds"][0]["description"]
    assert set(buttons(shown)) == {"Exportar mis datos", "Borrar lo que se pueda borrar…"}

    # Nothing English leaked into what the member read in their thread or their DMs.
    member_read = [m["content"] for m in sim.dm_messages(world.member)]
    assert not any(re.search(r"\b(the|your|thank you)\b", text, re.IGNORECASE) for text in member_read)


async def test_a_language_tend_does_not_speak_gets_the_servers(tend: Tend) -> None:
    sim, world = tend.sim, tend.world
    sim.set_locale(world.member, "ja")
    sim.set_guild_locale(world.guild, "fr")
    opened = await tend.slash(world.member, "support")
    assert "Qu'est-ce qui se passe ?" in modal_texts(await opened.response())
    submitted = await sim.submit_modal(opened, world.member, {"story": ""})
    await submitted.wait_followup()
    await tend.settle()
    assert last_followup(submitted)["content"].startswith("Merci d'avoir écrit.")
    case = await only_case(tend)
    # Sent later, from the stored locale ("ja"), falls back to the server's language as well.
    welcome = sim.channel_messages(case.thread_id or 0)[0]
    assert welcome["content"].startswith(f"Bonjour <@{world.member}>")
    # The team still reads English, and learns what the member's Discord speaks.
    assert "writes in Japanese" in fields(card_of(tend, case))["Language"]


async def test_an_owners_text_for_a_language_wins(
    discord_sim: DiscordSimulator, database_url: str, tmp_path: Path
) -> None:
    messages = {
        "support_received": "Thanks! Your thread: {thread}",
        "es": {"support_received": "¡Aquí estamos! Tu hilo: {thread}"},
    }
    async with running_tend(discord_sim, database_url, tmp_path, messages=messages) as tend:
        sim, world = tend.sim, tend.world
        sim.set_locale(world.member, "es-419")
        sim.set_locale(world.member2, "de")
        spanish = await tend.slash(world.member, "support")
        await spanish.response()
        said = await sim.submit_modal(spanish, world.member, {"story": ""})
        assert (await said.wait_followup())["content"].startswith("¡Aquí estamos! Tu hilo: <#")
        german = await tend.slash(world.member2, "support")
        await german.response()
        said = await sim.submit_modal(german, world.member2, {"story": ""})
        # No German text from the owner: Tend's own German, not the owner's English.
        assert (await said.wait_followup())["content"].startswith("Danke, dass du dich meldest.")


async def test_registered_commands_carry_translations_discord_accepts(tend: Tend) -> None:
    sim, world = tend.sim, tend.world
    assert tend.bot is not None
    registered = {c.name: c.payload for c in sim.world.commands_for(world.guild)}
    support = registered["support"]
    assert support["name_localizations"]["es-ES"] == "apoyo" == support["name_localizations"]["es-419"]
    assert support["name_localizations"]["pt-BR"] == "apoio"
    assert support["description_localizations"]["de"] == "Sprich privat mit der Moderation."
    report = registered["report"]
    member_option = next(o for o in report["options"] if o["name"] == "member")
    assert member_option["name_localizations"]["fr"] == "membre"
    assert registered["Report message"]["name_localizations"]["es-ES"] == "Reportar mensaje"

    # Every localisation is keyed by a locale Discord knows, and names follow Discord's rules.
    assert sim.spec is not None, "the OpenAPI spec must be there for the payload to be checked"
    enum = sim.spec.document["components"]["schemas"]["AvailableLocalesEnum"]
    locales = {item["const"] for item in enum.get("oneOf") or enum["anyOf"]}
    assert {code for codes in DISCORD_LOCALES.values() for code in codes} <= locales

    def walk(node: dict[str, Any], is_menu: bool) -> None:
        for key in ("name_localizations", "description_localizations"):
            for locale, text in (node.get(key) or {}).items():
                assert locale in locales and 0 < len(text) <= (32 if key == "name_localizations" else 100)
                if key == "name_localizations" and not is_menu:
                    assert valid_name(text), text
        for option in node.get("options") or []:
            walk(option, False)
        for choice in node.get("choices") or []:
            assert all(0 < len(t) <= 100 for t in (choice.get("name_localizations") or {}).values())

    for payload in registered.values():
        walk(payload, payload.get("type", 1) != 1)
    assert sim.spec_violations == []  # the simulator checked the PUT against the OpenAPI spec

    # A translation is part of what is hashed, so changing one re-syncs the commands.
    with_translations = _hash(await commands_for_guild(tend.bot, world.guild))
    await tend.bot.tree.set_translator(None)
    assert _hash(await commands_for_guild(tend.bot, world.guild)) != with_translations


async def test_a_member_with_no_stored_language_gets_the_servers_later(caring: Tend) -> None:
    """A check-in to someone Tend never heard from directly is written in the server's language."""
    tend, sim, world = caring, caring.sim, caring.world
    assert tend.bot is not None
    sim.set_guild_locale(world.guild, "pt-BR")
    bot = tend.bot
    await sim.wait_for(lambda: str(getattr(bot.get_guild(world.guild), "preferred_locale", "")) == "pt-BR")
    await tend.bot.followups.remind_moderator(
        guild_id=world.guild,
        moderator_id=world.moderator,
        member_id=world.member2,
        due_at=tend.bot.jobs.clock() + timedelta(days=1),
        note=None,
    )
    await fire_due(tend, "followup.due")
    await fire_due(tend, "followup.checkin")
    checkin = sim.dm_messages(world.member2)[-1]
    assert checkin["content"].startswith("Oi, aqui é a moderação de Haven.")
    assert "Estou bem" in buttons(checkin)


async def test_the_team_reads_cards_in_its_own_language(
    discord_sim: DiscordSimulator, database_url: str, tmp_path: Path
) -> None:
    async with running_tend(discord_sim, database_url, tmp_path, language="de") as tend:
        sim, world = tend.sim, tend.world
        sim.set_locale(world.member, "es-419")
        opened = await tend.slash(world.member, "support")
        await opened.response()
        said = await sim.submit_modal(opened, world.member, {"story": "necesito hablar"})
        assert (await said.wait_followup())["content"].startswith("Gracias por escribirnos")
        await tend.settle()
        card = card_of(tend, await only_case(tend))
        assert "schreibt auf Spanisch" in fields(card)["Sprache"]
        assert fields(card)["Status"] == "Wartet auf die Moderation"
        assert set(buttons(card)) == {"Übernehmen", "Mich hinzufügen", "Übergeben", "Schließen"}
        # The member's own thread stays in their language whatever the team speaks.
        welcome = sim.channel_messages((await only_case(tend)).thread_id or 0)[0]
        assert welcome["content"].startswith("Hola")
        # The guidance a moderator gets on claiming it is in the team's language too.
        claim = await click(tend, card, "Übernehmen", world.moderator)
        await claim.wait_followup()
        assert last_followup(claim)["embeds"][0]["title"] == "Deine erste Antwort in einem Support-Thread"


async def test_learn_and_conduct_speak_the_members_language(tend: Tend) -> None:
    sim, world = tend.sim, tend.world
    sim.set_locale(world.member, "fr")
    learned = await (await tend.slash(world.member, "learn", topic="active_listening")).original()
    embed = learned["embeds"][0]
    assert embed["title"] == "Écoute active" and embed["description"].startswith("L'écoute active")
    assert {f["name"] for f in embed["fields"]} >= {"Dans une communauté comme celle-ci", "Essaie ceci"}
    listed = await (await tend.slash(world.member, "learn")).original()
    assert listed["embeds"][0]["title"] == "Pistes d'apprentissage"
    assert "**Désescalade** (`de_escalation`)" in listed["embeds"][0]["description"]
    conduct = await (await tend.slash(world.member, "conduct")).original()
    assert conduct["embeds"][0]["title"] == "Code de conduite"


async def test_a_spanish_speaking_member_who_writes_to_tend_by_dm_reads_spanish(tend: Tend) -> None:
    from .test_dms_e2e import press, write_to_tend

    sim, world = tend.sim, tend.world
    sim.set_locale(world.member, "es-ES")
    # A DM carries no locale: the one stored from their last interaction with Tend decides.
    await (await tend.slash(world.member, "conduct")).original()
    assert tend.bot is not None
    await asyncio.gather(*list(tend.bot._background))  # the locale is stored beside the answer
    assert await tend.bot.services.locales.locale_of(world.member) == "es-ES"
    answer = await write_to_tend(tend, world.member, "No me siento bien en el canal de voz")
    assert answer["content"].startswith("Hola, gracias por escribir") and "Haven" in answer["content"]
    assert answer["embeds"][0]["title"].startswith("Si necesitas algo ahora mismo")
    assert set(buttons(answer)) == {"Hablar con los moderadores", "Seguir hablando aquí por MD"}

    opened = await press(tend, answer, "Hablar con los moderadores", world.member)
    case = await only_case(tend)
    assert opened["flags"] & EPHEMERAL and opened["content"].startswith("Gracias. Ya avisamos")
    assert f"<#{case.thread_id}>" in opened["content"]
    # The case opened from a DM welcomes them in Spanish too; the team's card stays English.
    welcome = sim.channel_messages(case.thread_id or 0)[0]
    assert welcome["content"].startswith(f"Hola <@{world.member}>")
    assert "writes in Spanish" in fields(card_of(tend, case))["Language"]


async def test_someone_tend_never_heard_from_reads_their_servers_language_by_dm(tend: Tend) -> None:
    from .test_dms_e2e import write_to_tend

    sim, world = tend.sim, tend.world
    assert tend.bot is not None
    bot = tend.bot
    sim.set_guild_locale(world.guild, "de")
    await sim.wait_for(lambda: str(getattr(bot.get_guild(world.guild), "preferred_locale", "")) == "de")
    answer = await write_to_tend(tend, world.member2, "Mir geht es nicht gut")
    assert answer["content"].startswith("Hallo, danke") and "Haven" in answer["content"]
    assert "Mit der Moderation sprechen" in buttons(answer)


async def test_a_members_own_reminder_comes_back_in_their_language(caring: Tend) -> None:
    """/remind is the member's own: the reminder and its buttons speak their language, wherever
    it lands (the reminder in the channel here; the moderators' follow-ups stay the team's)."""
    tend, sim, world = caring, caring.sim, caring.world
    sim.set_locale(world.member, "es-ES")
    asked = await tend.slash(world.member, "remind", when="2h", text="llamar a mamá")
    await asked.original()
    bot = tend.bot
    assert bot is not None
    await sim.wait_for(lambda: bot.services.locales.locale_of(world.member))  # stored beside the answer
    await fire_due(tend, "followup.due")
    [reminder] = [m for m in sim.channel_messages(world.general) if m["content"].startswith("⏰")]
    assert reminder["content"].startswith(f"⏰ <@{world.member}>, me pediste que te lo recordara:")
    assert "llamar a mamá" in reminder["content"]
    assert {"Hecho"} <= set(buttons(reminder)), buttons(reminder)
