"""Validate the bot's request bodies against Discord's OpenAPI 3.1 description.

The spec is loaded once per process (it is ~1.2 MB) and its request schemas are checked
with jsonschema's Draft 2020-12 validator, resolving ``$ref`` against the whole document.

Pragmatic adjustments, so that only real mistakes are reported:

* ``SnowflakeType`` also accepts non-negative integers: Discord accepts ints for ids and
  discord.py sends some that way (e.g. ``allowed_mentions.users``).
* every ``oneOf`` is checked as ``anyOf``: several of the spec's unions have members
  that overlap (a body can match two alternatives), which would make a valid body fail.
* ``format`` is not asserted (jsonschema's default), so ``int64``/``snowflake``/``uri``
  strings are not checked beyond their type and pattern.
* only JSON bodies are validated (and ``payload_json`` of multipart requests, against the
  operation's ``application/json`` schema); query strings and path parameters are not.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, relevance
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SPEC_URI = "urn:discord-api-spec"
_PLACEHOLDER = re.compile(r"\{[^}]+\}")


@dataclass
class SpecViolation:
    method: str
    path: str
    message: str
    operation: str | None = None

    def __str__(self) -> str:
        return f"{self.method} {self.path} ({self.operation}): {self.message}"


def _relax(node: Any) -> Any:
    """Rewrite ``oneOf`` into ``anyOf`` everywhere (see module docstring)."""
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            out["anyOf" if key == "oneOf" else key] = _relax(value)
        return out
    if isinstance(node, list):
        return [_relax(v) for v in node]
    return node


def _absolutize_refs(node: Any) -> Any:
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and value.startswith("#"):
                out[key] = SPEC_URI + value
            else:
                out[key] = _absolutize_refs(value)
        return out
    if isinstance(node, list):
        return [_absolutize_refs(v) for v in node]
    return node


@dataclass
class _Operation:
    method: str
    template: str
    operation_id: str
    regex: re.Pattern[str]
    placeholders: int
    json_schema: dict[str, Any] | None


class OpenApiSpec:
    """The parsed spec: operations indexed by method and path, validators built lazily."""

    def __init__(self, document: dict[str, Any]) -> None:
        schemas = document.get("components", {}).get("schemas", {})
        if "SnowflakeType" in schemas:
            schemas["SnowflakeType"] = {
                "anyOf": [dict(schemas["SnowflakeType"]), {"type": "integer", "minimum": 0}]
            }
        self.document = _relax(document)
        self.registry: Registry = Registry().with_resource(
            SPEC_URI, Resource.from_contents(self.document, default_specification=DRAFT202012)
        )
        self.operations: list[_Operation] = []
        for template, item in self.document.get("paths", {}).items():
            for method, op in item.items():
                if method == "parameters" or not isinstance(op, dict):
                    continue
                content = (op.get("requestBody") or {}).get("content") or {}
                schema = content.get("application/json", {}).get("schema")
                pattern = "^" + _PLACEHOLDER.sub(
                    "[^/]+", re.escape(template).replace(r"\{", "{").replace(r"\}", "}")
                )
                self.operations.append(
                    _Operation(
                        method=method.upper(),
                        template=template,
                        operation_id=op.get("operationId", ""),
                        regex=re.compile(pattern + "$"),
                        placeholders=template.count("{"),
                        json_schema=schema,
                    )
                )
        self.operations.sort(key=lambda o: o.placeholders)
        self._validators: dict[tuple[str, str], Draft202012Validator] = {}

    def find(self, method: str, path: str) -> _Operation | None:
        for op in self.operations:
            if op.method == method and op.regex.match(path):
                return op
        return None

    def _validator(self, op: _Operation) -> Draft202012Validator | None:
        if op.json_schema is None:
            return None
        key = (op.method, op.template)
        if key not in self._validators:
            schema = _absolutize_refs(copy.deepcopy(op.json_schema))
            self._validators[key] = Draft202012Validator(schema, registry=self.registry)
        return self._validators[key]

    def validate(self, method: str, path: str, body: Any) -> SpecViolation | None:
        """The first (most relevant) problem with ``body`` for this operation, if any."""
        op = self.find(method, path)
        if op is None:
            return None
        validator = self._validator(op)
        if validator is None:
            return None
        error = max(validator.iter_errors(body), key=relevance, default=None)
        if error is None:
            return None
        error = _explain(error)
        where = "/".join(str(p) for p in error.absolute_path) or "<body>"
        return SpecViolation(method, path, f"at {where}: {error.message}", op.operation_id)


def _discriminator_miss(error: ValidationError) -> bool:
    return error.validator in ("const", "enum") and list(error.relative_path) == ["type"]


def _explain(error: ValidationError) -> ValidationError:
    """Descend into a failed ``anyOf``: ignore the branches whose ``type`` discriminator
    doesn't match, and report the error inside the one branch that was meant."""
    while error.context:
        branches: dict[Any, list[ValidationError]] = {}
        for sub in error.context:
            branches.setdefault(sub.relative_schema_path[0], []).append(sub)
        meant = [errs for errs in branches.values() if not any(_discriminator_miss(e) for e in errs)]
        if len(meant) != 1:
            break
        error = max(meant[0], key=relevance)
    return error


@functools.lru_cache(maxsize=4)
def _load(path: str, mtime: float) -> OpenApiSpec:
    with open(path, encoding="utf-8") as fh:
        return OpenApiSpec(json.load(fh))


def load_spec(path: Path) -> OpenApiSpec:
    """Parse (once per process and file version) and index the spec at ``path``."""
    resolved = path.resolve()
    return _load(str(resolved), resolved.stat().st_mtime)
