"""Property names as CEL sees them: Kubernetes' escaping of field names in rules.

A rule names a field `namespace` as `self.__namespace__` (a CEL reserved word) and a field
`x-forwarded-for` as `self.x__dash__forwarded__dash__for`. Same rules as the API server's
`Escape` (k8s.io/apiserver/pkg/cel/escaping.go):
- a name that starts with a digit, or has a character outside `[a-zA-Z0-9_.-/]`, cannot be
  escaped: CEL cannot see that field at all;
- a CEL reserved word becomes `__{word}__`;
- `__` becomes `__underscores__`, `.` `__dot__`, `-` `__dash__`, `/` `__slash__`.
Only the properties of an object are escaped; the keys of a map (`additionalProperties`) are data,
read with `self["key"]`, never escaped.
"""

from __future__ import annotations

import re
from functools import lru_cache

RESERVED = frozenset(
    {
        "true", "false", "null", "in", "as", "break", "const", "continue", "else", "for",
        "function", "if", "import", "let", "loop", "package", "namespace", "return", "var",
        "void", "while",
    }
)  # fmt: skip
_SUPPORTED = re.compile(r"^[A-Za-z0-9_./-]+$")
_EXPAND = re.compile(r"__|[-./]")
_ESCAPES = {"__": "__underscores__", ".": "__dot__", "-": "__dash__", "/": "__slash__"}


@lru_cache(maxsize=8192)
def escape(name: str) -> str | None:
    """The CEL identifier of a property name, or None when CEL cannot name that property."""
    if not name or name[0] in "0123456789" or not _SUPPORTED.match(name):
        return None
    if name in RESERVED:
        return f"__{name}__"
    return _EXPAND.sub(lambda match: _ESCAPES[match.group()], name)
