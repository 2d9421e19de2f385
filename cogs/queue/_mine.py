"""/cases: a moderator's open cases, oldest first, and the team's load."""

from __future__ import annotations

from collections import Counter

import discord
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.cases import reference
from bot.domain.i18n import ENGLISH, Language, _
from bot.domain.text import fit
from models import OPEN_STATUSES, Case

_LIST_LIMIT = 3800


def card_link(case: Case) -> str:
    if case.card_channel_id and case.card_message_id:
        return f"https://discord.com/channels/{case.guild_id}/{case.card_channel_id}/{case.card_message_id}"
    return ""


def case_line(case: Case) -> str:
    label = case.topic or case.rule_id or case.kind
    link = card_link(case)
    ref = f"[{reference(case.kind, case.number)}]({link})" if link else reference(case.kind, case.number)
    return f"{ref} · {fit(label, 40)} · opened {discord.utils.format_dt(case.opened_at, 'R')}"


async def open_cases(session: AsyncSession, guild_id: int) -> list[Case]:
    rows = await session.scalars(
        select(Case).where(Case.guild_id == guild_id, Case.status.in_(OPEN_STATUSES)).order_by(Case.opened_at)
    )
    return list(rows.all())


def cases_embed(moderator_id: int, cases: list[Case], speak: Language = ENGLISH) -> discord.Embed:
    mine = [c for c in cases if c.holder_id == moderator_id]
    waiting = [c for c in cases if c.holder_id is None]
    embed = discord.Embed(title=speak(_("Your open cases")), colour=discord.Colour.blue())
    embed.description = (
        fit("\n".join(case_line(c) for c in mine), _LIST_LIMIT) if mine else "You hold no open cases."
    )
    if waiting:
        embed.add_field(
            name=speak(_("Waiting for anyone ({count})", count=len(waiting))),
            value=fit("\n".join(case_line(c) for c in waiting[:10]), 1024),
            inline=False,
        )
    load = Counter(c.holder_id for c in cases if c.holder_id is not None)
    if load:
        lines = [f"<@{holder}>: {count}" for holder, count in load.most_common()]
        embed.add_field(
            name=speak(_("Open cases per moderator")), value=fit("\n".join(lines), 1024), inline=False
        )
    return embed
