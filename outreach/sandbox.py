"""The sandbox templates run in, and the budget that bounds one render.

A template is written by an office, not by us: it may loop for minutes, build a value of gigabytes,
or compute ``7 ** 10**9`` by mistake. This module is the one place that knows how Jinja is bounded
(its code generator, its sandbox hooks, its output stream), so the renderer only asks for a
bounded environment and a bounded render. A breach is an ``OverBudget`` naming the template line.

Each template gets ``RENDER_SECONDS``, ``MAX_LOOP_TURNS`` and ``MAX_RENDER_CHARACTERS`` of output per
post, and an operator whose result would be huge is refused before it computes.
"""

from __future__ import annotations

import functools
import math
import time as clock
from collections.abc import Callable, Generator, Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, cast

from jinja2 import Template, TemplateRuntimeError, nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.runtime import Context
from jinja2.sandbox import SandboxedEnvironment

from .i18n import _, number

#: A template gets this long to render one post; an ordinary one needs a few milliseconds.
RENDER_SECONDS = 2.0
#: Turns of all its loops together, per post (an ordinary template loops over a few steps or
#: tags). It also bounds what loops can pile up in a ``{% set %}`` block or a macro.
MAX_LOOP_TURNS = 1_000
#: No post comes near this (Facebook's limit, the longest, is 63,206 characters).
MAX_RENDER_CHARACTERS = 100_000
#: A template has no use for a larger number.
MAX_NUMBER_DIGITS = 1_000
_MAX_NUMBER_BITS = math.ceil(MAX_NUMBER_DIGITS * math.log2(10))


class OverBudget(TemplateRuntimeError):
    """A template took too long, or made a value or a post too large; the message says how to fix it."""


@dataclass
class _Budget:
    """One render's deadline and the loop turns it has taken so far."""

    deadline: float
    turns: int = 0

    def spend(self, turns: int = 0) -> None:
        self.turns += turns
        if self.turns > MAX_LOOP_TURNS:
            raise OverBudget(
                _("the loops run more than {turns} times; make them smaller or remove a loop inside a loop").format(
                    turns=number(MAX_LOOP_TURNS)
                )
            )
        if clock.monotonic() > self.deadline:
            raise OverBudget(
                _("rendering took longer than {seconds} s; make the template simpler").format(
                    seconds=number(RENDER_SECONDS)
                )
            )


#: The budget of the render running in this thread; None outside ``Renderer.render``.
_budget: ContextVar[_Budget | None] = ContextVar("outreach_render_budget", default=None)
#: True while Jinja compiles a template in this thread.
_compiling: ContextVar[bool] = ContextVar("outreach_compiling_template", default=False)


def _check_time() -> None:
    budget = _budget.get()
    if budget is not None:
        budget.spend()


def _counted(items: Iterable[Any]) -> Iterator[Any]:
    """The items, one loop turn of the budget each."""
    budget = _budget.get()
    for item in items:
        if budget is not None:
            budget.spend(turns=1)
        yield item


def _check_size(value: Any) -> Any:
    """``value``, unless it is text or a list too long to end up in a post."""
    if isinstance(value, (str, list, tuple)) and len(value) > MAX_RENDER_CHARACTERS:
        raise OverBudget(
            _("a value is longer than {limit} items or characters; repeat less").format(
                limit=number(MAX_RENDER_CHARACTERS)
            )
        )
    return value


def _check_operands(operator: str, left: Any, right: Any) -> None:
    """Refuse ``**``, ``*`` and ``+`` whose result would be huge, before computing it."""
    too_large = False
    numbers = isinstance(left, int) and isinstance(right, int)
    if operator == "**" and numbers:
        too_large = right > 0 and abs(left) > 1 and right * math.log10(abs(left)) > MAX_NUMBER_DIGITS
    elif operator == "*" and numbers:
        too_large = abs(left).bit_length() + abs(right).bit_length() > _MAX_NUMBER_BITS
    elif operator == "*" and isinstance(left, (str, list, tuple)) and isinstance(right, int):
        too_large = len(left) * right > MAX_RENDER_CHARACTERS
    elif operator == "*" and isinstance(right, (str, list, tuple)) and isinstance(left, int):
        too_large = len(right) * left > MAX_RENDER_CHARACTERS
    elif operator == "+" and isinstance(left, (str, list, tuple)) and isinstance(right, (str, list, tuple)):
        too_large = len(left) + len(right) > MAX_RENDER_CHARACTERS
    if too_large:
        limit = (
            _("a number of more than {digits} digits").format(digits=number(MAX_NUMBER_DIGITS))
            if numbers
            else _("more than {limit} items or characters").format(limit=number(MAX_RENDER_CHARACTERS))
        )
        raise OverBudget(
            _("the result of {operator} would be too large ({limit}); use smaller numbers").format(
                operator=operator, limit=limit
            )
        )


def bounded_filter(function: Callable[..., Any]) -> Callable[..., Any]:
    """A filter within the budget: its result is size-checked, and a generator it returns
    (``map``, ``slice`` …) counts loop turns (``wraps`` keeps Jinja's pass_context marks).

    While a template compiles it refuses to run, so Jinja does not fold a filter on constants
    (``'x'|center(999999999)``) there, outside any render's budget.
    """

    @functools.wraps(function)
    def bounded(*args: Any, **kwargs: Any) -> Any:
        if _compiling.get():
            raise OverBudget(_("filters run when the template renders, not while it compiles"))
        result = function(*args, **kwargs)
        return _counted(result) if isinstance(result, Iterator) else _check_size(result)

    return bounded


class _BoundedCode(CodeGenerator):
    """Compiles each ``{% for %}`` to loop over ``environment.counted(...)`` of its sequence, and
    each ``~`` to a size-checked join.

    A loop that outputs nothing calls no sandbox hook, so without this nested loops would run
    unchecked; nor is ``~`` an operator the sandbox can intercept. ``EnvironmentAttribute`` is
    Jinja's node for calling back into the environment.
    """

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        self.write("environment.check_size(")
        super().visit_Concat(node, frame)
        self.write(")")

    def visit_For(self, node: nodes.For, frame: Frame) -> None:
        sequence = node.iter
        node.iter = nodes.Call(
            nodes.EnvironmentAttribute("counted", lineno=sequence.lineno),
            [sequence],
            [],
            None,
            None,
            lineno=sequence.lineno,
        )
        try:
            super().visit_For(node, frame)
        finally:
            node.iter = sequence


class BoundedSandbox(SandboxedEnvironment):
    """The sandbox with every way a template could run for minutes or fill memory bounded.

    ``**``, ``*``, ``+`` and ``%`` are intercepted (which also keeps Jinja from folding them at
    compile time), every loop turn counts, every call checks the deadline, and results (and a
    list a method grew) are size-checked.
    """

    intercepted_binops = frozenset({"**", "*", "+", "%"})
    code_generator_class = _BoundedCode
    counted = staticmethod(_counted)
    check_size = staticmethod(_check_size)

    def compile(self, *args: Any, **kwargs: Any) -> Any:
        token = _compiling.set(True)
        try:
            return super().compile(*args, **kwargs)
        finally:
            _compiling.reset(token)

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        _check_time()
        _check_operands(operator, left, right)
        return _check_size(super().call_binop(context, operator, left, right))

    def call(self, context: Context, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        _check_time()
        result = super().call(context, obj, *args, **kwargs)
        _check_size(getattr(obj, "__self__", None))  # a list that a method such as extend() grew
        return _check_size(result)


def render_bounded(template: Template, context: dict[str, Any]) -> str:
    """``template.render(context)`` within ``RENDER_SECONDS`` and ``MAX_RENDER_CHARACTERS``.

    A breach is thrown into the template at the output that crossed the line, so the error's
    traceback, and the message, name that line.
    """
    token = _budget.set(_Budget(clock.monotonic() + RENDER_SECONDS))
    try:
        stream = cast(Generator[str, None, None], template.generate(context))  # Jinja types it as an Iterator
        pieces: list[str] = []
        size = 0
        for piece in stream:
            size += len(piece)
            if size > MAX_RENDER_CHARACTERS:
                too_long = _("the post is longer than {limit} characters; make the loops smaller").format(
                    limit=number(MAX_RENDER_CHARACTERS)
                )
                stream.throw(OverBudget(too_long))
            pieces.append(piece)
        return "".join(pieces)
    finally:
        _budget.reset(token)
