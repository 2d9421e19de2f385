"""Keeping the catalogues in step with the code: ``scripts/catalogues`` (``python -m bot.process.catalogues``).

Collects every sentence Tend can show a person — the library messages of
``bot/domain/guidance/defaults.toml`` (context ``messages.<key>``) and every ``_()``, ``N_()``
and ``P_()`` in ``bot/`` and ``cogs/`` — into ``catalogues/tend.pot``, and merges it into each
language's ``.po`` with Babel: new sentences appear untranslated, changed ones are marked fuzzy
(and shown in English until a translator checks them), so nothing stale reaches a member.
Sentences the code no longer says are kept as ``#~`` (never read at run time) and come back,
translated, when the code says them again.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

from bot.domain.guidance.catalogue import FIELD_LIMIT, MESSAGE_LIMIT, TITLE_LIMIT, load_defaults
from bot.domain.i18n import SOURCE, SUPPORTED, catalogue_file

ROOT = Path(__file__).resolve().parents[2]
CATALOGUES = ROOT / "bot" / "domain" / "i18n" / "catalogues"
TEMPLATE = CATALOGUES / "tend.pot"
SCANNED = ("bot", "cogs")
MARKERS = {"_": 1, "N_": 2, "P_": 1}

# Discord's limits for where a sentence is used, by the keyword (or attribute) it is given as;
# a sentence gets the smallest limit its English fits (a "label" of 60 characters is a button's).
LIMITS: dict[str, tuple[int, ...]] = {
    "label": (45, 80, 100),  # text input / button / select option
    "text": (45, 2000),  # a form's Label / a message
    "placeholder": (100, 150),
    "title": (45, 256),  # a form / an embed
    "description": (100, 4096),  # a select option or command / an embed
    "name": (100, 256),  # a choice / an embed field
    "value": (1024,),
    "footer": (2048,),
}
DEFAULT_LIMITS = (2000, 4096)


@dataclass(frozen=True)
class Sentence:
    msgid: str
    plural: str | None
    context: str | None
    where: str
    limit: int


def _limit(use: str | None, english: str) -> int:
    for limit in LIMITS.get(use or "", DEFAULT_LIMITS):
        if len(english) <= limit:
            return limit
    return max(LIMITS.get(use or "", DEFAULT_LIMITS))


def _strings(node: ast.Call, count: int) -> list[str] | None:
    values = []
    for arg in node.args[:count]:
        if not (isinstance(arg, ast.Constant) and isinstance(arg.value, str)):
            return None
        values.append(arg.value)
    return values if len(values) == count else None


def code_sentences(root: Path = ROOT) -> Iterator[Sentence]:
    """Every marked sentence in Tend's code, with where it is and the limit it must fit."""
    for folder in SCANNED:
        for path in sorted((root / folder).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
            uses: dict[int, str] = {}
            for node in ast.walk(tree):
                if isinstance(node, ast.Call):
                    for keyword in node.keywords:
                        if keyword.arg:
                            uses[id(keyword.value)] = keyword.arg
                elif isinstance(node, ast.Assign) and len(node.targets) == 1:
                    target = node.targets[0]
                    if isinstance(target, ast.Name):
                        uses[id(node.value)] = target.id.lower()
            for node in ast.walk(tree):
                if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
                    continue
                marker = node.func.id
                if marker not in MARKERS:
                    continue
                where = f"{path.relative_to(root)}:{node.lineno}"
                context: str | None
                plural: str | None
                if marker == "P_":
                    found = _strings(node, 2)
                    context, msgid, plural = (found[0], found[1], None) if found else (None, "", None)
                elif marker == "N_":
                    found = _strings(node, 2)
                    context, msgid, plural = (None, found[0], found[1]) if found else (None, "", None)
                else:
                    found = _strings(node, 1)
                    context, msgid, plural = (None, found[0], None) if found else (None, "", None)
                if not found:
                    raise ValueError(f"{where}: {marker}() needs literal text, so it can be translated")
                use = uses.get(id(node))
                yield Sentence(msgid, plural, context, where, _limit(use, plural or msgid))


_COMMAND_CALLS = {"command", "Group", "ContextMenu"}


def _name_of(func: ast.expr) -> str | None:
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None


def command_sentences(root: Path = ROOT) -> Iterator[Sentence]:
    """Names, descriptions and options of the slash commands and menus (contexts ``command-name``
    for names, which Discord holds to lowercase without spaces, and ``command`` for the rest)."""
    for path in sorted((root / "cogs").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.AsyncFunctionDef | ast.FunctionDef):
                decorators = [d for d in node.decorator_list if isinstance(d, ast.Call)]
                if any(_name_of(d.func) == "command" for d in decorators):
                    where = f"{path.relative_to(root)}:{node.lineno}"
                    for arg in node.args.args[2:] + node.args.kwonlyargs:
                        yield Sentence(arg.arg, None, "command-name", where, 32)
            if not isinstance(node, ast.Call):
                continue
            called = _name_of(node.func)
            where = f"{path.relative_to(root)}:{node.lineno}"
            for keyword in node.keywords:
                value = keyword.value
                if not (isinstance(value, ast.Constant) and isinstance(value.value, str)):
                    continue
                if called in _COMMAND_CALLS and keyword.arg == "name":
                    menu = called == "ContextMenu"
                    yield Sentence(value.value, None, "command" if menu else "command-name", where, 32)
                elif (called in _COMMAND_CALLS and keyword.arg == "description") or called == "describe":
                    yield Sentence(value.value, None, "command", where, 100)


def library_sentences() -> Iterator[Sentence]:
    """The message library's English texts (defaults.toml [messages])."""
    for key, text in load_defaults().messages.items():
        yield Sentence(text, None, f"messages.{key}", "bot/domain/guidance/defaults.toml:0", MESSAGE_LIMIT)


def learning_sentences() -> Iterator[Sentence]:
    """The learning topics /learn shows (reading suggestions are titles and stay as written)."""
    where = "bot/domain/guidance/defaults.toml:0"
    for key, topic in load_defaults().learning.items():
        yield Sentence(topic.title, None, f"learning.{key}.title", where, TITLE_LIMIT)
        for field in ("summary", "in_community", "reflect"):
            yield Sentence(getattr(topic, field), None, f"learning.{key}.{field}", where, FIELD_LIMIT)
        for index, line in enumerate(topic.try_this):
            yield Sentence(line, None, f"learning.{key}.try_this.{index}", where, FIELD_LIMIT)


def prompt_sentences() -> Iterator[Sentence]:
    """The moderators' guidance (read in the team's language) and the reflection questions."""
    where = "bot/domain/guidance/defaults.toml:0"
    defaults = load_defaults()
    for situation, prompt in defaults.prompts.items():
        at = f"prompts.{situation}"
        yield Sentence(prompt.title, None, f"{at}.title", where, TITLE_LIMIT)
        for field in ("intro", "question", "next_action"):
            yield Sentence(getattr(prompt, field), None, f"{at}.{field}", where, FIELD_LIMIT)
        for field in ("phrasings", "avoid"):
            for index, line in enumerate(getattr(prompt, field)):
                yield Sentence(line, None, f"{at}.{field}.{index}", where, FIELD_LIMIT)
    for index, question in enumerate(defaults.reflection_questions):
        yield Sentence(question, None, f"reflection.questions.{index}", where, FIELD_LIMIT)


def all_sentences(root: Path = ROOT) -> list[Sentence]:
    return [
        *library_sentences(),
        *learning_sentences(),
        *prompt_sentences(),
        *code_sentences(root),
        *command_sentences(root),
    ]


def template(root: Path = ROOT) -> Catalog:
    pot = Catalog(project="Tend", domain="tend", locale=None, fuzzy=False)
    for sentence in all_sentences(root):
        msgid = (sentence.msgid, sentence.plural) if sentence.plural else sentence.msgid
        existing = pot.get(msgid, context=sentence.context)
        if existing is not None:
            existing.locations.append((sentence.where.rsplit(":", 1)[0], 0))
            continue
        pot.add(
            msgid,
            locations=[(sentence.where.rsplit(":", 1)[0], 0)],
            context=sentence.context,
            flags=("python-brace-format",) if "{" in sentence.msgid else (),
            auto_comments=[f"max {sentence.limit} characters"],
        )
    return pot


def merge(catalog: Catalog, pot: Catalog) -> None:
    """Bring ``catalog`` in step with ``pot``: new sentences untranslated, changed ones fuzzy.

    Kept translations (``#~``) come back when their sentence does: a sentence translated before
    it reached the code (or removed and restored) needs no translator again.
    """
    for kept in list(catalog.obsolete.values()):
        if catalog.get(kept.id, context=kept.context) is None:
            catalog[kept.id] = kept
    catalog.obsolete.clear()
    catalog.update(pot, no_fuzzy_matching=False, update_header_comment=False)


def main(argv: list[str] | None = None) -> int:
    pot = template()
    with TEMPLATE.open("wb") as out:
        write_po(out, pot, width=100, omit_header=False, sort_output=False, include_lineno=False)
    for code in SUPPORTED:
        if code == SOURCE:
            continue
        path = CATALOGUES / catalogue_file(code)
        if path.exists():
            with path.open("rb") as handle:
                catalog = read_po(handle, locale=code.replace("-", "_"))

        else:
            catalog = Catalog(locale=code.replace("-", "_"), project="Tend", domain="tend")
            # gettext's customary rules (CLDR's extra "many" form only matters from a million).
            rule = "(n > 1)" if code in ("fr", "pt-BR") else "(n != 1)"
            catalog.mime_headers = [*catalog.mime_headers, ("Plural-Forms", f"nplurals=2; plural={rule};")]
        merge(catalog, pot)
        with path.open("wb") as out:
            # Sentences the code no longer says stay as #~ (never shown; see above).
            write_po(out, catalog, width=100, ignore_obsolete=False, include_lineno=False)
        missing = sum(1 for m in catalog if m.id and (not m.string or m.fuzzy))
        print(f"{path.relative_to(ROOT)}: {len(pot)} sentences, {missing} to translate", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
