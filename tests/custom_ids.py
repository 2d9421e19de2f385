"""custom_ids an attacker would send: every string a template matches, with chosen ids.

The authority matrix walks Tend's registries (every DynamicItem and every routed form) and
needs concrete custom_ids for each. Rather than a hand-written list that a new button could
be missing from, this reads each template's regex and fills its named groups from a context
(``case_id`` → the cases to attack, ``answer`` → every answer, ...). A template with a group
the context doesn't know fails loudly, so a new kind of id gets a deliberate entry.
"""

from __future__ import annotations

import itertools
import re
import re._constants as sre_constants  # type: ignore[import-not-found]
import re._parser as sre_parse  # type: ignore[import-not-found]
from collections.abc import Iterable, Mapping
from typing import Any


class UnknownGroup(LookupError):
    """A template has a named group the matrix doesn't know how to fill."""


def examples(pattern: re.Pattern[str], context: Mapping[str, Iterable[object]]) -> list[str]:
    """Every string ``pattern`` fully matches when each named group takes each value of
    ``context[name]`` that fits it (unnamed parts take their shortest form)."""
    names = {index: name for name, index in pattern.groupindex.items()}
    parsed = sre_parse.parse(pattern.pattern, pattern.flags)
    # A context value that doesn't fit this template's group (an "ok" where only "yes" fits) drops out.
    return sorted(v for v in set(_walk(list(parsed), names, context)) if pattern.fullmatch(v))


def _walk(items: list[Any], names: dict[int, str], context: Mapping[str, Iterable[object]]) -> list[str]:
    results = [""]
    for op, arg in items:
        options = _options(op, arg, names, context)
        results = [a + b for a, b in itertools.product(results, options)]
    return results


def _options(op: Any, arg: Any, names: dict[int, str], context: Mapping[str, Iterable[object]]) -> list[str]:
    if op is sre_constants.LITERAL:
        return [chr(arg)]
    if op is sre_constants.SUBPATTERN:
        group, _add, _del, sub = arg
        if group is not None and group in names:
            name = names[group]
            if name not in context:
                raise UnknownGroup(f"the matrix doesn't know what {{{name}}} means; add it to the context")
            return [str(v) for v in context[name]]
        return _walk(list(sub), names, context)
    if op is sre_constants.BRANCH:
        return [s for branch in arg[1] for s in _walk(list(branch), names, context)]
    if op in (sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT):
        low, _high, sub = arg
        return ["".join(p) for p in itertools.product(*[_walk(list(sub), names, context)] * low)] or [""]
    if op is sre_constants.IN:
        for kind, value in arg:
            if kind is sre_constants.LITERAL:
                return [chr(value)]
            if kind is sre_constants.RANGE:
                return [chr(value[0])]
            if kind is sre_constants.CATEGORY:
                return ["0"]
        raise ValueError(f"can't pick a character from {arg!r}")
    if op is sre_constants.ANY:
        return ["x"]
    raise ValueError(f"unsupported regex construct {op} in a custom_id template")
