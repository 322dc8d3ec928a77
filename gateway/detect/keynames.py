"""Key names in any case and spacing: one definition for secret patterns and for context.

A key name is written many ways: ``SECRET_ACCESS_KEY``, ``secret-access-key``,
``secretAccessKey``, ``Secret Access Key``, ``secret  access<TAB>key``, ``aCCess key``. The
secret recognizers' patterns build their key names with ``key_pattern`` and the context
enhancer compares words after ``fold_key``, so every recognizer reads them the same way;
the shared gate (``recognizers.secrets.prefilter``) matches keywords in any case.
"""

from __future__ import annotations

import re

__all__ = ["KEY_SEPARATOR", "fold_key", "key_pattern"]

#: What may stand between the words of a key name: up to three spaces, tabs, underscores,
#: hyphens or dots, or nothing (``secretAccessKey``). Bounded, so a pattern stays linear.
KEY_SEPARATOR = r"[\s_.\-]{0,3}"
# For comparing words: runs of spaces, underscores and hyphens are one space. Dots stay, so
# "no." in a context list still needs its dot.
_FOLDED_SEPARATORS = re.compile(r"[\s_\-]+")


def key_pattern(*names: str) -> str:
    """A case-insensitive regex alternation of ``names`` (words separated by spaces).

    ``key_pattern("secret access key")`` matches every spelling listed in the module
    docstring; names are tried in the order given.
    """
    spelled = (KEY_SEPARATOR.join(re.escape(word) for word in name.split()) for name in names)
    return "(?i:" + "|".join(spelled) + ")"


def fold_key(text: str) -> str:
    """``text`` lower-cased with each run of separators made one space, for comparisons."""
    return _FOLDED_SEPARATORS.sub(" ", text.lower())
