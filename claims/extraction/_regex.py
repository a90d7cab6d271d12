"""Regex helpers."""

from __future__ import annotations

import re
from collections.abc import Iterable

_Trie = dict[str, "_Trie"]


def words(text: str) -> frozenset[str]:
    """A word list written as one whitespace-separated string."""
    return frozenset(text.split())


def trie_pattern(words: Iterable[str]) -> str:
    """An alternation of literal words factored by common prefixes.

    Python's ``re`` tries a flat ``a|b|c`` alternative by alternative at every position;
    a trie needs one character test per level, which makes a 300-word lexicon cheap.
    """
    trie: _Trie = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}
    return _render(trie)


def _render(node: _Trie) -> str:
    branches = []
    optional = False
    for char in sorted(node):
        if char == "":
            optional = True
        else:
            branches.append(re.escape(char) + _render(node[char]))
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    return "(?:" + body + ")?" if optional else body
