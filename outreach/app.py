"""The wiring a command runs on: config, clock, store, renderer, channels and the services, built once.

Commands stay thin: they ask the workspace for a service (planning, operations, a publisher),
call it, and print. Parts are created on first use, so ``--help`` or ``preview`` never open a
channel and a command that needs no store never creates one.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any

from .channels import adapter_class, build_channel
from .channels.base import Channel
from .clock import Clock, SystemClock
from .config import Config
from .errors import ConfigError
from .i18n import _
from .render import ChannelView, Renderer
from .store import Store

if TYPE_CHECKING:  # imported where first used: a command that only reads the store (report, history) skips them
    from .holds import Holds
    from .operations import Operations
    from .planning import Planning
    from .publisher import Publisher

#: Store setting (followed by the channel's name) holding the limits its platform stated.
LEARNED_LIMITS = "learned_limits:"


class Workspace:
    """Everything a command needs, created lazily from a validated ``Config`` and one clock.

    ``on_new_store`` is called when opening the store created it: the command line announces it,
    because a store that appears where one was expected may mean the old one was lost.
    """

    def __init__(
        self,
        config: Config,
        clock: Clock | None = None,
        on_new_store: Callable[[Store], None] | None = None,
    ) -> None:
        self.config = config
        self.clock: Clock = clock or SystemClock()
        self._on_new_store = on_new_store
        self._adapters: dict[str, Channel] = {}

    def now(self) -> datetime:
        return self.clock.now()

    @property
    def zone(self) -> Any:
        return self.config.timezone

    # ---- parts -------------------------------------------------------------------------------

    @cached_property
    def store(self) -> Store:
        """Opened on first use, at the clock's time (a rehearsal's store begins at its first day)."""
        store = Store(self.config.store_url, self.clock.now())
        if store.is_new and self._on_new_store is not None:
            self._on_new_store(store)
        return store

    @cached_property
    def renderer(self) -> Renderer:
        return Renderer(self.zone, self.config.templates_dir)

    @cached_property
    def glossary(self) -> Any:
        from .plainlang import Glossary

        return Glossary.load(self.config.glossary_path)

    @cached_property
    def planning(self) -> Planning:
        from .planning import Planning

        return Planning(
            self.config, self.clock, lambda: self.store, self.renderer, self.channel_view, lambda: self.glossary
        )

    @cached_property
    def holds(self) -> Holds:
        from .holds import Holds

        return Holds(self.store, self.clock, self.config.publishing.hold_probe_minutes)

    @cached_property
    def operations(self) -> Operations:
        from .operations import Operations, TextRules

        return Operations(self.store, self.clock, TextRules(self.channel_view, self.planning.check_language))

    def publisher(
        self, *, jitter: Callable[[], float] = random.random, stop: threading.Event | None = None
    ) -> Publisher:
        """A publisher over this workspace's store, channels and clock."""
        from .publisher import Publisher

        return Publisher(
            self.store,
            self.adapter,
            self.clock,
            self.config.publishing,
            outgoing=self.planning.outgoing,
            language_gate=self.planning.blocked_by_language,
            jitter=jitter,
            stop=stop,
        )

    def close(self) -> None:
        for adapter in self._adapters.values():
            adapter.close()
        if "store" in self.__dict__:
            self.store.close()

    # ---- channels ----------------------------------------------------------------------------

    def channel_settings(self, name: str) -> Any:
        try:
            return self.config.channels[name]
        except KeyError:
            known = ", ".join(self.config.channels) or _("none")
            raise ConfigError(
                _("no channel named '{name}' in {config} (channels: {known})").format(
                    name=name, config=self.config.path, known=known
                )
            ) from None

    def channel_view(self, name: str) -> ChannelView:
        """How a channel renders: its config's limits, else what its platform last said at
        ``channels check`` (``learn_limits``), else the platform's defaults."""
        settings = self.channel_settings(name)
        adapter = adapter_class(settings.type)
        learned = self.store.get_setting(LEARNED_LIMITS + name) if adapter.learns_limits else None
        capabilities = (
            adapter.learned_capabilities(settings, learned) if learned else adapter.capabilities_for(settings)
        )
        return ChannelView(name, adapter.platform_for(settings), capabilities, settings.utm)

    def learn_limits(self, name: str) -> None:
        """Keep what a checked channel's platform said about its limits, for ``channel_view``; a
        platform that no longer states them leaves the config's and the defaults in force."""
        adapter = self.adapter(name)
        if adapter.learns_limits:
            self.store.set_setting(LEARNED_LIMITS + name, adapter.learned_limits())

    def adapter(self, name: str) -> Channel:
        if name not in self._adapters:
            self._adapters[name] = build_channel(name, self.channel_settings(name), self.config.environ, self.clock)
        return self._adapters[name]
