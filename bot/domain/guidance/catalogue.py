"""What Tend's default guidance contains: the known keys, the models, and loading ``defaults.toml``.

Kept free of ``discord`` so the text can be tested (and read) as plain data.
"""

from __future__ import annotations

import functools
import re
import string
import tomllib
from importlib import resources
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

# Discord's limits, and Tend's own where it needs room for what it adds around the text.
TITLE_LIMIT = 100  # embed field names, select option labels
FIELD_LIMIT = 1024  # embed field values
MESSAGE_TEXT_LIMIT = 1800  # a message is 2000; leave room for a late-apology prefix or a link
RENDERED_PROMPT_LIMIT = 4000  # embed description is 4096
MESSAGE_LIMIT = 2000  # a message's content

# The longest value each placeholder realistically takes, to check texts once filled.
LONGEST_VALUES: dict[str, str] = {
    "member": "<@18446744073709551615>",
    "moderator": "<@18446744073709551615>",
    "server": "S" * 100,  # Discord's longest server name
    "thread": "<#18446744073709551615>",
    "minutes": "10080",
    "reference": "R-999999",
}

RULE_CATEGORIES: tuple[str, ...] = (
    "general",
    "harassment",
    "microaggression",
    "hate",
    "safety",
    "spam",
    "privacy",
    "conduct",
)
DISTRESS_CATEGORIES: tuple[str, ...] = ("crisis", "overwhelmed", "grief", "isolation", "hostility")

SITUATIONS: tuple[str, ...] = (
    "first_reply",
    *(f"report.{category}" for category in RULE_CATEGORIES),
    "report.reporter",
    "report.reported_member",
    *(f"distress.{category}" for category in DISTRESS_CATEGORIES),
    "listening",
    "closing",
    "dismissing",
    "checkin",
    "handoff",
    "moderator_break",
    "appeal",
)
# Owners may give one rule its own guidance under this prefix, e.g. ``report.rule.no-slurs``.
RULE_SITUATION_PREFIX = "report.rule."
FALLBACK_SITUATION = "listening"

LEARNING_TOPICS: tuple[str, ...] = (
    "active_listening",
    "empathy_compassion",
    "microaggressions",
    "privilege",
    "oppression",
    "de_escalation",
    "code_of_conduct",
    "self_care",
)

_OUTCOME = frozenset({"reference"})
# Every message Tend sends from this library, and the only placeholders each one can fill.
MESSAGE_PLACEHOLDERS: dict[str, frozenset[str]] = {
    "support_welcome": frozenset({"member", "server"}),
    "support_welcome_reached_out": frozenset({"member", "server", "moderator"}),
    "support_privacy": frozenset(),
    "support_received": frozenset({"thread"}),
    "support_already_open": frozenset({"thread"}),
    "support_cooldown": frozenset({"minutes"}),
    "support_thread_failed": frozenset(),
    "support_closed_by_member": frozenset(),
    "support_closed_by_moderator": frozenset(),
    "survey_question": frozenset(),
    "survey_thanks": frozenset(),
    "silence_question": frozenset(),
    "report_receipt": _OUTCOME,
    "report_acknowledged": _OUTCOME,
    "outcome.no_violation": _OUTCOME,
    "outcome.conversation_held": _OUTCOME,
    "outcome.warning": _OUTCOME,
    "outcome.timeout": _OUTCOME,
    "outcome.removal": _OUTCOME,
    "outcome.other": _OUTCOME,
    "outcome.dismissed": _OUTCOME,
    "checkin_dm": frozenset({"server"}),
    "checkin_reporter_dm": frozenset({"server", "reference"}),
    "checkin_ok_reply": frozenset(),
    "checkin_talk_reply": frozenset(),
    "checkin_reporter_talk_reply": frozenset({"server"}),
    "checkin_stop_reply": frozenset(),
    "late_apology": frozenset(),
    "dm_welcome": frozenset({"server"}),
    "dm_welcome_pick": frozenset(),
    "dm_more_kept": frozenset(),
    "dm_relay_offer": frozenset(),
    "dm_not_saved": frozenset(),
    "dm_no_server": frozenset(),
    "dm_discord_trouble": frozenset(),
    "dm_picked": frozenset({"server"}),
    "dm_case_opened": frozenset({"server", "thread"}),
    "dm_case_pending": frozenset({"server"}),
    "dm_added_to_case": frozenset({"server", "thread"}),
    "dm_relay_started": frozenset({"server", "reference"}),
    "dm_relay_opened": frozenset({"server"}),
    "dm_relay_timed_out": frozenset({"server"}),
    "dm_relay_ended": frozenset({"server"}),
    "dm_relay_case_closed": frozenset({"server", "reference"}),
    "dm_relay_from_team": frozenset({"server"}),
    "dm_relay_not_delivered": frozenset({"server"}),
    "dm_not_member": frozenset(),
    "dm_not_yours": frozenset(),
    "dm_already_open": frozenset({"server", "thread"}),
    "dm_server_off": frozenset(),
    "dm_no_relay": frozenset(),
    "paused_refusal": frozenset({"until"}),
    "pause_ended_dm": frozenset({"server"}),
    "out_of_hours": frozenset({"back"}),
    "appeal_timeout_dm": frozenset({"server", "until"}),
    "appeal_reason_line": frozenset({"reason"}),
    "appeal_received": frozenset({"reference"}),
    "appeal_upheld": frozenset({"reference", "server"}),
    "appeal_shortened": frozenset({"reference", "server", "until"}),
    "appeal_lifted": frozenset({"reference", "server"}),
    "appeal_lifted_ban": frozenset({"reference", "server"}),
}
MESSAGE_KEYS: tuple[str, ...] = tuple(MESSAGE_PLACEHOLDERS)

PROMPT_FIELDS: tuple[str, ...] = ("title", "intro", "phrasings", "question", "avoid", "next_action")
PROMPT_LIST_FIELDS = frozenset({"phrasings", "avoid"})
PROMPT_LIST_MAX_ITEMS = 6
NEW_PROMPT_REQUIRED: tuple[str, ...] = ("title", "intro", "next_action")


def _non_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    return value.strip()


def _fits(limit: int) -> AfterValidator:
    def check(value: str) -> str:
        if len(value) > limit:
            raise ValueError(f"is {len(value)} characters; at most {limit} fit here")
        return value

    return AfterValidator(check)


Title = Annotated[str, AfterValidator(_non_blank), _fits(TITLE_LIMIT)]
Line = Annotated[str, AfterValidator(_non_blank), _fits(FIELD_LIMIT)]
Lines = Annotated[list[Line], Field(min_length=1, max_length=PROMPT_LIST_MAX_ITEMS)]
MessageText = Annotated[str, AfterValidator(_non_blank), _fits(MESSAGE_TEXT_LIMIT)]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Prompt(_Frozen):
    """Guidance for a moderator at one moment of a case. Never shown to the member."""

    title: Title
    intro: Line
    phrasings: Lines
    question: Line
    avoid: Lines
    next_action: Line


class PromptOverride(_Frozen):
    """An owner's change to one prompt; the fields given replace the default's."""

    title: Title | None = None
    intro: Line | None = None
    phrasings: Lines | None = None
    question: Line | None = None
    avoid: Lines | None = None
    next_action: Line | None = None

    def changes(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True)


class LearningTopic(_Frozen):
    """A short learning prompt for ``/learn`` and the weekly digest."""

    title: Title
    summary: Line
    in_community: Line
    try_this: Lines
    reflect: Line
    read_more: list[Line] = []


class Defaults(_Frozen):
    """Everything in ``defaults.toml``, validated; keys of ``prompts``/``messages`` are dotted."""

    prompts: dict[str, Prompt]
    reflection_questions: Annotated[list[Line], Field(min_length=3)]
    learning: dict[str, LearningTopic]
    messages: dict[str, MessageText]

    @model_validator(mode="after")
    def _complete(self) -> Defaults:
        _same_keys("prompts", self.prompts, SITUATIONS)
        _same_keys("learning", self.learning, LEARNING_TOPICS)
        _same_keys("messages", self.messages, MESSAGE_KEYS)
        for key, text in self.messages.items():
            unfillable = set(placeholders(text)) - MESSAGE_PLACEHOLDERS[key]
            if unfillable:
                raise ValueError(f"messages.{key} uses placeholders it can't fill: {sorted(unfillable)}")
        return self


def _same_keys(section: str, found: dict[str, Any], expected: tuple[str, ...]) -> None:
    missing = set(expected) - set(found)
    extra = set(found) - set(expected)
    if missing or extra:
        raise ValueError(f"{section}: missing {sorted(missing)}, unexpected {sorted(extra)}")


def placeholders(template: str) -> list[str]:
    """The ``{fields}`` in ``template`` as written (``{minutes:>3}`` gives ``minutes:>3``).

    Raises ``ValueError`` when a brace is unmatched.
    """
    fields = []
    for _literal, name, spec, conversion in string.Formatter().parse(template):
        if name is None:
            continue
        written = name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "")
        fields.append(written)
    return fields


def fill_longest(template: str) -> str:
    """``template`` filled with :data:`LONGEST_VALUES` (an unknown placeholder stays as written)."""

    class _Longest(dict[str, str]):
        def __missing__(self, key: str) -> str:
            return "{" + key + "}"

    try:
        return template.format_map(_Longest(LONGEST_VALUES))
    except (ValueError, IndexError, AttributeError):
        return template


def flatten_tables(table: dict[str, Any], is_leaf: Any, prefix: str = "") -> dict[str, Any]:
    """``{"report": {"spam": {...}}}`` as ``{"report.spam": {...}}``, stopping where ``is_leaf`` says."""
    flat: dict[str, Any] = {}
    for key, value in table.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict) and not is_leaf(value):
            flat.update(flatten_tables(value, is_leaf, dotted + "."))
        else:
            flat[dotted] = value
    return flat


def is_prompt_table(value: dict[str, Any]) -> bool:
    """A table is one prompt (not a group like ``report``) if it has a prompt field or a non-table value."""
    return not value or any(k in PROMPT_FIELDS or not isinstance(v, dict) for k, v in value.items())


def is_message_leaf(value: Any) -> bool:
    return not isinstance(value, dict)


@functools.cache
def load_defaults() -> Defaults:
    """Tend's default guidance, read from the packaged ``defaults.toml`` once and validated."""
    source = resources.files("bot.domain.guidance").joinpath("defaults.toml").read_text(encoding="utf-8")
    raw = tomllib.loads(source)
    return Defaults(
        prompts=flatten_tables(raw["prompts"], is_prompt_table),
        reflection_questions=raw["reflection"]["questions"],
        learning=raw["learning"],
        messages=flatten_tables(raw["messages"], is_message_leaf),
    )


def full_prompt_text(prompt: Prompt) -> str:
    """The Markdown rendering of ``prompt`` before any fitting to Discord's limit."""
    parts = [prompt.intro, "", "**Try saying**"]
    parts.extend(f"• {line}" for line in prompt.phrasings)
    parts.append(f"**Ask:** {prompt.question}")
    parts.append("**Avoid**")
    parts.extend(f"• {line}" for line in prompt.avoid)
    parts.append(f"**Next:** {prompt.next_action}")
    return "\n".join(parts)


BRIEF_WORDS = 80  # what a moderator reads at a glance; the rest is behind "More"


def brief_prompt_text(prompt: Prompt) -> str:
    """The prompt at a glance (about 80 words): the intro's first sentence where it fits, one
    thing to say, one open question, the next action. The rest is behind **More**."""
    core = [
        f"**Try saying:** {prompt.phrasings[0]}",
        f"**Ask:** {prompt.question}",
        f"**Next:** {prompt.next_action}",
    ]
    lead = _FIRST_SENTENCE.match(prompt.intro)
    with_lead = "\n".join([lead.group(0).strip() if lead else prompt.intro, *core])
    return with_lead if len(with_lead.split()) <= BRIEF_WORDS else "\n".join(core)


_FIRST_SENTENCE = re.compile(r".+?[.!?](?=\s|$)")


def render_prompt_text(prompt: Prompt) -> str:
    """A compact Markdown rendering of ``prompt`` for an embed description (at most 4000 characters)."""
    text = full_prompt_text(prompt)
    if len(text) <= RENDERED_PROMPT_LIMIT:
        return text
    # Validation keeps owner text inside the limit; if it ever isn't, keep the next step visible.
    tail = f"\n**Next:** {prompt.next_action}"
    return text[: RENDERED_PROMPT_LIMIT - len(tail) - 1].rstrip() + "…" + tail
