"""The API's one JSON parser: hostile bodies become a 400 before any view sees them.

- Malformed JSON, invalid UTF-8 and non-standard constants (NaN, Infinity) are a
  `malformed_request`, as with DRF's own parser.
- Nesting deeper than MAX_DEPTH is refused too. The standard library parser recurses, so
  a body of 100,000 `[` ends in a RecursionError (a 500 with DRF's parser); nesting just
  under the interpreter's limit would blow the stack of whatever walks the data next. No
  request of this API nests more than a few levels.
- A NUL character (U+0000) anywhere, in a value or a key, is refused with a field error
  naming where it is. PostgreSQL cannot store NUL in text or jsonb, so letting one through
  turns into a database error at the first write; checking here covers every field of
  every endpoint, present and future, in one place.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from rest_framework import parsers
from rest_framework.exceptions import ParseError, ValidationError

MAX_DEPTH = 32
NUL_MESSAGE = "NUL characters (\\u0000) are not allowed."


def _strict_constant(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON")


def _find_problem(value: Any, path: str, depth: int) -> tuple[str, str] | None:
    """(where, what) of the first NUL or excessive nesting in `value`, else None.

    Iterative over siblings and bounded in depth, so it cannot recurse further than the
    parser itself was allowed to.
    """
    if depth > MAX_DEPTH:
        return path or "non_field_errors", "depth"
    if isinstance(value, str):
        return (path or "non_field_errors", "nul") if "\x00" in value else None
    if isinstance(value, Mapping):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if "\x00" in key:
                return (path or "non_field_errors"), "nul"
            found = _find_problem(item, where, depth + 1)
            if found:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = _find_problem(item, f"{path}[{index}]" if path else f"[{index}]", depth + 1)
            if found:
                return found
    return None


class JSONParser(parsers.JSONParser):
    def parse(
        self,
        stream: Any,
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = codecs.getreader(encoding)(stream).read()
        except (UnicodeDecodeError, LookupError) as exc:
            raise ParseError(f"The body is not valid {encoding} text: {exc}") from None
        try:
            data = json.loads(text, parse_constant=_strict_constant)
        except (ValueError, RecursionError) as exc:
            raise ParseError(f"JSON parse error - {exc}") from None
        found = _find_problem(data, "", 0)
        if found is not None:
            where, what = found
            if what == "depth":
                raise ParseError(f"JSON nested deeper than {MAX_DEPTH} levels is not accepted.")
            raise ValidationError({where: [NUL_MESSAGE]})
        return data
