"""A token wrapper that never shows its value in repr, str, logs or exception text."""

from __future__ import annotations


class Secret:
    """Holds a token; only `reveal()` gives the value, and only I/O code should call it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value.strip()

    def reveal(self) -> str:
        """Return the raw token, for an Authorization header or the engine's auth config."""
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)
