"""Who may be named to whom. Every text Tend writes about a case names its people through here.

The rule: a reporter's identity is never shown to the reported member, and an anonymous
reporter's identity is not shown to the team either (only the reveal role sees it, through
**Reveal reporter**, which is audited). A text for the team that the reported member could
read (a card or notice in a channel they can see) is treated as read by them. When Tend
can't name the reporter, it says "the reporter" and acts on their behalf (an anonymous
reporter's check-in is sent by Tend itself).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from models import Case


class Audience(Enum):
    TEAM = "team"  # moderators: the queue, cards, notes threads, reminders, digests
    REPORTED = "reported"  # the member a report is about
    REPORTER = "reporter"  # the member who filed a report
    MEMBER = "member"  # the member a support request or distress notice is for


@dataclass(frozen=True)
class Readers:
    """Who will be able to read a text: its audience, and anyone else known to see where it goes."""

    audience: Audience
    also: frozenset[int] = frozenset()

    @classmethod
    def team(cls, also: Iterable[int] = ()) -> Readers:
        return cls(Audience.TEAM, frozenset(also))


TEAM = Readers.team()


def unchecked(case: Case | None) -> Readers:
    """For a notice composed before Tend knows where it will be read: assume the reported member
    may read it, so it never names a reporter."""
    if case is None or case.subject_id is None:
        return TEAM
    return Readers.team({case.subject_id})


def is_reporter(case: Case | None, user_id: int | None) -> bool:
    return case is not None and case.kind == "report" and user_id is not None and user_id == case.member_id


def reporter_hidden(case: Case, readers: Readers) -> bool:
    """Whether the reporter of ``case`` must not be named to ``readers``."""
    if case.kind != "report" or readers.audience is Audience.REPORTER:
        return False
    if readers.audience is not Audience.TEAM:
        return True
    return case.anonymous or (case.subject_id is not None and case.subject_id in readers.also)


def name(case: Case | None, user_id: int | None, readers: Readers, *, unknown: str = "the member") -> str:
    """How a text for ``readers`` refers to ``user_id`` in the context of ``case``: a mention, or
    "the reporter" when the disclosure rule forbids naming them."""
    if user_id is None:
        return unknown
    if case is not None and is_reporter(case, user_id) and reporter_hidden(case, readers):
        return "the reporter"
    return f"<@{user_id}>"


def announce_departure(case: Case, user_id: int) -> bool:
    """Whether the team is told that this person left: never for a report's reporter, since
    "the member of R-0001 has left" tells who filed it."""
    return not is_reporter(case, user_id)


def tend_checks_in_for(case: Case | None, member_id: int | None) -> bool:
    """An anonymous reporter can't be reached by the moderator who doesn't know them: Tend sends
    the check-in itself, on their behalf, whatever the server's member check-in setting."""
    return case is not None and case.anonymous and is_reporter(case, member_id)
