"""Fixtures shared by the channel tests: every platform fake, and posts to publish."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

import tests.fakeplatform as fakeplatform_package
from outreach.channels import build_channel, validate_settings
from outreach.channels.base import Channel, OutgoingPost
from outreach.clock import Clock, SystemClock
from tests.fakeplatform.base import PlatformFake
from tests.fakeplatform.server import FakeServer

SAMPLE_IMAGE = Path(__file__).parent.parent / "data" / "sample.jpg"


def _discover_fakes() -> list[type[PlatformFake]]:
    fakes = []
    for module_info in sorted(pkgutil.iter_modules(fakeplatform_package.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"tests.fakeplatform.{module_info.name}")
        if hasattr(module, "FAKE"):
            fakes.append(module.FAKE)
    return fakes


ALL_FAKES = _discover_fakes()


@pytest.fixture
def server() -> Iterator[FakeServer]:
    with FakeServer() as running:
        yield running


HTTP_FAKES = [fake for fake in ALL_FAKES if fake.http_faults]


@pytest.fixture(params=ALL_FAKES, ids=lambda fake: fake.channel_type)
def fake(request: pytest.FixtureRequest, server: FakeServer) -> PlatformFake:
    """Every channel type."""
    return request.param(server)


@pytest.fixture(params=HTTP_FAKES, ids=lambda fake: fake.channel_type)
def http_fake(request: pytest.FixtureRequest, server: FakeServer) -> PlatformFake:
    """Every channel type that calls a platform over HTTP (network failures apply to these)."""
    return request.param(server)


def make_channel(fake: PlatformFake, name: str = "test", clock: Clock | None = None, **overrides: Any) -> Channel:
    """An adapter configured exactly as a user would, pointing at the fake (which keeps real time)."""
    block = {"read_timeout": 2.0, **fake.channel_settings(), **overrides}
    return build_channel(name, validate_settings(block), fake.environ, clock or SystemClock())


def make_post(
    text: str = "Urus KTP-el kini selesai dalam satu hari. Info: https://layanan.bandarlampungkota.go.id/ktp",
    *,
    post_id: int = 1,
    image: Path | None = None,
    channel_state: dict[str, Any] | None = None,
    first_attempt_at: datetime | None = None,
) -> OutgoingPost:
    return OutgoingPost(
        id=post_id,
        key=f"kampanye-desember/test/ktp-sehari-jadi/perkenalan/2026-12-01T02:00:00Z#{post_id}",
        text=text,
        link="https://layanan.bandarlampungkota.go.id/ktp",
        image=image,
        alt_text="Petugas melayani warga di loket KTP-el" if image else None,
        campaign="kampanye-desember",
        kind="perkenalan",
        innovation={"id": "ktp-sehari-jadi", "nama": "KTP Sehari Jadi", "opd": "Dinas Kependudukan"},
        scheduled_at=datetime(2026, 12, 1, 2, 0, tzinfo=UTC),
        channel_state=channel_state or {},
        first_attempt_at=first_attempt_at,
        # As the publisher does: the image may come only from its catalogue's folder (here, its own).
        image_roots=(image.parent,) if image else (),
    )


def post_for(channel: Channel, **kwargs: Any) -> OutgoingPost:
    """A post the channel accepts: with an image when the platform requires one."""
    if channel.capabilities.image == "required":
        kwargs.setdefault("image", SAMPLE_IMAGE)
    return make_post(**kwargs)


class Checkpoints:
    """Collects what an adapter checkpoints, as the publisher would persist it."""

    def __init__(self) -> None:
        self.state: dict[str, Any] = {}

    def __call__(self, state: dict[str, Any]) -> None:
        self.state.update(state)
