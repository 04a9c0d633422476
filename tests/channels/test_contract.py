"""One contract, every adapter: the publisher relies on each of these behaviours."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from outreach.errors import AmbiguousError, AuthError, ContentRejected, RateLimited, TransientError
from outreach.platforms import PLATFORM_CAPABILITIES
from tests.channels.conftest import Checkpoints, make_channel, make_post, post_for
from tests.fakeplatform.base import PlatformFake
from tests.fakeplatform.server import Fault


def test_success_gives_remote_id_and_url(fake: PlatformFake) -> None:
    channel = make_channel(fake)
    result = channel.publish(post_for(channel), Checkpoints())
    assert result.remote_id
    if not channel.capabilities.hand_off:
        assert result.url and result.url.startswith(("http://", "https://"))
        assert len(fake.created) == 1


def test_invalid_token_is_an_auth_error(http_fake: PlatformFake) -> None:
    http_fake.expire_token()
    channel = make_channel(http_fake)
    with pytest.raises(AuthError):
        channel.publish(post_for(channel), Checkpoints())
    assert http_fake.created == []


def test_rate_limit_carries_the_platforms_retry_after(http_fake: PlatformFake) -> None:
    http_fake.server.inject(Fault("status", path=http_fake.create_path, response=http_fake.rate_limit_response(37)))
    channel = make_channel(http_fake)
    with pytest.raises(RateLimited) as caught:
        channel.publish(post_for(channel), Checkpoints())
    assert caught.value.retry_after == pytest.approx(37, abs=2)


def test_server_error_is_transient(http_fake: PlatformFake) -> None:
    http_fake.server.inject(Fault("status", path=http_fake.create_path, response=http_fake.server_error_response()))
    channel = make_channel(http_fake)
    with pytest.raises(TransientError):
        channel.publish(post_for(channel), Checkpoints())
    assert http_fake.created == []


def test_timeout_after_sending_is_ambiguous(http_fake: PlatformFake) -> None:
    http_fake.server.inject(Fault("slow", path=http_fake.create_path, delay=1.5))
    channel = make_channel(http_fake, read_timeout=0.5)
    with pytest.raises(AmbiguousError):
        channel.publish(post_for(channel), Checkpoints())


def test_connection_reset_after_sending_is_ambiguous(http_fake: PlatformFake) -> None:
    http_fake.server.inject(Fault("reset", path=http_fake.create_path))
    channel = make_channel(http_fake)
    with pytest.raises(AmbiguousError):
        channel.publish(post_for(channel), Checkpoints())


def test_declared_limits_match_the_platform_rules(fake: PlatformFake) -> None:
    channel = make_channel(fake)
    assert channel.capabilities == PLATFORM_CAPABILITIES[channel.platform]


def test_over_limit_post_is_refused_before_any_request(fake: PlatformFake) -> None:
    channel = make_channel(fake)
    before = len(fake.server.requests())
    too_long = "Layanan baru untuk warga. " * 4000
    with pytest.raises(ContentRejected):
        channel.publish(post_for(channel, text=too_long), Checkpoints())
    assert len(fake.server.requests()) == before
    assert fake.created == []


def test_secret_never_leaks(fake: PlatformFake, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    channel = make_channel(fake)
    channel.publish(post_for(channel), Checkpoints())
    messages = []
    if fake.http_faults:
        fake.expire_token()
        with pytest.raises(AuthError) as caught:
            channel.publish(post_for(channel, post_id=2), Checkpoints())
        messages.append(str(caught.value))
    printed = "\n".join(messages + [record.getMessage() for record in caplog.records])
    for secret in fake.environ.values():
        assert secret not in printed


@pytest.mark.parametrize("unreadable", ["missing", "a folder"])
def test_an_unreadable_image_fails_the_post_before_any_request(
    fake: PlatformFake, tmp_path: Path, unreadable: str
) -> None:
    """``Channel.read_image`` refuses it as content (the post ends ``failed``), never an OSError (``unknown``)."""
    image = tmp_path / "foto.jpg"
    if unreadable == "a folder":
        image.mkdir()
    channel = make_channel(fake)
    before = len(fake.server.requests())
    with pytest.raises(ContentRejected, match="foto.jpg"):
        channel.publish(make_post(image=image), Checkpoints())
    assert len(fake.server.requests()) == before
    assert fake.created == []


def test_the_first_attempt_is_the_publishers_record_not_the_adapters(fake: PlatformFake) -> None:
    """The time of the first attempt comes in ``OutgoingPost.first_attempt_at``; no adapter keeps its own."""
    checkpoints = Checkpoints()
    channel = make_channel(fake)
    channel.publish(post_for(channel), checkpoints)
    assert "first_attempt_at" not in checkpoints.state


def test_close_releases_the_http_client_the_channel_made(http_fake: PlatformFake) -> None:
    channel = make_channel(http_fake)
    assert "http" not in vars(channel)  # nothing is opened before the first request
    channel.publish(post_for(channel), Checkpoints())
    session = channel.http.session

    channel.close()

    assert "http" not in vars(channel)
    # Its connections to the host stay in the process's pools for other channels (test_http_pools.py).
    # Used again after close, the channel makes a new client (a new session) rather than failing.
    channel.publish(post_for(channel, post_id=2, text="Pengumuman kedua untuk warga."), Checkpoints())
    assert channel.http.session is not session
    channel.close()


def test_close_on_a_channel_that_never_made_a_request_opens_nothing(fake: PlatformFake) -> None:
    channel = make_channel(fake)
    channel.close()
    assert "http" not in vars(channel)
    assert fake.server.requests() == []
