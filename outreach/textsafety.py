"""Characters that hide or disguise text: found at import, shown harmlessly everywhere else.

A catalogue cell is pasted from anywhere. A control character (ESC starts a terminal escape
sequence that can clear the screen or rewrite what was printed) or a bidirectional override
(U+202E makes ``gpj.exe`` read as ``exe.jpg``) makes what a person sees differ from what is stored
and published. The importer refuses cells holding one (``hidden_characters``); every printout
passes text through ``visible`` so that anything that got in anyway (an older import, a platform's
reply) is shown as an escape such as ``\\x1b`` or ``<U+202E>`` instead of acting on the screen.
A web page or a digest of replies can reuse both.
"""

from __future__ import annotations

import unicodedata

from .i18n import _

#: Invisible format characters that text needs: emoji sequences (👨‍👩‍👧) and some scripts join with them.
_NEEDED_FORMAT_CHARACTERS = frozenset("\u200c\u200d")
#: Line breaks and tabs are ordinary text; a table cell still shows them escaped.
_LAYOUT_CHARACTERS = frozenset("\n\t")
#: Unicode gives controls no name, only aliases (which ``unicodedata.name`` does not return).
_CONTROL_NAMES = {
    "\x00": "NULL",
    "\x07": "BELL",
    "\x08": "BACKSPACE",
    "\r": "CARRIAGE RETURN",
    "\x1b": "ESCAPE",
    "\x7f": "DELETE",
    "\x9b": "CONTROL SEQUENCE INTRODUCER",
}


def is_hidden(character: str) -> bool:
    """A control, format or separator character that can hide, reorder or act on text.

    That is every C0/C1 control and DEL except tab and line feed (a carriage return too: the
    importer turns it into a line break first), bidirectional embeddings, overrides, isolates and
    marks, zero-width and other invisible format characters (except the joiners emoji need),
    Unicode line and paragraph separators, and lone surrogates.
    """
    if character in _LAYOUT_CHARACTERS or character in _NEEDED_FORMAT_CHARACTERS:
        return False
    return unicodedata.category(character) in ("Cc", "Cf", "Cs", "Zl", "Zp")


def hidden_characters(text: str) -> list[tuple[int, str]]:
    """Each hidden character in ``text`` with its position (0-based), in order."""
    if _plainly_printable(text):
        return []
    return [(index, character) for index, character in enumerate(text) if is_hidden(character)]


def describe(character: str) -> str:
    """``U+202E RIGHT-TO-LEFT OVERRIDE``, ``U+001B ESCAPE``: the code a person can search for, and a name."""
    name = unicodedata.name(character, "") or _CONTROL_NAMES.get(character, "")
    if not name:
        name = (
            _("(half of a broken character)") if unicodedata.category(character) == "Cs" else _("(a control character)")
        )
    return f"U+{ord(character):04X} {name}"


def visible(text: str, line_breaks: bool = True) -> str:
    """``text`` safe to print: every hidden character shown as an escape (``\\x1b``, ``<U+202E>``).

    With ``line_breaks=False`` (a table cell, one line of a list) line feeds and tabs are escaped too.
    """
    if _plainly_printable(text):
        return text
    return "".join(
        _escape(character)
        if is_hidden(character) or (not line_breaks and character in _LAYOUT_CHARACTERS)
        else character
        for character in text
    )


def _plainly_printable(text: str) -> bool:
    # str.isprintable() is False for every hidden character (and for some harmless ones such as
    # a line break or a no-break space), so it is a fast way to skip the usual clean text.
    return text.isprintable()


def _escape(character: str) -> str:
    code = ord(character)
    if code < 0x100:
        return {"\n": "\\n", "\t": "\\t", "\r": "\\r"}.get(character, f"\\x{code:02x}")
    return f"<U+{code:04X}>"
