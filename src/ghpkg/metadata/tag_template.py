"""The Handlebars subset metadata-action's tag rules use: `{{name}}`, `{{date 'fmt' tz='Zone'}}`."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ghpkg.errors import UsageError

# `{{ name 'positional' key='value' }}`: what metadata-action's rules write in practice.
_EXPR = re.compile(r"\{\{(.*?)\}\}")
# An unquoted argument is a Handlebars path: nothing in the rules' context, so undefined (None).
_CALL = re.compile(r"\s*(\w+)((?:\s+(?:\w+=)?(?:'[^']*'|\"[^\"]*\"|[^\s'\"=]+))*)\s*")
_ARG = re.compile(r"(?:(\w+)=)?(?:'([^']*)'|\"([^\"]*)\"|([^\s'\"=]+))")
# moment.js format tokens (https://momentjs.com/docs/#/displaying/format/) that tags use.
_MOMENT = {
    "YYYY": "%Y",
    "YY": "%y",
    "MM": "%m",
    "DD": "%d",
    "HH": "%H",
    "hh": "%I",
    "mm": "%M",
    "ss": "%S",
    "A": "%p",
}
_WORDS = re.compile(r"\[[^\]]*\]|[A-Za-z]+")
_RUNS = re.compile(r"([A-Za-z])\1*")

Helper = Callable[[list[str | None], dict[str, str]], str]


def render(template: str, values: Mapping[str, str | Helper], what: str) -> str:
    """Fill each `{{...}}` from `values`; an unknown name or a stray brace is a UsageError."""
    if template.count("{{") != template.count("}}"):
        raise UsageError(
            f"{what}: unbalanced braces in {template!r}",
            "every {{ needs its }}",
            "write e.g. {{version}}",
        )

    def one(match: re.Match[str]) -> str:
        call = _CALL.fullmatch(match[1])
        if call is None:
            raise UsageError(
                f"{what}: cannot read {match[0]!r}", "expected {{name}} or {{date 'FORMAT'}}", ""
            )
        name, args = call[1], call[2]
        if name not in values:
            known = ", ".join(sorted(values))
            raise UsageError(f"{what}: unknown expression {{{{{name}}}}}", f"known: {known}", "")
        value = values[name]
        if isinstance(value, str):
            return value
        positional: list[str | None] = []
        named: dict[str, str] = {}
        for key, single, double, path in _ARG.findall(args):
            text = single or double
            if key:
                named[key] = text
            else:
                positional.append(None if path else text)
        return value(positional, named)

    return _EXPR.sub(one, template)


def date_helper(moment: datetime, what: str) -> Helper:
    """`{{date 'YYYYMMDD-HHmmss' tz='Asia/Tokyo'}}` over `moment` (UTC unless tz says)."""

    def helper(positional: list[str | None], named: dict[str, str]) -> str:
        unknown = set(named) - {"tz"}
        if unknown:
            raise UsageError(
                f"{what}: unknown date attribute {sorted(unknown)[0]}", "only tz= is known", ""
            )
        if len(positional) != 1:
            raise UsageError(f"{what}: date needs one format", "e.g. {{date 'YYYYMMDD'}}", "")
        zone = named.get("tz", "UTC")
        try:
            local = moment.astimezone(ZoneInfo(zone))
        except (ZoneInfoNotFoundError, ValueError):
            raise UsageError(
                f"{what}: unknown time zone {zone!r}", "tz= takes an IANA name", "e.g. Europe/Paris"
            ) from None
        if positional[0] is None:  # `{{date YYYYMMDD}}`: moment's default format, as there
            offset = local.utcoffset()
            end = "Z" if not offset else local.isoformat(timespec="seconds")[-6:]
            return local.strftime("%Y-%m-%dT%H:%M:%S") + end
        return format_moment(local, positional[0], what)

    return helper


def format_moment(moment: datetime, fmt: str, what: str) -> str:
    """moment.js's format for the tokens a tag can use; `[text]` is literal."""

    def word(match: re.Match[str]) -> str:
        text = match[0]
        if text.startswith("["):
            return text[1:-1]
        try:
            return "".join(token(run[0]) for run in _RUNS.finditer(text))
        except KeyError:
            raise UsageError(
                f"{what}: date token {text!r} is not supported",
                "known: YYYY YY MM M DD D HH H hh h mm m ss s SSS A and [literal text]",
                "write e.g. {{date 'YYYYMMDD-HHmmss'}}",
            ) from None

    def token(text: str) -> str:
        if text in _MOMENT:
            return moment.strftime(_MOMENT[text])
        simple = {"M": moment.month, "D": moment.day, "H": moment.hour, "m": moment.minute}
        simple |= {"s": moment.second, "h": moment.hour % 12 or 12}
        if text in simple:
            return str(simple[text])
        if text == "SSS":
            return f"{moment.microsecond // 1000:03d}"
        raise KeyError(text)

    return _WORDS.sub(word, fmt)
