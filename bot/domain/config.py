"""Tend's configuration: one TOML file, validated by pydantic, with errors a person can act on.

Settings are built only by :func:`load_settings` (never at import), and handed to the
composition root. The token never lives in the file: it comes from ``DISCORD_TOKEN``.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import time as TimeOfDay
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from bot.domain.guidance import override_problems, signal_problems
from bot.domain.i18n.locales import SUPPORTED, supported

DEFAULT_API_BASE_URL = "https://discord.com/api/v10"
# Discord snowflakes carry a millisecond timestamp in their top bits; anything below
# this is a typo (a count, a port, a truncated id), not an id.
_MIN_SNOWFLAKE = 1 << 22
# Discord's own limits that config text has to fit in.
EMBED_DESCRIPTION_LIMIT = 4096
MESSAGE_LIMIT = 2000
CHOICE_NAME_LIMIT = 100
# Feature names owners can switch per guild; cogs declare which one they belong to.
FEATURES = ("support", "reports", "listening", "distress_watch", "followups", "learning")


class ConfigError(Exception):
    """The configuration cannot be used. ``problems`` holds one line per problem."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


def _snowflake(kind: str) -> Any:
    def check(value: Any) -> Any:
        # Ids are often pasted as strings from Discord's "Copy ID"; accept digits only.
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value.strip())
        if isinstance(value, bool) or not isinstance(value, int) or not (_MIN_SNOWFLAKE <= value < 1 << 64):
            raise ValueError(f"{value!r} is not a {kind} id")
        return value

    return BeforeValidator(check)


GuildId = Annotated[int, _snowflake("server (guild)")]
ChannelId = Annotated[int, _snowflake("channel")]
RoleId = Annotated[int, _snowflake("role")]
UserId = Annotated[int, _snowflake("user")]


def _non_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    return value


def _fits(limit: int) -> Any:
    def check(value: str) -> str:
        if len(value) > limit:
            raise ValueError(f"is {len(value)} characters; Discord allows at most {limit} here")
        return value

    return AfterValidator(check)


def timezone_problem(value: str) -> str | None:
    """What is wrong with ``value`` as a time zone name, or None when it is one."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        return f"{value!r} is not a time zone name (try e.g. 'Europe/Berlin' or 'UTC')"
    return None


def _timezone(value: str) -> str:
    problem = timezone_problem(value)
    if problem:
        raise ValueError(problem)
    return value


Text = Annotated[str, AfterValidator(_non_blank)]
ShortText = Annotated[str, AfterValidator(_non_blank), _fits(CHOICE_NAME_LIMIT)]
LongText = Annotated[str, AfterValidator(_non_blank), _fits(EMBED_DESCRIPTION_LIMIT)]
TimeZoneName = Annotated[str, AfterValidator(_timezone)]
Key = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")]


class _Strict(BaseModel):
    # Unknown keys are errors: a typo in a key must not silently fall back to a default.
    model_config = ConfigDict(extra="forbid", frozen=True)


class BotSettings(_Strict):
    database_url: str | None = None
    data_dir: Path = Path("data")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["text", "json"] = "text"
    api_base_url: str = DEFAULT_API_BASE_URL
    gateway_url: str | None = None
    shard_count: Annotated[int, Field(ge=1)] | None = None
    shard_ids: list[Annotated[int, Field(ge=0)]] | None = None
    command_sync: Literal["auto", "always", "never"] = "auto"
    auto_migrate: bool = False
    owner_ids: list[UserId] = []
    members_intent: bool = True
    # Case transcripts read what is said in case threads; the distress watch, watched channels.
    message_content_intent: bool = True
    # The health and metrics endpoint (/livez, /readyz, /metrics); 0 keeps it off.
    health_port: Annotated[int, Field(ge=0, le=65535)] = 0
    health_host: str = "127.0.0.1"

    @field_validator("api_base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"{value!r} must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("gateway_url")
    @classmethod
    def _ws_url(cls, value: str | None) -> str | None:
        if value and not value.startswith(("ws://", "wss://")):
            raise ValueError(f"{value!r} must start with ws:// or wss://")
        return value or None

    @model_validator(mode="after")
    def _shards_fit(self) -> BotSettings:
        if self.shard_ids is not None:
            if self.shard_count is None:
                raise ValueError("shard_ids needs shard_count too")
            wrong = [i for i in self.shard_ids if i >= self.shard_count]
            if wrong:
                raise ValueError(f"shard_ids {wrong} are not below shard_count {self.shard_count}")
        return self


class Channels(_Strict):
    queue: ChannelId
    support: ChannelId
    escalation: ChannelId | None = None


class Features(_Strict):
    support: bool = True
    reports: bool = True
    listening: bool = True
    distress_watch: bool = False
    followups: bool = True
    learning: bool = True

    def enabled(self) -> list[str]:
        return [name for name in FEATURES if getattr(self, name)]


def _locale_key(value: str) -> str:
    found = supported(value)
    if found is None or found.casefold() != value.replace("_", "-").casefold():
        raise ValueError(f"Tend has no catalogue for {value!r} (it speaks {', '.join(SUPPORTED)})")
    return found


LocaleKey = Annotated[str, AfterValidator(_locale_key)]


class ResourceText(_Strict):
    name: ShortText | None = None
    description: LongText | None = None


class Resource(_Strict):
    topic: Key
    name: ShortText
    description: LongText
    url: str | None = None
    # The owner's own wording per language, e.g. [guilds.resources.locales.es] name = "…".
    locales: dict[LocaleKey, ResourceText] = {}

    def text_in(self, code: str) -> tuple[str, str]:
        """(name, description) in language ``code``, the owner's default where none is given."""
        own = self.locales.get(code)
        return ((own and own.name) or self.name, (own and own.description) or self.description)

    @field_validator("url")
    @classmethod
    def _link(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("https://", "http://")):
            raise ValueError(f"{value!r} is not a web link (it must start with https://)")
        return value


class SupportSettings(_Strict):
    topics: list[ShortText] = [
        "Something happened here",
        "Feeling low",
        "Conflict with someone",
        "Something else",
    ]
    cooldown_minutes: Annotated[int, Field(ge=0, le=10080)] = 10
    nudge_after_minutes: Annotated[int, Field(ge=1, le=10080)] = 30
    silence_after_days: Annotated[int, Field(ge=1, le=90)] = 3
    survey: bool = True
    followup_days: list[Annotated[int, Field(ge=1, le=90)]] = [1, 3, 7, 14]


class DmSettings(_Strict):
    # A member who DMs Tend can reach this server's moderators ("Talk to the moderators" opens
    # a support case; needs features.support).
    enabled: bool = True
    # Offer "Keep talking here in DMs": the case thread and the member's DMs relayed both ways
    # (always used for a member who is timed out). Without bot.message_content_intent,
    # moderators mention Tend in the messages to pass on.
    relay: bool = True


class ListeningSettings(_Strict):
    # Channels the distress watch reads (opt-in; needs features.distress_watch and the
    # message content intent).
    distress_channels: list[ChannelId] = []
    member_cooldown_hours: Annotated[int, Field(ge=1, le=720)] = 12
    channel_cards_per_hour: Annotated[int, Field(ge=1, le=100)] = 3
    # Extra phrases/patterns per distress category, on top of Tend's careful defaults.
    signals: dict[str, Any] = {}
    max_open_per_moderator: Annotated[int, Field(ge=1, le=100)] = 5
    reflection_by_dm: bool = False


OUTCOMES = ("no_violation", "conversation_held", "warning", "timeout", "removal", "other")


class ReportSettings(_Strict):
    burst_limit: Annotated[int, Field(ge=1, le=100)] = 3
    burst_minutes: Annotated[int, Field(ge=1, le=1440)] = 10
    daily_limit: Annotated[int, Field(ge=1, le=1000)] = 10
    anonymous: bool = True
    anonymous_visible_to: RoleId | None = None
    escalation_role: RoleId | None = None
    outcomes: Annotated[list[Literal[OUTCOMES]], Field(min_length=1)] = list(OUTCOMES)  # type: ignore[valid-type]
    followup_days: Annotated[int, Field(ge=1, le=90)] = 3
    min_length: Annotated[int, Field(ge=1, le=1000)] = 10


WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class FollowUpSettings(_Strict):
    # Also DM the member a gentle "How are you doing?" when a follow-up comes due (opt-in).
    member_checkins: bool = False
    # No member DMs between these local times (the guild's time zone); they wait for the morning.
    # Equal times switch quiet hours off.
    quiet_hours_start: TimeOfDay = TimeOfDay(22, 0)
    quiet_hours_end: TimeOfDay = TimeOfDay(8, 0)
    # How many /remind reminders one person may have waiting in this server at once.
    max_pending_reminders: Annotated[int, Field(ge=1, le=1000)] = 25


class OnCallSettings(_Strict):
    # The role pinged in the queue when a case waits unacknowledged; escalation is off without it.
    role: RoleId | None = None
    after_minutes: Annotated[int, Field(ge=1, le=10080)] = 30
    again_after_minutes: Annotated[int, Field(ge=1, le=10080)] = 120

    @model_validator(mode="after")
    def _again_is_later(self) -> OnCallSettings:
        if self.again_after_minutes <= self.after_minutes:
            raise ValueError("again_after_minutes must be longer than after_minutes")
        return self


class DigestSettings(_Strict):
    enabled: bool = True
    # Local day and time (the guild's time zone) of the weekly digest.
    day: Literal[WEEKDAYS] = "monday"  # type: ignore[valid-type]
    time: TimeOfDay = TimeOfDay(9, 0)
    # Where it goes; the queue channel when left out.
    channel: ChannelId | None = None


def _time_ranges(value: Any) -> Any:
    """``"09:00-17:00"`` or ``"09:00-12:00, 13:00-17:00"`` (``""``: not around that day) as
    ``((start, end), ...)``; ``24:00`` may end a range."""
    if isinstance(value, tuple):
        return value
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not a list of times like '09:00-17:00'")
    ranges = []
    for part in (p.strip() for p in value.split(",")):
        if not part:
            continue
        start_text, dash, end_text = part.partition("-")
        if not dash:
            raise ValueError(f"{part!r} is not a range of times like '09:00-17:00'")
        start, end = _clock_time(start_text), _clock_time(end_text)
        if end is not None and start is not None and end <= start:
            raise ValueError(f"{part!r} ends before it starts (a range can't cross midnight; split it)")
        if start is None:
            raise ValueError(f"{part!r}: 24:00 can only end a range")
        ranges.append((start, end or TimeOfDay.max))
    return tuple(sorted(ranges))


def _clock_time(text: str) -> TimeOfDay | None:
    """``HH:MM`` as a time of day; None for 24:00 (the end of the day)."""
    text = text.strip()
    if text == "24:00":
        return None
    try:
        return TimeOfDay.fromisoformat(text) if len(text) in (4, 5) else _bad_time(text)
    except ValueError:
        return _bad_time(text)


def _bad_time(text: str) -> TimeOfDay:
    raise ValueError(f"{text!r} is not a time of day like 09:00")


TimeRanges = Annotated[tuple[tuple[TimeOfDay, TimeOfDay], ...], BeforeValidator(_time_ranges)]


class TeamHours(_Strict):
    """When the team is usually around, per weekday in the guild's time zone. A day left out (or
    ``""``) has no team hours; without the section the team counts as always around."""

    monday: TimeRanges = ()
    tuesday: TimeRanges = ()
    wednesday: TimeRanges = ()
    thursday: TimeRanges = ()
    friday: TimeRanges = ()
    saturday: TimeRanges = ()
    sunday: TimeRanges = ()

    def on(self, weekday: int) -> tuple[tuple[TimeOfDay, TimeOfDay], ...]:
        """The ranges of ``weekday`` (0 = Monday)."""
        ranges: tuple[tuple[TimeOfDay, TimeOfDay], ...] = getattr(self, WEEKDAYS[weekday])
        return ranges

    @model_validator(mode="after")
    def _some_day(self) -> TeamHours:
        if not any(self.on(day) for day in range(7)):
            raise ValueError(
                "no weekday has team hours; leave [guilds.hours] out if the team is always around"
            )
        return self


class AppealSettings(_Strict):
    # Timeouts: DM the member what happened and when it ends, with "Ask for a review" (opt-in;
    # needs the members intent; View Audit Log to say who acted).
    timeouts: bool = False
    # Show the member the reason the moderator gave Discord (from the audit log).
    show_reason: bool = False
    # Kicks and bans: a second server where Tend runs (also in this file) that offers /appeal.
    appeals_server: GuildId | None = None


class PauseSettings(_Strict):
    # The longest pause a moderator may set, in days.
    max_days: Annotated[int, Field(ge=1, le=365)] = 90


class PrivacySettings(_Strict):
    # Closed cases older than this lose their text and the member ids moderation doesn't need.
    retention_days: Annotated[int, Field(ge=7, le=3650)] = 365


def _team_language(value: str) -> str:
    found = supported(value)
    if found is None:
        raise ValueError(f"Tend has no catalogue for {value!r} (it speaks {', '.join(SUPPORTED)})")
    return found


TeamLanguage = Annotated[str, AfterValidator(_team_language)]

RULE_CATEGORIES = ("general", "harassment", "microaggression", "hate", "safety", "spam", "privacy", "conduct")


class RuleText(_Strict):
    title: ShortText | None = None
    text: LongText | None = None


class Rule(_Strict):
    id: Key
    title: ShortText
    text: LongText
    category: Literal[RULE_CATEGORIES] = "general"  # type: ignore[valid-type]
    # The owner's own wording per language, e.g. [guilds.rules.locales.es] title = "…".
    locales: dict[LocaleKey, RuleText] = {}

    def text_in(self, code: str) -> tuple[str, str]:
        """(title, text) in language ``code``, the owner's default where none is given."""
        own = self.locales.get(code)
        return ((own and own.title) or self.title, (own and own.text) or self.text)


class GuildConfig(_Strict):
    id: GuildId
    name: str | None = None
    moderator_roles: Annotated[list[RoleId], Field(min_length=1)]
    timezone: TimeZoneName = "UTC"
    channels: Channels
    features: Features = Features()
    support: SupportSettings = SupportSettings()
    dms: DmSettings = DmSettings()
    reports: ReportSettings = ReportSettings()
    listening: ListeningSettings = ListeningSettings()
    followups: FollowUpSettings = FollowUpSettings()
    oncall: OnCallSettings = OnCallSettings()
    digest: DigestSettings = DigestSettings()
    privacy: PrivacySettings = PrivacySettings()
    hours: TeamHours | None = None
    appeals: AppealSettings = AppealSettings()
    pauses: PauseSettings = PauseSettings()
    resources: list[Resource] = []
    rules: list[Rule] = []
    # The moderators' shared language: queue cards, guidance and team notices (members each get theirs).
    language: TeamLanguage = "en"
    # Overrides of the prompt library (bot/domain/guidance/defaults.toml), checked after parsing.
    prompts: dict[str, Any] = {}
    messages: dict[str, Any] = {}

    @model_validator(mode="after")
    def _unique_keys(self) -> GuildConfig:
        _require_unique("resources", "topic", [r.topic for r in self.resources])
        _require_unique("rules", "id", [r.id for r in self.rules])
        return self

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def rule(self, rule_id: str) -> Rule | None:
        return next((r for r in self.rules if r.id == rule_id), None)

    def resource(self, topic: str) -> Resource | None:
        return next((r for r in self.resources if r.topic == topic), None)


def _require_unique(section: str, key: str, values: Iterable[Any]) -> None:
    seen: set[Any] = set()
    for value in values:
        if value in seen:
            raise ValueError(f"{section}: two entries share {key} {value!r}")
        seen.add(value)


class Settings(_Strict):
    bot: BotSettings = BotSettings()
    guilds: Annotated[list[GuildConfig], Field(min_length=1)]
    # Filled from the environment, never from the file.
    token: str | None = Field(default=None, exclude=True)

    @model_validator(mode="after")
    def _unique_guilds(self) -> Settings:
        _require_unique("guilds", "id", [g.id for g in self.guilds])
        ids = {g.id for g in self.guilds}
        for index, guild in enumerate(self.guilds):
            server = guild.appeals.appeals_server
            if server is not None and (server not in ids or server == guild.id):
                raise ValueError(
                    f"guilds[{index}].appeals.appeals_server: {server} must be another server in this file "
                    "(Tend runs there and offers /appeal)"
                )
        return self

    def appealed_from(self, appeals_server: int | None) -> list[GuildConfig]:
        """The servers whose members removed from them may /appeal in ``appeals_server``."""
        return [
            g
            for g in self.guilds
            if appeals_server is not None and g.appeals.appeals_server == appeals_server
        ]

    def guild(self, guild_id: int | None) -> GuildConfig | None:
        return next((g for g in self.guilds if g.id == guild_id), None)

    @property
    def database_url(self) -> str:
        if self.bot.database_url:
            return self.bot.database_url
        return f"sqlite+aiosqlite:///{(self.bot.data_dir / 'tend.db').as_posix()}"


@dataclass(frozen=True)
class LoadedConfig:
    settings: Settings
    path: Path


def _location(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif isinstance(part, str) and not part.startswith(("function-", "literal[")):
            out += f".{part}" if out else part
    return out or "(top level)"


def _explain(error: Any) -> str:
    kind = error["type"]
    value = error.get("input")
    if kind == "missing":
        return "is required but missing"
    if kind == "extra_forbidden":
        return "is not a known key (check its spelling and the section it is in)"
    if kind == "value_error":
        return str(error["ctx"]["error"])
    if kind == "literal_error":
        return f"{value!r} is not one of {error['ctx']['expected']}"
    if kind == "string_pattern_mismatch":
        return f"{value!r} must be a short lowercase key: letters, digits, '-' or '_'"
    if kind.endswith("_type") or kind.endswith("_parsing"):
        wanted = kind.removesuffix("_type").removesuffix("_parsing").replace("_", " ")
        return f"{value!r} is not a valid {wanted}"
    return f"{error['msg']} (got {value!r})"


def _format_errors(exc: ValidationError) -> list[str]:
    problems = []
    for error in exc.errors():
        loc = tuple(p for p in error["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        problems.append(f"{_location(loc)}: {_explain(error)}")
    return problems


def parse_settings(data: dict[str, Any], environ: dict[str, str] | None = None) -> Settings:
    """Validate an already-parsed TOML document, applying ``DISCORD_TOKEN`` and ``DATABASE_URL``."""
    env = os.environ if environ is None else environ
    try:
        settings = Settings.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_format_errors(exc)) from None
    guidance_problems = [
        f"guilds[{index}].{problem}"
        for index, guild in enumerate(settings.guilds)
        for problem in override_problems(guild.prompts, guild.messages, [r.id for r in guild.rules])
    ] + [
        f"guilds[{index}].listening.signals.{problem}"
        for index, guild in enumerate(settings.guilds)
        for problem in signal_problems(guild.listening.signals)
    ]
    if guidance_problems:
        raise ConfigError(guidance_problems)
    updates: dict[str, Any] = {"token": env.get("DISCORD_TOKEN") or None}
    bot_updates = _bot_environment(env)
    if bot_updates:
        updates["bot"] = settings.bot.model_copy(update=bot_updates)
    return settings.model_copy(update=updates)


def _bot_environment(env: Mapping[str, str]) -> dict[str, Any]:
    """``[bot]`` keys the environment overrides: DATABASE_URL, TEND_HEALTH_PORT, TEND_HEALTH_HOST."""
    updates: dict[str, Any] = {}
    if env.get("DATABASE_URL"):
        updates["database_url"] = env["DATABASE_URL"]
    port = env.get("TEND_HEALTH_PORT", "").strip()
    if port:
        if not port.isdigit() or int(port) > 65535:
            raise ConfigError(
                [f"TEND_HEALTH_PORT: {port!r} is not a port number (0-65535; 0 switches it off)"]
            )
        updates["health_port"] = int(port)
    if env.get("TEND_HEALTH_HOST", "").strip():
        updates["health_host"] = env["TEND_HEALTH_HOST"].strip()
    return updates


def load_settings(path: str | os.PathLike[str], environ: dict[str, str] | None = None) -> Settings:
    """Read and validate the TOML file at ``path``. Raises :class:`ConfigError` with every problem."""
    file = Path(path)
    try:
        raw = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([f"{file}: no such file (copy config.example.toml to start one)"]) from None
    except OSError as exc:
        raise ConfigError([f"{file}: cannot be read ({exc.strerror})"]) from None
    try:
        data = tomllib.loads(raw)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"{file}: not valid TOML: {exc}"]) from None
    return parse_settings(data, environ)
