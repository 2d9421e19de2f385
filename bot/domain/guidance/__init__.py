"""Tend's words: moderator prompts, member messages, reflection and learning, distress signals.

Pure Python (no ``discord``); the text itself lives in ``defaults.toml`` and ``signals.toml``.
"""

from bot.domain.guidance.catalogue import (
    DISTRESS_CATEGORIES,
    LEARNING_TOPICS,
    MESSAGE_KEYS,
    MESSAGE_PLACEHOLDERS,
    RULE_CATEGORIES,
    SITUATIONS,
    Defaults,
    LearningTopic,
    Prompt,
    PromptOverride,
    brief_prompt_text,
    load_defaults,
    render_prompt_text,
)
from bot.domain.guidance.library import MissingPlaceholder, PromptLibrary
from bot.domain.guidance.overrides import override_problems
from bot.domain.guidance.signals import (
    DistressMatch,
    DistressSignals,
    Match,
    load_signals,
    match_distress,
    signal_problems,
)

__all__ = [
    "DISTRESS_CATEGORIES",
    "LEARNING_TOPICS",
    "MESSAGE_KEYS",
    "MESSAGE_PLACEHOLDERS",
    "RULE_CATEGORIES",
    "SITUATIONS",
    "Defaults",
    "DistressMatch",
    "DistressSignals",
    "LearningTopic",
    "Match",
    "MissingPlaceholder",
    "Prompt",
    "PromptLibrary",
    "PromptOverride",
    "brief_prompt_text",
    "load_defaults",
    "load_signals",
    "match_distress",
    "override_problems",
    "render_prompt_text",
    "signal_problems",
]
