"""A loopback Discord (REST API v10 + gateway) for testing Tend with the real discord.py client.

See README.md in this folder. Entry points::

    from tests.simulator import DiscordSimulator, running_bot
"""

from .actions import CommandNotSynced
from .faults import FailureRule
from .harness import point_discord_at, running_bot
from .interactions import DeadlineMiss, InteractionHandle
from .permissions import DEFAULT_BOT_PERMISSIONS
from .routing import RecordedRequest
from .server import DEFAULT_SPEC_PATH, DiscordSimulator
from .spec import SpecViolation
from .state import Overwrite

__all__ = [
    "DEFAULT_BOT_PERMISSIONS",
    "DEFAULT_SPEC_PATH",
    "CommandNotSynced",
    "DeadlineMiss",
    "DiscordSimulator",
    "FailureRule",
    "InteractionHandle",
    "Overwrite",
    "RecordedRequest",
    "SpecViolation",
    "point_discord_at",
    "running_bot",
]
