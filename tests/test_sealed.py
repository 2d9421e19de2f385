"""Encrypted text declared once: the sealed-column registry, and everything it drives."""

from __future__ import annotations

import pytest

from bot.cases.store import audit
from bot.db import Database

from .test_config import MINIMAL

GUILD = MINIMAL["guilds"][0]["id"]
MEMBER, OTHER, MOD = 1 << 43, 1 << 44, 1 << 45


async def test_the_audit_trail_refuses_anything_that_looks_like_someones_words(db: Database) -> None:
    async with db.transaction() as session:
        audit(session, None, "closed", MOD, guild_id=GUILD, reason="no_response", rule="respect", step=2)
        with pytest.raises(ValueError, match="free text"):
            audit(session, None, "opened", MEMBER, guild_id=GUILD, topic="my landlord is evicting me")
        with pytest.raises(ValueError, match="free text"):
            audit(session, None, "opened", MEMBER, guild_id=GUILD, why="x" * 65)
