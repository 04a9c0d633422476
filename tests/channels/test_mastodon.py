"""What is special about Mastodon: the Idempotency-Key, ISO 8601 rate-limit resets, media processing,
and reconciling inside and outside the key's one-hour window."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pydantic
import pytest
from click.testing import CliRunner

from outreach.app import Workspace
from outreach.channels import validate_settings
from outreach.channels.base import Outcome, OutgoingPost
from outreach.cli import cli
from outreach.config import load_config
from outreach.errors import AmbiguousError, ChannelHeld, ContentRejected, RateLimited, ServerError
from outreach.limits import count_mastodon
from tests.channels.conftest import SAMPLE_IMAGE, Checkpoints, make_channel, make_post
from tests.engine_helpers import campaign, innovation, project, toml_value
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
    with pytest.raises(ChannelHeld) as caught:
        make_channel(mastodon).check()
    assert "outside the authorized scopes" in str(caught.value)


def test_a_token_without_the_write_scope_holds_the_channel(mastodon: MastodonFake) -> None:
    """A 403 is the account's, not the post's: every post would meet it."""
    mastodon.scopes = frozenset({"read", "write:media"})
    with pytest.raises(ChannelHeld, match="outside the authorized scopes"):
        make_channel(mastodon).publish(make_post(), Checkpoints())
    assert mastodon.created == []


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


# --- the instance's own limits and counting ------------------------------------------------------

FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"  # one grapheme, seven code points
REMOTE_MENTION = "@diskominfo@mastodon.bandarlampungkota.go.id"  # counts as "@diskominfo"
INSTANCE = "/api/v2/instance"


def _statuses_sent(mastodon: MastodonFake) -> int:
    return len(mastodon.server.requests("POST", STATUSES))


@pytest.mark.parametrize(
    ("text", "length"),
    [
        ("halo", 4),
        (FAMILY * 3, 3),
        ("e\u0301", 1),
        (f"Tanya {REMOTE_MENTION} ya", len("Tanya @diskominfo ya")),
        ("@kominfo_bdl", 12),
        ("surat ke warga@bandarlampungkota.go.id", 38),  # an e-mail address is not a mention
        (f"Info: https://layanan.bandarlampungkota.go.id/ktp/{'a' * 80}", len("Info: ") + 23),
        ("https://mastodon.social/@kominfo_bdl", 23),  # a mention inside a URL is part of the URL
        ("layanan.bandarlampungkota.go.id", 31),  # a bare domain is not a link on Mastodon
    ],
    ids=[
        "plain",
        "emoji-sequence",
        "combining",
        "remote-mention",
        "local-mention",
        "email",
        "url",
        "url-with-@",
        "bare",
    ],
)
def test_counting_is_the_instances(mastodon: MastodonFake, text: str, length: int) -> None:
    """Outreach's counter and the fake's (written from Mastodon's StatusLengthValidator) agree with the numbers."""
    assert count_mastodon(text) == length
    assert mastodon.length(text) == length


def test_the_instance_takes_a_full_length_post_of_emoji_sequences_and_mentions(mastodon: MastodonFake) -> None:
    """Counted in code points such a post is far over 500; the real server counts graphemes and accepts it."""
    text = f"{REMOTE_MENTION} " + FAMILY * (500 - len("@diskominfo "))
    assert count_mastodon(text) == 500 and len(text) > 3000
    make_channel(mastodon).publish(make_post(text=text), Checkpoints())
    assert len(mastodon.created) == 1

    with pytest.raises(ContentRejected):
        make_channel(mastodon).publish(make_post(text=text + FAMILY, post_id=2), Checkpoints())
    assert len(mastodon.created) == 1


def test_the_fake_refuses_one_character_over_with_422_as_the_server_does(mastodon: MastodonFake) -> None:
    mastodon.states_limits = False  # nothing warns the adapter: the instance's own validation answers
    text = "a" * 490 + FAMILY * 11
    channel = make_channel(mastodon, text_limit=1000)
    with pytest.raises(ContentRejected, match="character limit of 500 exceeded"):
        channel.publish(make_post(text=text), Checkpoints())
    channel.publish(make_post(text=text[: -len(FAMILY)], post_id=2), Checkpoints())
    assert len(mastodon.created) == 1


def test_publish_refuses_what_the_instances_lower_limit_would_naming_both_numbers(mastodon: MastodonFake) -> None:
    mastodon.max_characters = 300
    text = "Layanan baru untuk warga. " * 14  # 364 characters: within the default 500, over this instance's 300
    with pytest.raises(ContentRejected) as caught:
        make_channel(mastodon).publish(make_post(text=text), Checkpoints())
    message = str(caught.value)
    assert "364" in message and "300" in message and "text_limit is 500" in message
    assert _statuses_sent(mastodon) == 0 and mastodon.created == []


def test_publish_measures_links_with_the_instances_reserved_length(mastodon: MastodonFake) -> None:
    mastodon.characters_reserved_per_url = 40
    url = "https://layanan.bandarlampungkota.go.id/ktp"
    text = "a" * (500 - 23 - 1) + " " + url  # 500 where a link counts 23, 517 on this instance
    with pytest.raises(ContentRejected, match="517 characters") as caught:
        make_channel(mastodon).publish(make_post(text=text), Checkpoints())
    assert "limit of 500" in str(caught.value)
    assert _statuses_sent(mastodon) == 0


def test_the_instances_limits_are_read_once_per_adapter(mastodon: MastodonFake) -> None:
    channel = make_channel(mastodon)
    channel.check()
    channel.publish(make_post(), Checkpoints())
    channel.publish(make_post(post_id=2), Checkpoints())
    assert len(mastodon.server.requests("GET", INSTANCE)) == 1
    make_channel(mastodon).publish(make_post(post_id=3), Checkpoints())
    assert len(mastodon.server.requests("GET", INSTANCE)) == 2  # a new adapter asks again


def test_an_image_over_the_instances_size_limit_is_refused_before_upload(mastodon: MastodonFake) -> None:
    mastodon.image_size_limit = SAMPLE_IMAGE.stat().st_size - 1
    with pytest.raises(ContentRejected) as caught:
        make_channel(mastodon).publish(make_post(image=SAMPLE_IMAGE), Checkpoints())
    message = str(caught.value)
    assert f"{SAMPLE_IMAGE.stat().st_size} bytes" in message and f"{mastodon.image_size_limit} bytes" in message
    assert mastodon.server.requests("POST", "/api/v2/media") == [] and mastodon.created == []


def test_an_image_type_the_instance_does_not_take_is_refused_before_upload(mastodon: MastodonFake) -> None:
    mastodon.supported_mime_types = ("image/png", "image/webp")
    with pytest.raises(ContentRejected, match="image/jpeg"):
        make_channel(mastodon).publish(make_post(image=SAMPLE_IMAGE), Checkpoints())
    assert mastodon.server.requests("POST", "/api/v2/media") == []


def test_the_fake_refuses_an_image_over_its_size_limit_with_422(mastodon: MastodonFake) -> None:
    mastodon.states_limits = False
    mastodon.image_size_limit = 1024
    with pytest.raises(ContentRejected, match="file size must be less than"):
        make_channel(mastodon).publish(make_post(image=SAMPLE_IMAGE), Checkpoints())
    assert mastodon.created == []


def test_check_reports_the_instances_limits(mastodon: MastodonFake) -> None:
    detail = make_channel(mastodon).check().detail
    assert "instance allows 500 characters, a link counts 23" in detail
    assert "warning" not in detail


@pytest.mark.parametrize(
    ("instance", "config", "expected"),
    [
        (
            {"max_characters": 400},
            {"text_limit": 500},
            "warning: text_limit is 500 but the instance allows 400: longer posts will be refused; set text_limit = 400",
        ),
        ({}, {"text_limit": 1000}, "warning: text_limit is 1000 but the instance allows 500"),
        (
            {"max_characters": 5000},
            {"text_limit": 500},
            "the instance allows more than text_limit 500: set text_limit = 5000",
        ),
        (
            {"characters_reserved_per_url": 30},
            {"text_limit": 500},
            "a link counts 30 on this instance, not 23: preview and plan will count it so",
        ),
        (
            {"image_size_limit": 8 * 1024 * 1024},
            {"max_image_bytes": 16 * 1024 * 1024},
            "warning: max_image_bytes is 16777216 but the instance takes images up to 8388608 bytes",
        ),
        ({"states_limits": False}, {}, "warning: the instance does not state its limits"),
        (
            {"max_characters": 5000, "characters_reserved_per_url": 30},
            {},
            "preview and plan will render within 5000 characters, a link counting 30",
        ),
    ],
    ids=[
        "instance-lower",
        "config-higher",
        "instance-higher",
        "link-length",
        "image-size",
        "no-limits",
        "learned-limits-apply",
    ],
)
def test_check_warns_where_the_config_and_the_instance_disagree(
    mastodon: MastodonFake, instance: dict[str, Any], config: dict[str, Any], expected: str
) -> None:
    for attribute, value in instance.items():
        setattr(mastodon, attribute, value)
    detail = make_channel(mastodon, **config).check().detail
    assert expected in detail


def test_an_instance_without_v2_instance_still_publishes(mastodon: MastodonFake) -> None:
    mastodon.states_limits = False
    make_channel(mastodon).publish(make_post(), Checkpoints())
    assert len(mastodon.created) == 1


def _check_from_the_command_line(tmp_path: Path, mastodon: MastodonFake, **overrides: Any) -> tuple[str, Workspace]:
    """``outreach channels check`` over a config with this one channel; the workspace reads its store."""
    block = {**mastodon.channel_settings(), **overrides}
    lines = [f'store = "{tmp_path / "store.sqlite3"}"', "[channels.mastodon]"]
    lines += [f"{key} = {toml_value(value)}" for key, value in block.items()]
    config = tmp_path / "outreach.toml"
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = CliRunner(env=mastodon.environ).invoke(cli, ["--config", str(config), "channels", "check"])
    assert result.exit_code == 0, result.output
    return result.output, Workspace(load_config(config, mastodon.environ))


def test_rendering_follows_the_limits_channels_check_learned(tmp_path: Path, mastodon: MastodonFake) -> None:
    mastodon.max_characters = 1000
    mastodon.characters_reserved_per_url = 30
    output, workspace = _check_from_the_command_line(tmp_path, mastodon)
    assert "preview and plan will render within 1000 characters, a link counting 30" in output
    limit = workspace.channel_view("mastodon").capabilities.text_limit
    assert (limit.maximum, limit.url_length) == (1000, 30)
    text = "a" * 900 + " https://layanan.bandarlampungkota.go.id/ktp"  # 931 on this instance
    assert limit.measure(text) == 931 and limit.fits(text)
    assert not replace(limit, maximum=930).fits(text)
    workspace.close()


def test_a_text_limit_in_the_config_wins_over_the_learned_one(tmp_path: Path, mastodon: MastodonFake) -> None:
    mastodon.max_characters = 1000
    mastodon.characters_reserved_per_url = 30
    output, workspace = _check_from_the_command_line(tmp_path, mastodon, text_limit=500)
    assert "preview and plan will render within" not in output
    limit = workspace.channel_view("mastodon").capabilities.text_limit
    assert (limit.maximum, limit.url_length) == (500, 30)  # a link still counts what the instance counts
    workspace.close()


def test_preview_renders_longer_posts_after_channels_check_learns_a_higher_limit(
    tmp_path: Path, mastodon: MastodonFake
) -> None:
    mastodon.max_characters = 1000
    summary = "Anda bisa mengurus layanan ini dengan mudah di kantor kelurahan. " * 10  # 650 characters
    config = project(
        tmp_path,
        [innovation("ktp-kilat", ringkasan=summary.strip())],
        channels={"mastodon": mastodon.channel_settings()},
        campaigns={"inovasi": campaign(["mastodon"])},
        store=str(tmp_path / "store.sqlite3"),
    )
    runner = CliRunner(env=mastodon.environ)
    preview = ["--config", str(config), "--now", "2026-12-01T08:00+07:00", "preview", "--days", "1"]

    def longest_post() -> tuple[int, int]:
        result = runner.invoke(cli, [*preview, "--format", "json"])
        assert result.exit_code == 0, result.output
        posts = json.loads(result.stdout)
        return max((post["length"], post["limit"]) for post in posts)

    before = longest_post()
    assert before[1] == 500 and before[0] <= 500
    assert runner.invoke(cli, ["--config", str(config), "channels", "check"]).exit_code == 0
    after = longest_post()
    assert after[1] == 1000 and after[0] > 500


def test_an_instance_that_stops_stating_its_limits_leaves_the_defaults(tmp_path: Path, mastodon: MastodonFake) -> None:
    mastodon.max_characters = 1000
    _check_from_the_command_line(tmp_path, mastodon)[1].close()
    mastodon.states_limits = False
    output, workspace = _check_from_the_command_line(tmp_path, mastodon)
    assert "the configured ones apply" in output
    limit = workspace.channel_view("mastodon").capabilities.text_limit
    assert (limit.maximum, limit.url_length) == (500, 23)
    workspace.close()
