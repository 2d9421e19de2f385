"""The DM feature's durable work, each kind declared once with its payload (ids and labels:
the words themselves stay sealed in ``direct_messages``)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.infra.jobs import JobKind


@dataclass(frozen=True)
class RelayPayload:
    # The direct_messages row to deliver.
    message: int = 0
    # It was delivered already and has been edited since: show the edit.
    edit: bool = False


@dataclass(frozen=True)
class NotePayload:
    # For the member: a key of the message library; for the thread: a key of Tend's notes.
    message: str = ""
    to: str = "member"


# What the member DMs Tend, posted in the case thread.
DM_RELAY_IN = JobKind("dm.relay_in", RelayPayload)
# What a moderator writes in the case thread, sent to the member by DM.
DM_RELAY_OUT = JobKind("dm.relay_out", RelayPayload)
# Tend's own words about the relay: to the member by DM, or to the team in the case thread.
DM_NOTE = JobKind("dm.note", NotePayload)
