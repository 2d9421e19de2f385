"""One server's prompt library: Tend's defaults with the owner's overrides laid over them.

Lookups never fail on an unknown key: a moderator always gets some guidance, and the
fallbacks below are chosen so that guidance is still about the right kind of moment.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

from bot.domain.guidance.catalogue import (
    DISTRESS_CATEGORIES,
    FALLBACK_SITUATION,
    LEARNING_TOPICS,
    MESSAGE_KEYS,
    MESSAGE_PLACEHOLDERS,
    RULE_CATEGORIES,
    RULE_SITUATION_PREFIX,
    SITUATIONS,
    Defaults,
    LearningTopic,
    Prompt,
    PromptOverride,
    flatten_tables,
    is_message_leaf,
    is_prompt_table,
    load_defaults,
    placeholders,
    render_prompt_text,
)
from bot.domain.guidance.overrides import override_problems, split_locales
from bot.domain.i18n import Text, language

__all__ = [
    "DISTRESS_CATEGORIES",
    "LEARNING_TOPICS",
    "MESSAGE_KEYS",
    "MESSAGE_PLACEHOLDERS",
    "RULE_CATEGORIES",
    "SITUATIONS",
    "Defaults",
    "LearningTopic",
    "MissingPlaceholder",
    "Prompt",
    "PromptLibrary",
    "PromptOverride",
    "load_defaults",
    "override_problems",
    "render_prompt_text",
]


class MissingPlaceholder(ValueError):
    """A message was asked for without a value it needs: a bug in the caller, not in the text."""


class PromptLibrary:
    """Prompts, messages, reflection questions and learning topics for one server."""

    def __init__(
        self,
        defaults: Defaults,
        prompts: Mapping[str, Prompt],
        rule_prompts: Mapping[str, PromptOverride],
        messages: Mapping[str, str],
        localized: Mapping[str, Mapping[str, str]] | None = None,
        team: str = "en",
    ) -> None:
        self._defaults = defaults
        self._team = team
        self._prompts = dict(prompts)
        self._rule_prompts = dict(rule_prompts)
        self._messages = dict(messages)
        # The owner's texts per language code ([guilds.messages.es]); "en" holds plain overrides.
        self._localized = {code: dict(texts) for code, texts in (localized or {}).items()}

    @classmethod
    def for_guild(
        cls,
        prompts: Mapping[str, Any] | None = None,
        messages: Mapping[str, Any] | None = None,
        team: str = "en",
    ) -> PromptLibrary:
        """The defaults with a server's overrides merged in; guidance in the ``team`` language.

        Tend's own guidance is translated through the catalogues (context
        ``prompts.<situation>.<field>``); a field the owner rewrote stays as they wrote it.

        Overrides are expected to have passed :func:`override_problems` at config load;
        anything that still doesn't fit raises ``ValueError`` rather than reaching a member.
        """
        defaults = load_defaults()
        flat_prompts = flatten_tables(dict(prompts or {}), is_prompt_table)
        plain, by_locale = split_locales(dict(messages or {}))
        flat_messages = flatten_tables(plain, is_message_leaf)
        rule_ids = [
            key.removeprefix(RULE_SITUATION_PREFIX)
            for key in flat_prompts
            if key.startswith(RULE_SITUATION_PREFIX)
        ]
        problems = override_problems(flat_prompts, dict(messages or {}), rule_ids)
        if problems:
            raise ValueError("prompt overrides cannot be used:\n" + "\n".join(problems))

        merged = dict(defaults.prompts)
        rule_prompts: dict[str, PromptOverride] = {}
        for situation, fields in flat_prompts.items():
            override = PromptOverride.model_validate(fields)
            if situation.startswith(RULE_SITUATION_PREFIX):
                rule_prompts[situation.removeprefix(RULE_SITUATION_PREFIX)] = override
            else:
                merged[situation] = _merge(merged[situation], override)
        if team != "en":
            merged = {situation: _translated(prompt, situation, team) for situation, prompt in merged.items()}
        localized = {code: flatten_tables(table, is_message_leaf) for code, table in by_locale.items()}
        localized["en"] = {**flat_messages, **localized.get("en", {})}
        return cls(defaults, merged, rule_prompts, dict(defaults.messages), localized, team)

    # -- moderator guidance ---------------------------------------------------------------

    def prompt(self, situation: str) -> Prompt:
        """The prompt for ``situation``; an unknown one falls back to its family, then to listening."""
        if situation.startswith(RULE_SITUATION_PREFIX):
            return self.report_prompt("general", situation.removeprefix(RULE_SITUATION_PREFIX))
        if situation in self._prompts:
            return self._prompts[situation]
        family = situation.partition(".")[0]
        if family == "report":
            return self._prompts["report.general"]
        return self._prompts[FALLBACK_SITUATION]

    def guidance(self, situation: str, rule_id: str | None = None) -> Prompt:
        """The prompt a moderator is shown for ``situation``; a report's with its rule's own words."""
        if rule_id and situation.startswith("report."):
            return self.report_prompt(situation.removeprefix("report."), rule_id)
        return self.prompt(situation)

    def report_prompt(self, category: str, rule_id: str | None = None) -> Prompt:
        """Guidance for a report: the rule's own prompt if the owner wrote one, else its category's."""
        category_prompt = self._prompts.get(f"report.{category}", self._prompts["report.general"])
        if rule_id is not None and rule_id in self._rule_prompts:
            return _merge(category_prompt, self._rule_prompts[rule_id])
        return category_prompt

    def distress_prompt(self, category: str) -> Prompt:
        """Guidance for a distress-watch card; an unknown category gets the listening prompt."""
        return self.prompt(f"distress.{category}")

    def reflection_questions(self, count: int = 3, seed: int | None = None) -> list[str]:
        """``count`` reflection questions (deterministic for a given ``seed``), in their written order.

        The written order runs from the case to the moderator, so "how are you feeling" stays last.
        """
        speak = language(self._team)
        questions = [
            speak(Text(question, context=f"reflection.questions.{index}"))
            for index, question in enumerate(self._defaults.reflection_questions)
        ]
        count = max(1, min(count, len(questions)))
        chosen = sorted(random.Random(seed).sample(range(len(questions)), count))
        return [questions[index] for index in chosen]

    # -- learning -----------------------------------------------------------------------

    def learning(self, topic: str, code: str = "en") -> LearningTopic | None:
        """A learning topic in language ``code`` (catalogue context ``learning.<topic>.<field>``;
        reading suggestions stay as written, they are titles)."""
        found = self._defaults.learning.get(topic)
        if found is None or code == "en":
            return found
        speak = language(code)

        def say(field: str, text: str) -> str:
            return speak(Text(text, context=f"learning.{topic}.{field}"))

        return found.model_copy(
            update={
                "title": say("title", found.title),
                "summary": say("summary", found.summary),
                "in_community": say("in_community", found.in_community),
                "try_this": [say(f"try_this.{i}", line) for i, line in enumerate(found.try_this)],
                "reflect": say("reflect", found.reflect),
            }
        )

    def learning_topics(self, code: str = "en") -> list[tuple[str, str]]:
        """``(key, title)`` for every topic, in a sensible reading order, titles in ``code``."""
        speak = language(code)
        return [
            (key, speak(Text(self._defaults.learning[key].title, context=f"learning.{key}.title")))
            for key in LEARNING_TOPICS
        ]

    # -- member- and team-facing messages -------------------------------------------------

    def message(self, key: str, **values: object) -> Text:
        """The message ``key`` with its placeholders, to be written in each reader's language.

        Tend's English is the catalogue's msgid (context ``messages.<key>``); the owner's texts
        for a language win over the catalogue's. Extra values are ignored. Raises ``KeyError``
        for an unknown key and :class:`MissingPlaceholder` when a value a text needs is missing,
        so raw ``{braces}`` never reach a member.
        """
        if key not in self._messages:
            raise KeyError(f"no message called {key!r} (known: {', '.join(MESSAGE_KEYS)})")
        default = self._messages[key]
        overrides = {code: texts[key] for code, texts in self._localized.items() if key in texts}
        needed: dict[str, None] = {}
        for template in (default, *overrides.values()):
            needed.update(
                dict.fromkeys(name.split(":", 1)[0].split("!", 1)[0] for name in placeholders(template))
            )
        missing = [name for name in needed if name not in values]
        if missing:
            listed = ", ".join(f"{{{name}}}" for name in missing)
            raise MissingPlaceholder(f"message {key!r} needs a value for {listed}")
        return Text(default, {name: values[name] for name in needed}, f"messages.{key}", overrides=overrides)


def _translated(prompt: Prompt, situation: str, code: str) -> Prompt:
    """``prompt`` in language ``code``: each field the catalogue knows, as written (the owner's) otherwise."""
    speak = language(code)

    def say(field: str, text: str) -> str:
        return speak(Text(text, context=f"prompts.{situation}.{field}"))

    return prompt.model_copy(
        update={
            "title": say("title", prompt.title),
            "intro": say("intro", prompt.intro),
            "phrasings": [say(f"phrasings.{i}", line) for i, line in enumerate(prompt.phrasings)],
            "question": say("question", prompt.question),
            "avoid": [say(f"avoid.{i}", line) for i, line in enumerate(prompt.avoid)],
            "next_action": say("next_action", prompt.next_action),
        }
    )


def _merge(base: Prompt, override: PromptOverride) -> Prompt:
    return Prompt.model_validate({**base.model_dump(), **override.changes()})
