"""The options as the user spelled them (`RawInputs`), and the reader of the action's INPUT_*."""

from __future__ import annotations

from collections.abc import Mapping

from ghpkg.errors import UsageError
from ghpkg.faces.commands import Option
from ghpkg.faces.options import BY_NAME, RAW_OPTIONS
from ghpkg.reference import split_versions

Value = str | bool | list[str]


def initial(option: Option) -> Value:
    """An option's value when nobody gave it."""
    if option.kind == "flag":
        return option.default == "true"
    if option.kind in ("lines", "words"):
        return []
    return option.default


class RawInputs:
    """Options as the user spelled them, before any check: one value per row of the table."""

    def __init__(self, **given: Value) -> None:
        unknown = sorted(set(given) - {option.name for option in RAW_OPTIONS})
        if unknown:
            raise TypeError(f"RawInputs: no option named {', '.join(unknown)}")
        self._values: dict[str, Value] = {o.name: initial(o) for o in RAW_OPTIONS} | given

    def __getattr__(self, name: str) -> Value:
        if name.startswith("_") or name not in self.__dict__.get("_values", {}):
            raise AttributeError(name)
        return self._values[name]

    def __repr__(self) -> str:
        return f"RawInputs({self._values!r})"

    def replaced(self, **changes: Value) -> RawInputs:
        """A copy with some values changed."""
        return RawInputs(**(self._values | changes))

    def given(self, name: str) -> bool:
        """Whether the option has a value other than its default."""
        return bool(self._values[name]) and self._values[name] != initial(BY_NAME[name])

    def text(self, name: str) -> str:
        """A text option's value."""
        return str(self._values[name])

    def flag(self, name: str) -> bool:
        """A flag's value."""
        return bool(self._values[name])

    def items(self, name: str) -> list[str]:
        """A repeatable option's values."""
        value = self._values[name]
        return list(value) if isinstance(value, list) else []


def parse_action(env: Mapping[str, str]) -> RawInputs:
    """INPUT_* variables as GitHub sets them for an action -> RawInputs."""
    if env.get("INPUT_OPERATION", "").strip() == "serve":
        raise UsageError(
            "serve is a command, not an action operation",
            "it runs until it is stopped",
            "run `ghpkg serve &` in a step of its own",
        )
    values: dict[str, Value] = {}
    for option in RAW_OPTIONS:
        if option.input_name:
            text = env.get(f"INPUT_{option.input_name.upper()}", "").strip()
            values[option.name] = _value(option, option.input_name, text)
    return RawInputs(**values)


def _value(option: Option, name: str, text: str) -> Value:
    if option.kind == "flag":
        return _flag(text or option.default or "false", name)
    if option.kind in ("lines", "words"):
        return list_items(option, text)
    return text or option.default


def list_items(option: Option, text: str) -> list[str]:
    """A list as both faces read it: `lines` one item a line, `words` split at newlines and commas.

    The action's input and each `--flag VALUE` go through here, so a value means the same in both.
    """
    if option.kind == "words":
        return split_versions(text)
    return [line.strip() for line in text.splitlines() if line.strip()]


def _flag(value: str, what: str) -> bool:
    text = value.lower()
    if text not in ("true", "false"):
        raise UsageError(f"{what} {value!r} is not true or false", "", f"use {what}: true")
    return text == "true"
