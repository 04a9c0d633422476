"""What the settings classes are made of: frozen dataclasses that pydantic checks only where a config is read.

The settings (``config.py``'s blocks, each channel's keys) are plain dataclasses, so a process that only uses a
validated config never imports pydantic (about 8 MB). Their rules travel with them in a form pydantic reads
when ``load_config`` validates a file: ``annotated_types`` constraints (``Ge``, ``MinLen`` …: the same error
kinds as pydantic's own ``Field(ge=…)``), ``Check`` for a rule of one key, and ``__post_init__`` raising
``KeyedError`` for a rule across keys, so that the message still names the key at fault.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

#: Set on every settings class: pydantic refuses a key the class does not have (a typo).
STRICT: dict[str, Any] = {"extra": "forbid"}


@dataclass(frozen=True)
class Check:
    """``Annotated`` metadata: pydantic runs ``function`` on the value once its type is right; the function
    returns the value to keep or raises ``ValueError`` with the message to show.

    pydantic's own ``AfterValidator`` does the same, but importing it imports pydantic; this hook imports
    pydantic's core only while a config is being validated.
    """

    function: Callable[[Any], Any]

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> Any:
        from pydantic_core import core_schema

        return core_schema.no_info_after_validator_function(self.function, handler(source))


class KeyedError(ValueError):
    """A rule across keys broken, raised from ``__post_init__``: ``key`` is the one the message is about."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key


@dataclass(frozen=True)
class Matches:
    """``Annotated`` metadata: the text must match ``pattern`` (pydantic's ``Field(pattern=…)``, its error kind
    and message, without importing pydantic)."""

    pattern: str

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> Any:
        from pydantic_core import core_schema

        return core_schema.str_schema(pattern=self.pattern)
