"""What is special about Mastodon: the Idempotency-Key, ISO 8601 rate-limit resets, media processing,
and reconciling inside and outside the key's one-hour window."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pydantic
import pytest

from outreach.channels import validate_settings
from outreach.channels.base import Outcome, OutgoingPost
from outreach.errors import AmbiguousError, AuthError, ContentRejected, RateLimited, ServerError
from tests.channels.conftest import SAMPLE_IMAGE, Checkpoints, make_channel, make_post
from tests.fakeplatform.mastodon import MastodonFake, iso
from tests.fakeplatform.server import FakeServer, Fault, json_response

STATUSES = "/api/v1/statuses"
#: A text whose HTML rendering hides parts of the URL, escapes '&' and "'", and links a hashtag.
RICH_TEXT = (
    "Urus KTP-el kini selesai dalam satu hari & gratis.\n\n"
    "Loket tetap buka hari Jum'at. Syarat: https://layanan.bandarlampungkota.go.id/ktp/persyaratan-lengkap "
    "#BandarLampung"
)


@pytest.fixture
def mastodon(server: FakeServer) -> MastodonFake:
    return MastodonFake(server)


def _attempted_now(**kwargs: Any) -> OutgoingPost:
    """A post as the publisher hands it over for its first attempt: with that attempt's time."""
    return make_post(first_attempt_at=datetime.now(UTC), **kwargs)


def _two_hours_ago() -> datetime:
    return datetime.now(UTC) - timedelta(hours=2)


def test_idempotency_key_is_the_post_key_across_retries_and_restarts(mastodon: MastodonFake) -> None:
    post = _attempted_now()
    channel = make_channel(mastodon)
    mastodon.server.inject(Fault("reset", path=STATUSES))  # the instance creates the status, the answer is lost
    with pytest.raises(AmbiguousError):
        channel.publish(post, Checkpoints())

    first = channel.publish(post, Checkpoints())
    after_restart = make_channel(mastodon).publish(post, Checkpoints())

    keys = [request.headers.get("Idempotency-Key") for request in mastodon.server.requests("POST", STATUSES)]
    assert keys == [post.key, post.key, post.key]
    assert len(mastodon.created) == 1
    assert first == after_restart
    assert first.remote_id == mastodon.created[0]["id"]


def test_repeat_with_the_same_key_returns_the_original_status(mastodon: MastodonFake) -> None:
    post = make_post()
    original = make_channel(mastodon).publish(post, Checkpoints())
    repeat = make_channel(mastodon).publish(post, Checkpoints())
    assert repeat == original
    assert original.url == f"{mastodon.server.url}/@{mastodon.USERNAME}/{original.remote_id}"
    assert len(mastodon.created) == 1 and len(mastodon.statuses) == 1

    other = make_channel(mastodon).publish(make_post(post_id=2), Checkpoints())
    assert other.remote_id != original.remote_id
    assert len(mastodon.created) == 2


@pytest.mark.parametrize(
    "reset",
    [
        iso,  # Mastodon's own form: 2026-12-01T02:01:30.000Z
        lambda moment: moment.astimezone(timezone(timedelta(hours=7))).isoformat(),  # with an offset (WIB)
    ],
    ids=["utc-z", "offset"],
)
def test_rate_limit_reset_in_iso_8601_gives_retry_after(mastodon: MastodonFake, reset) -> None:
    when = datetime.now(UTC) + timedelta(seconds=90)
    headers = {"X-RateLimit-Limit": "300", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset(when)}
    response = json_response({"error": "Too many requests"}, status=429, headers=headers)
    mastodon.server.inject(Fault("status", path=STATUSES, response=response))
    with pytest.raises(RateLimited) as caught:
        make_channel(mastodon).publish(make_post(), Checkpoints())
    assert caught.value.retry_after == pytest.approx(90, abs=2)
    assert mastodon.created == []


def test_image_is_uploaded_with_alt_text_and_awaited_while_processing(mastodon: MastodonFake) -> None:
    post = make_post(image=SAMPLE_IMAGE)
    result = make_channel(mastodon).publish(post, Checkpoints())

    uploads = mastodon.server.requests("POST", "/api/v2/media")
    assert len(uploads) == 1
    assert uploads[0].form["description"] == post.alt_text == "Petugas melayani warga di loket KTP-el"
    ((media_id, media),) = mastodon.media.items()
    assert media["size"] == SAMPLE_IMAGE.stat().st_size and media["content_type"] == "image/jpeg"
    # 202 on upload, 206 on the first look, 200 with a URL on the second: only then the status.
    assert len(mastodon.server.requests("GET", rf"/api/v1/media/{media_id}")) == 2
    assert mastodon.created[0]["media_ids"] == [media_id]
    assert mastodon.statuses[0]["media_attachments"][0]["description"] == post.alt_text
    assert result.remote_id == mastodon.created[0]["id"]


def test_image_never_ready_is_transient_and_posts_nothing(mastodon: MastodonFake) -> None:
    mastodon.processing_polls = 1000
    channel = make_channel(mastodon, media_timeout=0.2)
    with pytest.raises(ServerError) as caught:
        channel.publish(make_post(image=SAMPLE_IMAGE), Checkpoints())
    assert "still being processed" in str(caught.value)
    assert mastodon.created == []


def test_instance_validation_error_is_content_rejected(mastodon: MastodonFake) -> None:
    mastodon.states_limits = False  # an instance older than 4.0: only its 422 tells
    channel = make_channel(mastodon, text_limit=1000)  # the config claims more than this instance allows
    with pytest.raises(ContentRejected) as caught:
        channel.publish(make_post(text="Layanan baru. " * 45), Checkpoints())
    assert "character limit of 500 exceeded" in str(caught.value)
    assert str(caught.value).startswith("test:")
    assert mastodon.created == []


def test_check_names_the_account_on_its_instance(mastodon: MastodonFake) -> None:
    identity = make_channel(mastodon).check()
    assert identity.handle == f"@{mastodon.USERNAME}@127.0.0.1"
    assert "Diskominfo Kota Bandar Lampung" in identity.detail


def test_check_proves_the_read_scope_reconcile_needs(mastodon: MastodonFake) -> None:
    mastodon.scopes = frozenset({"read:accounts", "write:statuses", "write:media"})
    with pytest.raises(AuthError) as caught:
        make_channel(mastodon).check()
    assert "outside the authorized scopes" in str(caught.value)


def test_base_url_must_name_the_instance() -> None:
    with pytest.raises(pydantic.ValidationError):
        validate_settings({"type": "mastodon"})


@pytest.mark.parametrize("cache_lost", [False, True], ids=["key-remembered", "instance-lost-its-cache"])
def test_reconcile_within_the_window_finds_the_status_that_landed(mastodon: MastodonFake, cache_lost: bool) -> None:
    post = _attempted_now(text=RICH_TEXT)
    mastodon.server.inject(Fault("reset", path=STATUSES))
    with pytest.raises(AmbiguousError):
        make_channel(mastodon).publish(post, Checkpoints())
    if cache_lost:
        mastodon.forget_idempotency_keys()  # e.g. the instance's Redis restarted

    outcome = make_channel(mastodon).reconcile(post)
    assert outcome.outcome is Outcome.PUBLISHED
    assert outcome.result is not None and outcome.result.remote_id == mastodon.created[0]["id"]
    assert len(mastodon.created) == 1
    assert len(mastodon.server.requests("POST", STATUSES)) == 1  # found by looking; nothing sent again


def test_reconcile_within_the_window_completes_a_publication_that_never_arrived(mastodon: MastodonFake) -> None:
    post = _attempted_now()
    mastodon.server.inject(Fault("reset", path=STATUSES, process=False))
    with pytest.raises(AmbiguousError):
        make_channel(mastodon).publish(post, Checkpoints())
    assert mastodon.created == []

    outcome = make_channel(mastodon).reconcile(post)
    assert outcome.outcome is Outcome.PUBLISHED
    assert len(mastodon.created) == 1 and outcome.result is not None
    assert outcome.result.remote_id == mastodon.created[0]["id"]
    sent = mastodon.server.requests("POST", STATUSES)
    assert [request.headers.get("Idempotency-Key") for request in sent] == [post.key, post.key]


def test_reconcile_after_the_window_finds_the_status_by_its_text(mastodon: MastodonFake) -> None:
    post = make_post(text=RICH_TEXT)
    published = make_channel(mastodon).publish(post, Checkpoints())
    mastodon.forget_idempotency_keys()
    posts_before = len(mastodon.server.requests("POST", STATUSES))

    outcome = make_channel(mastodon).reconcile(replace(post, first_attempt_at=_two_hours_ago()))
    assert outcome.outcome is Outcome.PUBLISHED
    assert outcome.result == published
    assert len(mastodon.server.requests("POST", STATUSES)) == posts_before  # looked, did not post


def test_reconcile_after_the_window_cannot_tell_when_the_text_is_absent(mastodon: MastodonFake) -> None:
    make_channel(mastodon).publish(make_post(text="Pengumuman lain untuk warga."), Checkpoints())
    outcome = make_channel(mastodon).reconcile(replace(make_post(post_id=2), first_attempt_at=_two_hours_ago()))
    assert outcome.outcome is Outcome.CANNOT_TELL
    assert len(mastodon.created) == 1


def test_a_status_older_than_the_first_attempt_is_not_taken_for_it(mastodon: MastodonFake) -> None:
    post = make_post()
    make_channel(mastodon).publish(post, Checkpoints())
    mastodon.forget_idempotency_keys()
    mastodon.statuses[0]["created_at"] = iso(datetime.now(UTC) - timedelta(hours=3))  # last month's post
    outcome = make_channel(mastodon).reconcile(replace(post, first_attempt_at=_two_hours_ago()))
    assert outcome.outcome is Outcome.CANNOT_TELL


def test_reconcile_without_a_recorded_attempt_is_not_published(mastodon: MastodonFake) -> None:
    outcome = make_channel(mastodon).reconcile(make_post())
    assert outcome.outcome is Outcome.NOT_PUBLISHED
    assert mastodon.server.requests() == []


def test_retry_after_the_window_returns_the_earlier_status_instead_of_posting_again(mastodon: MastodonFake) -> None:
    post = make_post(text=RICH_TEXT)
    published = make_channel(mastodon).publish(post, Checkpoints())
    mastodon.forget_idempotency_keys()

    retried = make_channel(mastodon).publish(replace(post, first_attempt_at=_two_hours_ago()), Checkpoints())
    assert retried == published
    assert len(mastodon.created) == 1
    assert len(mastodon.server.requests("POST", STATUSES)) == 1
