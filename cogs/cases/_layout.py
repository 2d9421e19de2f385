"""Which buttons a card shows, by kind of case and where it stands."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord

from ._buttons import ClaimButton, CloseButton, HandOffButton, HandOffPick, JoinButton
from ._distress import DISTRESS_ITEMS, DistressDoneButton, DistressNotNeededButton, DistressReachOutButton
from ._reports import (
    REPORT_ITEMS,
    DismissButton,
    ResolveButton,
    RevealButton,
    TalkReportedButton,
    TalkReporterButton,
)

if TYPE_CHECKING:
    from bot.domain.config import GuildConfig
    from models import Case


def card_buttons(case: Case, guild: GuildConfig) -> discord.ui.View | None:
    if not case.is_open:
        return None
    view = discord.ui.View(timeout=None)
    if case.kind == "report":
        if case.holder_id is None:
            view.add_item(ClaimButton(case.id, label="Acknowledge"))
        if not case.anonymous and case.member_id is not None:
            view.add_item(TalkReporterButton(case.id))
        view.add_item(TalkReportedButton(case.id))
        view.add_item(ResolveButton(case.id))
        view.add_item(DismissButton(case.id))
        view.add_item(HandOffButton(case.id))
        if case.anonymous and guild.reports.anonymous_visible_to:
            view.add_item(RevealButton(case.id))
        return view
    if case.kind == "distress":
        if case.holder_id is None:
            view.add_item(ClaimButton(case.id, label="I'll reach out"))
        view.add_item(DistressReachOutButton(case.id))
        view.add_item(DistressDoneButton(case.id))
        view.add_item(DistressNotNeededButton(case.id))
        view.add_item(HandOffButton(case.id))
        return view
    if case.holder_id is None:
        view.add_item(ClaimButton(case.id))
    view.add_item(JoinButton(case.id))
    view.add_item(HandOffButton(case.id))
    view.add_item(CloseButton(case.id))
    return view


DYNAMIC_ITEMS = (
    ClaimButton,
    JoinButton,
    HandOffButton,
    HandOffPick,
    CloseButton,
    *REPORT_ITEMS,
    *DISTRESS_ITEMS,
)
