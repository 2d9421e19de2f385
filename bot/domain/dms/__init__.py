"""Members who DM Tend: their words kept from the moment they arrive, a support case opened
from them, and the relay between a case thread and the member's DMs."""

from .kinds import DM_NOTE, DM_RELAY_IN, DM_RELAY_OUT, NotePayload, RelayPayload
from .relay import DmRelays, NoRelay
from .service import DM_TOPIC, DmService, Kept, TooMuchWaiting

__all__ = [
    "DM_NOTE",
    "DM_RELAY_IN",
    "DM_RELAY_OUT",
    "DM_TOPIC",
    "DmRelays",
    "DmService",
    "Kept",
    "NoRelay",
    "NotePayload",
    "RelayPayload",
    "TooMuchWaiting",
]
