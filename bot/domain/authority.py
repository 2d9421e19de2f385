"""Who may act on what. One rule for every action on a case, decided against *the case*.

Every moderator action (a card button, a form, a follow-up's Reopen, a reflection that
schedules a follow-up) first resolves the case from the database and then asks
:func:`require_case_moderator`. The interaction's server, roles and user come from
Discord (:class:`Actor`); nothing in a custom_id is trusted beyond the id that is looked up.

The rule, in order:
1. the case belongs to the server the interaction came from (anything else looks exactly
   like a case that doesn't exist, so nothing leaks across servers);
2. the person is a moderator *of that server* (a configured moderator role, or its owner);
3. the person is not who the case is about (a reported moderator can't act on the report),
   nor, for an appeal, the moderator who took the action appealed;
4. for a case escalated because it is about a moderator, the person holds the escalation
   role when one is configured (the server owner always may).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.domain.errors import MODERATORS_ONLY, NotAllowed, NotFound
from bot.domain.i18n import _
from bot.domain.permissions import is_moderator

if TYPE_CHECKING:
    from bot.domain.config import GuildConfig, Settings
    from models import Case

CASE_GONE = _("I can't find that case any more. It may have been removed under the data-retention policy.")
YOUR_DECISION = _(
    "This appeal is about a decision you made, so another moderator will review it. "
    "You can share your view with them in the team's notes."
)
ABOUT_YOU = _(
    "This case is about you, so another moderator will handle it. "
    "If you'd like to share your side, they'll reach out, or use `/support`."
)
ESCALATED = _("This report is about a moderator, so only the people the server chose for that can act on it.")
NOT_YOURS = _("This is for the person the case is about, so I can't do it for you.")

# The largest id Discord (and our BigInteger columns) can hold.
MAX_SNOWFLAKE = (1 << 63) - 1


def snowflake(text: str | int | None) -> int:
    """An id read from untrusted input (a custom_id): the int, or 0 when out of range.

    0 never names anything, so a forged 19-digit id is answered like an unknown one
    rather than overflowing a database driver.
    """
    try:
        value = int(text or 0)
    except ValueError:
        return 0
    return value if 0 < value <= MAX_SNOWFLAKE else 0


@dataclass(frozen=True)
class Actor:
    """The person acting, as Discord described them in the interaction (never a custom_id)."""

    user_id: int
    # The server the interaction came from; None in a direct message.
    guild_id: int | None
    role_ids: frozenset[int] = frozenset()
    is_guild_owner: bool = False

    @classmethod
    def of(
        cls, user_id: int, guild_id: int | None, role_ids: Iterable[int] = (), *, owner: bool = False
    ) -> Actor:
        return cls(user_id, guild_id, frozenset(role_ids), owner)

    def moderates(self, guild: GuildConfig) -> bool:
        """A moderator of ``guild``, acting from inside ``guild``."""
        return self.guild_id == guild.id and is_moderator(
            guild, self.role_ids, is_guild_owner=self.is_guild_owner
        )


def conflicted(case: Case) -> frozenset[int]:
    """The people a case is about, who must never decide it: the reported member, and on an
    appeal the moderator whose action it reviews."""
    return frozenset(i for i in (case.subject_id, case.acted_by) if i is not None)


def require_case_moderator(actor: Actor, case: Case, guild: GuildConfig | None) -> GuildConfig:
    """The case's server config if ``actor`` may act on ``case`` as a moderator; a kind refusal otherwise."""
    if guild is None or case.guild_id != guild.id or actor.guild_id != case.guild_id:
        raise NotFound(CASE_GONE)
    if not actor.moderates(guild):
        raise NotAllowed(MODERATORS_ONLY)
    if case.acted_by is not None and actor.user_id == case.acted_by:
        raise NotAllowed(YOUR_DECISION)
    if actor.user_id in conflicted(case):
        raise NotAllowed(ABOUT_YOU)
    role = guild.reports.escalation_role
    if case.escalated and role is not None and role not in actor.role_ids and not actor.is_guild_owner:
        raise NotAllowed(ESCALATED)
    return guild


def may_hold(case: Case, guild: GuildConfig, user_id: int, role_ids: Iterable[int], *, owner: bool) -> bool:
    """Whether a case may be handed to this person: a moderator it isn't about (escalation rule too)."""
    candidate = Actor.of(user_id, case.guild_id, role_ids, owner=owner)
    try:
        require_case_moderator(candidate, case, guild)
    except (NotAllowed, NotFound):
        return False
    return user_id != case.member_id


def require_case_member(actor: Actor, case: Case) -> None:
    """The member a case is for, acting in the case's server (their thread's buttons)."""
    if actor.guild_id is not None and actor.guild_id != case.guild_id:
        raise NotFound(CASE_GONE)
    if case.member_id is None or actor.user_id != case.member_id:
        raise NotAllowed(NOT_YOURS)


def require_reveal(actor: Actor, guild: GuildConfig) -> None:
    """Only the role the owner chose may see who filed an anonymous report."""
    role = guild.reports.anonymous_visible_to
    if role is None or role not in actor.role_ids:
        raise NotAllowed(_("Only the role the server owner chose can see who filed an anonymous report."))


class Authority:
    """The rule above, bound to the settings (which server config a case belongs to)."""

    def __init__(self, settings: Settings):
        self.settings = settings

    def case_moderator(self, actor: Actor, case: Case) -> GuildConfig:
        return require_case_moderator(actor, case, self.settings.guild(case.guild_id))

    def guild_moderator(self, actor: Actor, guild_id: int) -> GuildConfig:
        """A moderator of ``guild_id`` acting from inside it (no case involved)."""
        guild = self.settings.guild(guild_id)
        if guild is None or not actor.moderates(guild):
            raise NotAllowed(MODERATORS_ONLY)
        return guild
