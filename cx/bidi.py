"""The Unicode bidirectional controls: marks, embeddings, overrides and isolates (U+061C, U+200E,
U+200F, U+202A-U+202E, U+2066-U+2069). In a name they can make the rest of a line read backwards
(``Reg\u202eion`` shows as "Regnoi"), so names lose them, at import and on display."""

from __future__ import annotations

BIDI_CONTROLS = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
BIDI_PATTERN = f"[{BIDI_CONTROLS}]"  # for vectorised string methods
_REMOVED = dict.fromkeys(map(ord, BIDI_CONTROLS))


def without_bidi_controls(text: str) -> str:
    return text.translate(_REMOVED)
