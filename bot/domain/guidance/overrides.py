"""Checking an owner's prompt and message overrides, with messages a person can act on.

Problems are returned, not raised, so config loading can report all of them at once. Each
one starts at ``prompts.`` or ``messages.``; the caller adds where that table sits
(``guilds[0].``).
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from bot.domain.guidance.catalogue import (
    FIELD_LIMIT,
    MESSAGE_LIMIT,
    MESSAGE_PLACEHOLDERS,
    MESSAGE_TEXT_LIMIT,
    NEW_PROMPT_REQUIRED,
    PROMPT_FIELDS,
    PROMPT_LIST_FIELDS,
    PROMPT_LIST_MAX_ITEMS,
    RENDERED_PROMPT_LIMIT,
    RULE_CATEGORIES,
    RULE_SITUATION_PREFIX,
    SITUATIONS,
    TITLE_LIMIT,
    Prompt,
    fill_longest,
    flatten_tables,
    full_prompt_text,
    is_message_leaf,
    is_prompt_table,
    load_defaults,
    placeholders,
)
from bot.domain.i18n.locales import SUPPORTED

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def toml_key(key: str) -> str:
    """``key`` as it would be written in TOML: bare when it can be, quoted otherwise."""
    return key if _BARE_KEY.fullmatch(key) else json.dumps(key, ensure_ascii=False)


def _suggest(word: str, candidates: Iterable[str]) -> str | None:
    close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return close[0] if close else None


def override_problems(
    prompts: Mapping[str, Any] | None,
    messages: Mapping[str, Any] | None,
    rule_ids: Iterable[str],
) -> list[str]:
    """Everything wrong with an owner's ``prompts``/``messages`` overrides; empty when they can be used.

    ``prompts`` may be nested as TOML reads ``[prompts.report.spam]`` or keyed by the dotted
    situation (``"report.spam"``). ``report.rule.<rule id>`` is allowed for ids in ``rule_ids``.
    """
    problems: list[str] = []
    if prompts:
        problems.extend(_prompt_problems(prompts, set(rule_ids)))
    if messages:
        problems.extend(_message_problems(messages))
    return problems


def _prompt_problems(prompts: Mapping[str, Any], rule_ids: set[str]) -> list[str]:
    if not isinstance(prompts, Mapping):
        return ["prompts: must be a table of situations, like [prompts.first_reply]"]
    defaults = load_defaults().prompts
    problems: list[str] = []
    for situation, fields in flatten_tables(dict(prompts), is_prompt_table).items():
        where = f"prompts.{toml_key(situation)}"
        bases: list[Prompt]
        if situation.startswith(RULE_SITUATION_PREFIX):
            rule_id = situation.removeprefix(RULE_SITUATION_PREFIX)
            if rule_id not in rule_ids:
                problems.append(f"{where}: {_unknown_rule(rule_id, rule_ids)}")
                continue
            # A rule's prompt is laid over its category's; check it against every category.
            bases = [defaults[f"report.{category}"] for category in RULE_CATEGORIES]
        elif situation in defaults:
            bases = [defaults[situation]]
        else:
            problems.append(f"{where}: {_unknown_situation(situation)}")
            continue
        if not isinstance(fields, Mapping):
            problems.append(f"{where}: must be a table of prompt fields ({', '.join(PROMPT_FIELDS)})")
            continue
        found = _field_problems(where, fields)
        if not found and situation.startswith(RULE_SITUATION_PREFIX):
            missing = [name for name in NEW_PROMPT_REQUIRED if name not in fields]
            if missing:
                found.append(
                    f"{where}: a prompt for one rule needs at least title, intro and next_action"
                    f" (missing: {', '.join(missing)})"
                )
        if not found:
            longest = max(len(full_prompt_text(base.model_copy(update=dict(fields)))) for base in bases)
            if longest > RENDERED_PROMPT_LIMIT:
                found.append(
                    f"{where}: is {longest} characters once shown; Discord allows at most"
                    f" {RENDERED_PROMPT_LIMIT} here, so shorten some lines"
                )
        problems.extend(found)
    return problems


def _unknown_rule(rule_id: str, rule_ids: set[str]) -> str:
    if not rule_ids:
        return f'there is no rule with id "{rule_id}" (no rules are configured for this server)'
    hint = _suggest(rule_id, rule_ids)
    known = f"known rule ids: {', '.join(sorted(rule_ids))}"
    return f'there is no rule with id "{rule_id}" ({f"did you mean {hint}? " if hint else ""}{known})'


def _unknown_situation(situation: str) -> str:
    hint = _suggest(situation, SITUATIONS)
    did_you_mean = f"did you mean {hint}? " if hint else ""
    return f"unknown situation ({did_you_mean}known: {', '.join(SITUATIONS)}; or {RULE_SITUATION_PREFIX}<rule id>)"


def _field_problems(where: str, fields: Mapping[str, Any]) -> list[str]:
    problems: list[str] = []
    for name, value in fields.items():
        at = f"{where}.{toml_key(name)}"
        if name not in PROMPT_FIELDS:
            hint = _suggest(name, PROMPT_FIELDS)
            lead = f"did you mean {hint}? " if hint else ""
            problems.append(f"{at}: unknown field ({lead}prompts have {', '.join(PROMPT_FIELDS)})")
        elif name in PROMPT_LIST_FIELDS:
            problems.extend(_list_problems(at, value))
        elif not isinstance(value, str):
            problems.append(f"{at}: must be text")
        else:
            problem = _text_problem(value, TITLE_LIMIT if name == "title" else FIELD_LIMIT)
            if problem:
                problems.append(f"{at}: {problem}")
    return problems


def _list_problems(at: str, value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        return [f'{at}: must be a list of text, like ["First line.", "Second line."]']
    if not value:
        return [f"{at}: must not be empty (leave it out to keep the default)"]
    if len(value) > PROMPT_LIST_MAX_ITEMS:
        return [f"{at}: has {len(value)} lines; at most {PROMPT_LIST_MAX_ITEMS} fit"]
    problems = []
    for index, item in enumerate(value):
        problem = _text_problem(item, FIELD_LIMIT)
        if problem:
            problems.append(f"{at}[{index}]: {problem}")
    return problems


def _text_problem(text: str, limit: int) -> str | None:
    if not text.strip():
        return "must not be empty"
    if len(text) > limit:
        return f"is {len(text)} characters; Discord allows at most {limit} here"
    return None


def split_locales(messages: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """An owner's ``[messages]`` as (English texts, {language code: that language's texts}).

    A table named like a language (``[messages.es]``, ``[messages."pt-BR"]``) holds that
    language's texts; every other key is English, as Tend's defaults are.
    """
    plain: dict[str, Any] = {}
    by_locale: dict[str, dict[str, Any]] = {}
    for key, value in messages.items():
        if isinstance(value, Mapping) and _looks_like_locale(key):
            by_locale[key] = dict(value)
        else:
            plain[key] = value
    return plain, by_locale


_GROUPS = {key.split(".", 1)[0] for key in MESSAGE_PLACEHOLDERS if "." in key}
_LOCALE_KEY = re.compile(r"[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})?")


def _looks_like_locale(key: str) -> bool:
    return key not in _GROUPS and (key in SUPPORTED or bool(_LOCALE_KEY.fullmatch(key)))


def _message_problems(messages: Mapping[str, Any]) -> list[str]:
    if not isinstance(messages, Mapping):
        return ["messages: must be a table of message texts, like support_welcome = '…'"]
    plain, by_locale = split_locales(messages)
    problems = _message_table_problems(plain, "messages")
    for code, table in by_locale.items():
        where = f"messages.{toml_key(code)}"
        if code not in SUPPORTED:
            hint = next((s for s in SUPPORTED if s.casefold() == code.replace("_", "-").casefold()), None)
            fix = f"did you mean {toml_key(hint)}? " if hint else ""
            problems.append(
                f"{where}: Tend has no catalogue for {code!r} ({fix}it speaks {', '.join(SUPPORTED)})"
            )
            continue
        problems.extend(_message_table_problems(table, where))
    return problems


def _message_table_problems(messages: Mapping[str, Any], prefix: str) -> list[str]:
    problems: list[str] = []
    for key, text in flatten_tables(dict(messages), is_message_leaf).items():
        where = f"{prefix}.{toml_key(key)}"
        if key not in MESSAGE_PLACEHOLDERS:
            hint = _suggest(key, MESSAGE_PLACEHOLDERS)
            problems.append(
                f"{where}: unknown message (did you mean {hint}?)"
                if hint
                else f"{where}: unknown message (known: {', '.join(MESSAGE_PLACEHOLDERS)})"
            )
        elif not isinstance(text, str):
            problems.append(f"{where}: must be text")
        elif not text.strip():
            problems.append(f"{where}: must not be empty")
        elif len(text) > MESSAGE_TEXT_LIMIT:
            problems.append(
                f"{where}: is {len(text)} characters; Tend allows at most {MESSAGE_TEXT_LIMIT} here"
                " (Discord's limit is 2000, and Tend sometimes adds a line)"
            )
        else:
            found = [f"{where}: {problem}" for problem in _placeholder_problems(key, text)]
            if not found:
                filled = len(fill_longest(text))
                if filled > MESSAGE_LIMIT:
                    found.append(
                        f"{where}: is {filled} characters once filled with the longest names and links;"
                        f" Discord allows at most {MESSAGE_LIMIT} in a message"
                    )
            problems.extend(found)
    return problems


def _placeholder_problems(key: str, text: str) -> list[str]:
    try:
        fields = placeholders(text)
    except ValueError:
        return ["has a { or } without its partner (write {{ or }} for a brace that should show)"]
    allowed = MESSAGE_PLACEHOLDERS[key]
    can = (
        "it can use " + " and ".join(f"{{{name}}}" for name in sorted(allowed))
        if allowed
        else "it takes no placeholders; write {{ or }} for a brace that should show"
    )
    problems = []
    for field in dict.fromkeys(fields):  # each distinct placeholder once, in order
        if field not in allowed:
            problems.append(f"uses {{{field}}}, which this message cannot fill ({can})")
    return problems
