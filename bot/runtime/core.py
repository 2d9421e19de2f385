"""The bot itself: an AutoShardedBot that is handed everything it needs by the composition root."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from typing import Any

import discord
import yarl
from discord import app_commands
from discord.ext import commands

from bot import __version__ as tend_version
from bot.domain.config import BotSettings, GuildConfig, Settings
from bot.domain.errors import MODERATORS_ONLY, NotAllowed, NotConfigured
from bot.domain.guidance import DistressSignals, PromptLibrary, load_signals
from bot.domain.i18n import Text, _
from bot.domain.permissions import is_moderator
from bot.domain.services import Services
from bot.runtime.commands_i18n import CatalogueTranslator
from bot.runtime.language import remember_locale
from bot.runtime.members import RecentMembers, remember_interaction
from bot.runtime.metrics import BotMetrics
from bot.runtime.modals import ModalRouter
from bot.runtime.queue import KindRegistry
from bot.runtime.replies import reply_private, report_error
from bot.runtime.sync import sync_commands
from bot.runtime.ui import actor_of

log = logging.getLogger(__name__)

NOT_SET_UP = _("Tend isn't set up for this server yet. A server owner can add it to Tend's config file.")
SWITCHED_OFF = _("That part of Tend is switched off on this server.")
# Where to get fresh buttons, by the first part of an old custom_id.
FRESH_BUTTONS = {"privacy": _("run `/privacy` again"), "reflections": _("run `/reflections` again")}
ELSEWHERE = _("run the command again, or use the buttons on a newer message")


def stale_component_text(interaction: discord.Interaction[Any]) -> Text:
    data: dict[str, Any] = interaction.data or {}  # type: ignore[assignment]
    prefix = str(data.get("custom_id", "")).split(":", 1)[0]
    what = FRESH_BUTTONS.get(prefix, ELSEWHERE)
    return _(
        "That button is from before I restarted or has expired, so it does nothing now: {what}.", what=what
    )


def configure_discord_endpoints(bot_settings: BotSettings) -> None:
    """Point discord.py at the configured REST base and gateway (a proxy, or the test simulator).

    Both are process-wide in discord.py. The gateway URL matters even with a REST proxy:
    after a non-resumable session discord.py reconnects to its built-in default.
    """
    discord.http.Route.BASE = bot_settings.api_base_url
    if bot_settings.gateway_url:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(bot_settings.gateway_url)


def build_intents(bot_settings: BotSettings) -> discord.Intents:
    """The fewest intents Tend needs; README explains each one."""
    intents = discord.Intents.none()
    intents.guilds = True  # channels, threads and roles of configured servers
    intents.guild_messages = True  # a moderator's first reply in a support thread
    intents.dm_messages = True  # members who DM Tend (not privileged; Discord sends DM content)
    intents.members = bot_settings.members_intent  # a member leaving while a case is open (privileged)
    # Case transcripts, the distress watch, and moderators' words relayed to a member's DMs (privileged).
    intents.message_content = bot_settings.message_content_intent
    return intents


def feature_of(command: Any) -> str | None:
    extras = getattr(command, "extras", None) or {}
    return extras.get("feature")


class TendTree(app_commands.CommandTree["TendBot"]):
    """Checks every command against the server's config and answers every failure kindly."""

    async def interaction_check(self, interaction: discord.Interaction[TendBot]) -> bool:
        guild = self.client.settings.guild(interaction.guild_id)
        autocomplete = interaction.type is discord.InteractionType.autocomplete
        command = interaction.command
        feature = feature_of(command)
        problem: Text | None = None
        if guild is None:
            problem = NOT_SET_UP
        elif feature is not None and not getattr(guild.features, feature):
            problem = SWITCHED_OFF
        if problem is None:
            return True
        if autocomplete:
            return False
        raise app_commands.CheckFailure(problem)

    async def on_error(
        self, interaction: discord.Interaction[TendBot], error: app_commands.AppCommandError
    ) -> None:
        name = interaction.command.qualified_name if interaction.command else "an unknown command"
        await report_error(interaction, error, where=f"/{name}")


class TendBot(commands.AutoShardedBot):
    """Tend's Discord client. Built only by the composition root (``bot.app``) or by tests."""

    def __init__(
        self,
        *,
        settings: Settings,
        services: Services,
        extensions: Sequence[str],
        guild_ready_timeout: float = 2.0,
    ):
        bot_settings = settings.bot
        configure_discord_endpoints(bot_settings)
        # Per bot, not global: two bots in one process (tests) keep their own numbers.
        metrics = BotMetrics(version=tend_version)
        super().__init__(
            http_trace=metrics.http_trace(),
            command_prefix=commands.when_mentioned,
            help_command=None,
            intents=build_intents(bot_settings),
            tree_cls=TendTree,
            # Nothing Tend sends pings anyone unless a message opts one person in.
            allowed_mentions=discord.AllowedMentions.none(),
            shard_count=bot_settings.shard_count,
            shard_ids=bot_settings.shard_ids,  # type: ignore[arg-type]  # None means "all", as discord.py's default
            # Members are fetched when a case needs them; no gateway-wide chunking at start, and
            # no cache of every member who joins: memory doesn't grow with the community
            # (bot/runtime/members.py keeps the ones Tend meets).
            chunk_guilds_at_startup=False,
            member_cache_flags=discord.MemberCacheFlags.none(),
            enable_debug_events=False,
            guild_ready_timeout=guild_ready_timeout,
        )
        self.settings = settings
        self.services = services
        # The features to load, chosen by the composition root (the runtime never imports a cog).
        self.feature_extensions = tuple(extensions)
        self.db = services.db
        self.recent_members = RecentMembers()
        self.jobs = services.jobs
        self.cases = services.cases
        self.reports = services.reports
        self.distress = services.distress
        self.reflections = services.reflections
        self.followups = services.followups
        self.privacy = services.privacy
        self.dms = services.dms
        self.pauses = services.pauses
        self.appeals = services.appeals
        self.records = services.records
        self.started_monotonic = time.monotonic()
        # In memory, safe to lose: each guild's prompt library and compiled distress signals,
        # rebuilt from the config on use; the kinds of case, registered by the features at load.
        self._libraries: dict[int, PromptLibrary] = {}
        self._signals: dict[int, DistressSignals] = {}
        self.kinds = KindRegistry()
        self._background: set[asyncio.Task[None]] = set()
        self.modals = ModalRouter()
        self.metrics = metrics
        metrics.instrument(self)
        self._hear_member_updates()

    def _hear_member_updates(self) -> None:
        """Hand every GUILD_MEMBER_UPDATE to listeners as ``on_tend_member_update(data)``.

        Without the member cache (memory stays flat, see members.py) discord.py drops member
        updates for members it hasn't cached, so a timeout set in Discord's own UI would go
        unheard. The raw payload carries all Tend needs (guild, user, communication_disabled_until).
        """
        parsers = self._connection.parsers
        original = parsers["GUILD_MEMBER_UPDATE"]

        def member_update(data: Any) -> None:
            self.dispatch("tend_member_update", data)
            original(data)

        parsers["GUILD_MEMBER_UPDATE"] = member_update

    # -- lifecycle -----------------------------------------------------------------------

    async def setup_hook(self) -> None:
        # Command names and descriptions in each member's language (bot/runtime/commands_i18n.py).
        await self.tree.set_translator(CatalogueTranslator())
        for extension in self.feature_extensions:
            await self.load_extension(extension)
        await sync_commands(self)

    async def launch_shards(self) -> None:
        # A plain AutoShardedBot without shard_count asks GET /gateway/bot and then connects to
        # the URL Discord returns. Behind a gateway proxy we take only the shard count from it.
        if self.shard_count is None and self.settings.bot.gateway_url:
            self.shard_count, _url, _limits = await self.http.get_bot_gateway()
        await super().launch_shards()

    async def on_ready(self) -> None:
        log.info("connected as %s with shards %s", self.user, list(self.shards))
        # Scheduled work needs Discord, so it starts once the gateway is ready (once: on_ready
        # fires again after reconnects, and start() is idempotent).
        await self.jobs.start()

    async def on_raw_member_remove(self, payload: discord.RawMemberRemoveEvent) -> None:
        self.recent_members.forget(payload.guild_id, payload.user.id)

    async def on_interaction(self, interaction: discord.Interaction[TendBot]) -> None:
        remember_interaction(self.recent_members, interaction)
        # Stored beside the answer, never before it: a slow database must not hold up a reply.
        task = asyncio.create_task(remember_locale(self, interaction))
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        if interaction.type is discord.InteractionType.modal_submit:
            await self.modals.dispatch(self, interaction)
        elif interaction.type is discord.InteractionType.component and not self.knows_component(interaction):
            # discord.py drops a component nothing handles; Discord would show "This interaction
            # failed". Nobody meets silence: say what happened and what to do.
            await reply_private(interaction, stale_component_text(interaction))

    def knows_component(self, interaction: discord.Interaction[Any]) -> bool:
        """Whether a registered DynamicItem or a live view will answer this component."""
        data: dict[str, Any] = interaction.data or {}  # type: ignore[assignment]
        custom_id, kind = str(data.get("custom_id", "")), int(data.get("component_type", 0))
        store = self._connection._view_store
        if any(pattern.fullmatch(custom_id) for pattern in store._dynamic_items):
            return True
        message_id = interaction.message.id if interaction.message else None
        return any((kind, custom_id) in store._views.get(key, {}) for key in (message_id, None))

    async def close(self) -> None:
        self.jobs.stop()
        await self.jobs.wait_idle()
        # Until none is left: one that finishes may have been joined by another meanwhile (a
        # language gathering for its write, an interaction that arrived while stopping).
        while self._background:
            await asyncio.gather(*list(self._background), return_exceptions=True)
        await super().close()

    # -- helpers every feature uses --------------------------------------------------------

    def guild_config(self, guild_id: int | None) -> GuildConfig:
        guild = self.settings.guild(guild_id)
        if guild is None:
            raise NotConfigured(NOT_SET_UP)
        return guild

    def prompts(self, guild_id: int | None) -> PromptLibrary:
        """The guild's prompt library: Tend's defaults with the owner's overrides."""
        key = guild_id or 0
        if key not in self._libraries:
            guild = self.settings.guild(guild_id)
            self._libraries[key] = PromptLibrary.for_guild(
                guild.prompts if guild else None,
                guild.messages if guild else None,
                team=guild.language if guild else "en",
            )
        return self._libraries[key]

    def signals(self, guild_id: int) -> DistressSignals:
        """The guild's distress signals: Tend's careful defaults with the owner's additions."""
        if guild_id not in self._signals:
            guild = self.settings.guild(guild_id)
            self._signals[guild_id] = load_signals((guild.listening.signals if guild else None) or None)
        return self._signals[guild_id]

    def handles_guild(self, guild_id: int) -> bool:
        """Whether this process holds the shard of ``guild_id`` (Discord's sharding formula)."""
        count = self.shard_count or 1
        shard = (guild_id >> 22) % count
        ids = self.shard_ids
        return shard in ids if ids is not None else True

    def is_moderator_of(self, guild: GuildConfig, user_id: int, role_ids: list[int]) -> bool:
        discord_guild = self.get_guild(guild.id)
        owner = discord_guild is not None and discord_guild.owner_id == user_id
        return is_moderator(guild, role_ids, is_guild_owner=owner)

    def require_moderator(self, interaction: discord.Interaction[Any]) -> GuildConfig:
        """The guild config if the person is a moderator of the server they act in (commands
        with no case; case actions ask the authority rule against the case instead)."""
        guild = self.guild_config(interaction.guild_id)
        if not actor_of(interaction).moderates(guild):
            raise NotAllowed(MODERATORS_ONLY)
        return guild

    async def on_interaction_error(
        self, interaction: discord.Interaction[Any], error: Exception, where: str
    ) -> None:
        await report_error(interaction, error, where=where)

    def persistent_items(self) -> list[type[discord.ui.DynamicItem[Any]]]:
        """Every DynamicItem class registered (buttons and selects that answer after a restart)."""
        return list(self._connection._view_store._dynamic_items.values())

    @property
    def uptime_seconds(self) -> float:
        return time.monotonic() - self.started_monotonic
