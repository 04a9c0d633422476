"""What is special about the webhook channel: the documented body, the signature, and the receiver's answers.

The signature tests verify with the recipe printed in docs/channels/webhook.md itself, run by a
receiver on pytest-httpserver, so the documentation a city's IT team copies is what is tested.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import standardwebhooks
from pydantic import ValidationError
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from outreach.channels import build_channel, validate_settings
from outreach.channels.base import Channel
from outreach.clock import Clock, FixedClock, SystemClock
from outreach.errors import AuthError, ConfigError, ContentRejected, ServerError
from outreach.redaction import redact
from tests.channels.conftest import SAMPLE_IMAGE, Checkpoints, make_channel, make_post
from tests.fakeplatform.server import FakeServer
from tests.fakeplatform.webhook import WebhookFake

DOC = Path(__file__).parents[2] / "docs" / "channels" / "webhook.md"
SECRET = "0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c"
HOOK = "/api/outreach/posts"

Verifier = Callable[[bytes, Any, bytes], bool]


def _doc_block(language: str, containing: str) -> str:
    blocks = re.findall(rf"```{language}\n(.*?)```", DOC.read_text(encoding="utf-8"), re.DOTALL)
    return next(block for block in blocks if containing in block)


@pytest.fixture(scope="module")
def documented_verify() -> Verifier:
    """``verify_outreach_signature`` exactly as docs/channels/webhook.md prints it."""
    namespace: dict[str, Any] = {}
    exec(_doc_block("python", "def verify_outreach_signature"), namespace)
    return namespace["verify_outreach_signature"]


class Receiver:
    """A receiver on pytest-httpserver that checks every request with the documented recipe."""

    def __init__(self, httpserver: HTTPServer, verify: Verifier, secret: str = SECRET) -> None:
        self.verify = verify
        self.secret = secret
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.url = httpserver.url_for(HOOK)
        httpserver.expect_request(HOOK, method="POST").respond_with_handler(self._handle)

    def _handle(self, request: Request) -> Response:
        body = request.get_data()
        self.requests.append((dict(request.headers), body))
        if not self.verify(self.secret.encode(), request.headers, body):
            return Response(json.dumps({"error": "invalid signature"}), status=401, content_type="application/json")
        answer = {"id": "artikel-7", "url": "https://bandarlampungkota.go.id/berita/artikel-7"}
        return Response(json.dumps(answer), status=201, content_type="application/json")


def webhook(url: str, secret: str = SECRET, clock: Clock | None = None, **settings: Any) -> Channel:
    block = {"type": "webhook", "url": url, "read_timeout": 2.0, **settings}
    return build_channel(
        "situs_kota", validate_settings(block), {"OUTREACH_WEBHOOK_SECRET": secret}, clock or SystemClock()
    )


def test_body_has_the_documented_fields_and_values(httpserver: HTTPServer, documented_verify: Verifier) -> None:
    receiver = Receiver(httpserver, documented_verify)
    post = make_post(image=SAMPLE_IMAGE)
    webhook(receiver.url).publish(post, Checkpoints())

    headers, raw = receiver.requests[0]
    assert headers["Content-Type"] == "application/json"
    body = json.loads(raw)
    documented = json.loads(_doc_block("json", '"event": "post.published"'))
    assert set(body) == set(documented)
    assert body == {
        "event": "post.published",
        "channel": "situs_kota",
        "post_key": post.key,
        "post_id": 1,
        "campaign": "kampanye-desember",
        "kind": "perkenalan",
        "scheduled_at": "2026-12-01T02:00:00+00:00",
        "text": post.text,
        "link": "https://layanan.bandarlampungkota.go.id/ktp",
        "image": "sample.jpg",
        "alt_text": "Petugas melayani warga di loket KTP-el",
        "innovation": {"id": "ktp-sehari-jadi", "nama": "KTP Sehari Jadi", "opd": "Dinas Kependudukan"},
    }
    assert datetime.fromisoformat(body["scheduled_at"]).utcoffset() is not None


def test_text_only_post_sends_nulls_and_catalogue_dates_as_iso(
    httpserver: HTTPServer, documented_verify: Verifier
) -> None:
    receiver = Receiver(httpserver, documented_verify)
    post = replace(make_post(), innovation={"id": "ktp-sehari-jadi", "mulai": date(2026, 1, 15)})
    webhook(receiver.url).publish(post, Checkpoints())
    body = json.loads(receiver.requests[0][1])
    assert body["image"] is None and body["alt_text"] is None
    assert body["innovation"] == {"id": "ktp-sehari-jadi", "mulai": "2026-01-15"}


def test_signature_verifies_with_the_shared_secret_and_fails_with_another(
    httpserver: HTTPServer, documented_verify: Verifier
) -> None:
    receiver = Receiver(httpserver, documented_verify)
    result = webhook(receiver.url).publish(make_post(), Checkpoints())

    assert result.remote_id == "artikel-7"
    assert result.url == "https://bandarlampungkota.go.id/berita/artikel-7"
    headers, body = receiver.requests[0]
    assert headers["X-Outreach-Signature"].startswith("sha256=")
    assert documented_verify(SECRET.encode(), headers, body)
    assert not documented_verify(b"another-secret-entirely", headers, body)
    assert not documented_verify(SECRET.encode(), headers, body.replace(b"satu hari", b"dua hari"))


def test_timestamp_is_part_of_the_signed_material(httpserver: HTTPServer, documented_verify: Verifier) -> None:
    receiver = Receiver(httpserver, documented_verify)
    webhook(receiver.url).publish(make_post(), Checkpoints())
    headers, body = receiver.requests[0]
    timestamp = headers["X-Outreach-Timestamp"]

    assert abs(int(timestamp) - time.time()) < 60
    signed = hmac.new(SECRET.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    body_only = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert headers["X-Outreach-Signature"] == "sha256=" + signed != "sha256=" + body_only
    moved = {**headers, "X-Outreach-Timestamp": str(int(timestamp) + 1)}
    assert not documented_verify(SECRET.encode(), moved, body)


def test_the_timestamp_is_the_real_time_whatever_the_business_clock(
    httpserver: HTTPServer, documented_verify: Verifier
) -> None:
    """The receiver checks the timestamp against its own clock: a rehearsal's or a test's moved clock
    must not make every delivery look like a replay."""
    moment = datetime(2026, 12, 1, 2, 0, 5, tzinfo=UTC)
    receiver = Receiver(httpserver, documented_verify)
    before = time.time()
    webhook(receiver.url, clock=FixedClock(moment)).publish(make_post(), Checkpoints())
    headers, body = receiver.requests[0]
    assert before - 1 <= int(headers["X-Outreach-Timestamp"]) <= time.time() + 1
    assert documented_verify(SECRET.encode(), headers, body)


def test_a_replayed_request_fails_after_the_tolerance(
    httpserver: HTTPServer, documented_verify: Verifier, monkeypatch: pytest.MonkeyPatch
) -> None:
    receiver = Receiver(httpserver, documented_verify)
    webhook(receiver.url).publish(make_post(), Checkpoints())
    headers, body = receiver.requests[0]
    sent = int(headers["X-Outreach-Timestamp"])

    monkeypatch.setattr(time, "time", lambda: sent + 299.0)
    assert documented_verify(SECRET.encode(), headers, body)
    monkeypatch.setattr(time, "time", lambda: sent + 301.0)
    assert not documented_verify(SECRET.encode(), headers, body)


def test_a_receiver_with_another_secret_is_an_auth_error(httpserver: HTTPServer, documented_verify: Verifier) -> None:
    receiver = Receiver(httpserver, documented_verify, secret="the-receivers-rotated-secret")
    with pytest.raises(AuthError, match="invalid signature") as caught:
        webhook(receiver.url).publish(make_post(), Checkpoints())
    assert SECRET not in str(caught.value)


def test_idempotency_key_is_the_post_key_so_a_receiver_can_deduplicate(server: FakeServer) -> None:
    fake = WebhookFake(server)
    channel = make_channel(fake)
    post = make_post()
    first = channel.publish(post, Checkpoints())
    again = channel.publish(post, Checkpoints())

    sent = server.requests("POST", r"/hooks/outreach")
    assert [request.headers["Idempotency-Key"] for request in sent] == [post.key, post.key]
    assert first == again
    assert len(fake.created) == 1
    other = channel.publish(make_post(post_id=2), Checkpoints())
    assert other.remote_id != first.remote_id and len(fake.created) == 2


@pytest.mark.parametrize(
    "answer",
    [Response(status=204), Response("ok", status=200, content_type="text/plain")],
    ids=["empty-204", "plain-ok"],
)
def test_any_2xx_is_published_and_without_an_id_the_post_key_is_the_remote_id(
    httpserver: HTTPServer, answer: Response
) -> None:
    httpserver.expect_request(HOOK, method="POST").respond_with_response(answer)
    post = make_post()
    result = webhook(httpserver.url_for(HOOK)).publish(post, Checkpoints())
    assert result.remote_id == post.key
    assert result.url is None


@pytest.mark.parametrize(
    ("status", "body", "error", "reason"),
    [
        (422, {"error": "missing field kind"}, ContentRejected, "missing field kind"),
        (400, None, ContentRejected, "HTTP 400"),
        (404, None, ContentRejected, "HTTP 404"),
        (403, {"error": "forbidden"}, AuthError, "forbidden"),
        (500, {"error": "database unavailable"}, ServerError, "database unavailable"),
    ],
)
def test_receiver_errors_map_to_typed_errors(
    httpserver: HTTPServer, status: int, body: Any, error: type[Exception], reason: str
) -> None:
    content = json.dumps(body) if body is not None else ""
    httpserver.expect_request(HOOK, method="POST").respond_with_data(
        content, status=status, content_type="application/json"
    )
    with pytest.raises(error, match=reason) as caught:
        webhook(httpserver.url_for(HOOK)).publish(make_post(), Checkpoints())
    assert "situs_kota" in str(caught.value)


def test_static_headers_are_sent(httpserver: HTTPServer, documented_verify: Verifier) -> None:
    receiver = Receiver(httpserver, documented_verify)
    webhook(receiver.url, headers={"X-Situs": "portal-berita"}).publish(make_post(), Checkpoints())
    headers, body = receiver.requests[0]
    assert headers["X-Situs"] == "portal-berita"
    assert documented_verify(SECRET.encode(), headers, body)


@pytest.mark.parametrize(
    "block",
    [
        {"headers": {"Authorization": "Bearer abc"}},
        {"headers": {"x-outreach-signature": "sha256=00"}},
        {"headers": {"Idempotency-Key": "fixed"}},
        {"base_url": "https://cms.example.go.id"},
        {"url": "cms.example.go.id/hook"},
    ],
)
def test_config_refuses_secrets_in_headers_overrides_and_partial_addresses(block: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        validate_settings({"type": "webhook", "url": "https://cms.example.go.id/hook", **block})


def test_missing_secret_is_a_config_error_before_any_request(httpserver: HTTPServer) -> None:
    channel = build_channel(
        "situs_kota", validate_settings({"type": "webhook", "url": httpserver.url_for(HOOK)}), {}, SystemClock()
    )
    with pytest.raises(ConfigError, match="OUTREACH_WEBHOOK_SECRET"):
        channel.publish(make_post(), Checkpoints())
    assert httpserver.log == []


def test_check_sends_a_signed_ping_that_publishes_nothing(server: FakeServer) -> None:
    fake = WebhookFake(server)
    identity = make_channel(fake).check()
    assert fake.pings == 1
    assert fake.created == []
    assert identity.handle == server.url + "/hooks/outreach"
    assert "Idempotency-Key" not in server.requests("POST")[0].headers


def test_check_reports_a_secret_mismatch_as_an_auth_error(server: FakeServer) -> None:
    fake = WebhookFake(server)
    fake.expire_token()
    with pytest.raises(AuthError, match="invalid signature"):
        make_channel(fake).check()


# --- Standard Webhooks (signing = "standard") ---------------------------------------------------

STANDARD_SECRET = "whsec_TmnpOuqBDvueN/vTYcz6HcAJSdis7t8cVOPifcf7rvk="
NEXT_SECRET = "whsec_Q23pQqL8PXRrRwlrqRq3eR3u+No9pRNsdZJvxn2+nQE="


@pytest.fixture(scope="module")
def documented_standard_verify() -> Callable[[str, Any, bytes], bool]:
    """``verify_standard_webhook`` exactly as docs/channels/webhook.md prints it."""
    namespace: dict[str, Any] = {}
    exec(_doc_block("python", "def verify_standard_webhook"), namespace)
    return namespace["verify_standard_webhook"]


class StandardReceiver:
    """A receiver that verifies with the off-the-shelf ``standardwebhooks`` package, holding one secret."""

    def __init__(self, httpserver: HTTPServer, secret: str) -> None:
        self.webhook = standardwebhooks.Webhook(secret)
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.url = httpserver.url_for(HOOK)
        httpserver.expect_request(HOOK, method="POST").respond_with_handler(self._handle)

    def _handle(self, request: Request) -> Response:
        body = request.get_data()
        headers = dict(request.headers)
        self.requests.append((headers, body))
        try:
            self.webhook.verify(body, headers)
        except standardwebhooks.WebhookVerificationError as error:
            return Response(json.dumps({"error": str(error)}), status=401, content_type="application/json")
        return Response(json.dumps({"id": "artikel-9"}), status=201, content_type="application/json")


def standard_webhook(url: str, environ: dict[str, str], clock: Clock | None = None, **settings: Any) -> Channel:
    block = {"type": "webhook", "url": url, "read_timeout": 2.0, "signing": "standard", **settings}
    return build_channel("situs_kota", validate_settings(block), environ, clock or SystemClock())


def test_standard_signature_is_accepted_by_the_standardwebhooks_package(httpserver: HTTPServer) -> None:
    receiver = StandardReceiver(httpserver, STANDARD_SECRET)
    post = make_post()
    result = standard_webhook(receiver.url, {"OUTREACH_WEBHOOK_SECRET": STANDARD_SECRET}).publish(post, Checkpoints())

    assert result.remote_id == "artikel-9"  # the package verified the request, so the receiver published
    headers, body = receiver.requests[0]
    assert re.fullmatch(r"v1,[A-Za-z0-9+/]{43}=", headers["Webhook-Signature"])
    assert re.fullmatch(r"msg_[0-9a-f]{32}", headers["Webhook-Id"])
    assert "X-Outreach-Signature" not in headers and "X-Outreach-Timestamp" not in headers
    assert headers["Idempotency-Key"] == post.key
    assert standardwebhooks.Webhook(STANDARD_SECRET).verify(body, headers) == json.loads(body)


def test_standard_signature_refuses_a_tampered_body_and_another_secret(
    httpserver: HTTPServer, documented_standard_verify: Callable[[str, Any, bytes], bool]
) -> None:
    receiver = StandardReceiver(httpserver, STANDARD_SECRET)
    standard_webhook(receiver.url, {"OUTREACH_WEBHOOK_SECRET": STANDARD_SECRET}).publish(make_post(), Checkpoints())
    headers, body = receiver.requests[0]
    tampered = body.replace(b"satu hari", b"dua hari")

    with pytest.raises(standardwebhooks.WebhookVerificationError):
        standardwebhooks.Webhook(STANDARD_SECRET).verify(tampered, headers)
    with pytest.raises(standardwebhooks.WebhookVerificationError):
        standardwebhooks.Webhook(NEXT_SECRET).verify(body, headers)
    assert documented_standard_verify(STANDARD_SECRET, headers, body)
    assert not documented_standard_verify(STANDARD_SECRET, headers, tampered)
    assert not documented_standard_verify(NEXT_SECRET, headers, body)


def test_a_receiver_holding_another_standard_secret_is_an_auth_error(httpserver: HTTPServer) -> None:
    receiver = StandardReceiver(httpserver, NEXT_SECRET)
    with pytest.raises(AuthError, match="No matching signature"):
        standard_webhook(receiver.url, {"OUTREACH_WEBHOOK_SECRET": STANDARD_SECRET}).publish(make_post(), Checkpoints())


@pytest.mark.parametrize("receivers_secret", [STANDARD_SECRET, NEXT_SECRET], ids=["old-secret", "new-secret"])
def test_during_a_rotation_both_secrets_sign_and_either_receiver_accepts(
    httpserver: HTTPServer, receivers_secret: str, documented_standard_verify: Callable[[str, Any, bytes], bool]
) -> None:
    receiver = StandardReceiver(httpserver, receivers_secret)
    channel = standard_webhook(receiver.url, {"OUTREACH_WEBHOOK_SECRET": f"{STANDARD_SECRET} {NEXT_SECRET}"})
    assert channel.publish(make_post(), Checkpoints()).remote_id == "artikel-9"

    headers, body = receiver.requests[0]
    assert len(headers["Webhook-Signature"].split(" ")) == 2
    for secret in (STANDARD_SECRET, NEXT_SECRET):
        standardwebhooks.Webhook(secret).verify(body, headers)
        assert documented_standard_verify(secret, headers, body)


def test_each_of_two_rotating_secrets_is_masked_on_its_own(httpserver: HTTPServer) -> None:
    """A message or log line may show one of the two; each must be masked, not only the pair."""
    receiver = StandardReceiver(httpserver, STANDARD_SECRET)
    environ = {"OUTREACH_WEBHOOK_SECRET": f"{NEXT_SECRET} {STANDARD_SECRET}"}
    standard_webhook(receiver.url, environ).publish(make_post(), Checkpoints())
    for secret in (STANDARD_SECRET, NEXT_SECRET):
        assert secret not in redact(f"the receiver holds {secret}")


def test_the_documented_verifier_accepts_what_the_package_signs(
    documented_standard_verify: Callable[[str, Any, bytes], bool],
) -> None:
    """The stdlib recipe in the docs agrees with the reference implementation, not only with outreach."""
    body = '{"event":"ping","channel":"situs_kota"}'
    moment = datetime.now(UTC)
    headers = {
        "webhook-id": "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W",
        "webhook-timestamp": str(int(moment.timestamp())),
        "webhook-signature": standardwebhooks.Webhook(STANDARD_SECRET).sign(
            "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W", moment, body
        ),
    }
    assert documented_standard_verify(STANDARD_SECRET, headers, body.encode())
    assert not documented_standard_verify(STANDARD_SECRET, {**headers, "webhook-id": "msg_other"}, body.encode())


def test_webhook_id_is_stable_across_attempts_and_distinct_between_posts(httpserver: HTTPServer) -> None:
    receiver = StandardReceiver(httpserver, STANDARD_SECRET)
    channel = standard_webhook(receiver.url, {"OUTREACH_WEBHOOK_SECRET": STANDARD_SECRET})
    post = make_post()
    channel.publish(post, Checkpoints())
    channel.publish(post, Checkpoints())
    channel.publish(make_post(post_id=2), Checkpoints())
    channel.check()
    channel.check()

    ids = [headers["Webhook-Id"] for headers, _ in receiver.requests]
    assert ids[0] == ids[1] != ids[2]
    assert ids[3] != ids[4] and not {ids[3], ids[4]} & {ids[0], ids[2]}
    assert all("." not in message_id for message_id in ids)  # the spec forbids the separator in the id


def test_standard_timestamp_is_the_real_time_whatever_the_business_clock(httpserver: HTTPServer) -> None:
    receiver = StandardReceiver(httpserver, STANDARD_SECRET)
    before = time.time()
    clock = FixedClock(datetime(2026, 12, 1, 2, 0, 5, tzinfo=UTC))
    standard_webhook(receiver.url, {"OUTREACH_WEBHOOK_SECRET": STANDARD_SECRET}, clock=clock).publish(
        make_post(), Checkpoints()
    )
    headers, _ = receiver.requests[0]
    assert before - 1 <= int(headers["Webhook-Timestamp"]) <= time.time() + 1


@pytest.mark.parametrize(
    ("secret", "reason"),
    [
        ("0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c", "starts with 'whsec_'"),
        ("whsec_not-base64!", "not base64"),
        ("whsec_c2hvcnQ=", "5 bytes"),
        (f"{STANDARD_SECRET} {NEXT_SECRET} {STANDARD_SECRET}", "3 secrets, at most 2"),
    ],
    ids=["no-prefix", "not-base64", "too-short", "three-secrets"],
)
def test_a_secret_not_in_standard_form_is_a_config_error_before_any_request(
    httpserver: HTTPServer, secret: str, reason: str
) -> None:
    channel = standard_webhook(httpserver.url_for(HOOK), {"OUTREACH_WEBHOOK_SECRET": secret})
    with pytest.raises(ConfigError, match=reason) as caught:
        channel.publish(make_post(), Checkpoints())
    assert "OUTREACH_WEBHOOK_SECRET" in str(caught.value)
    assert not any(part in str(caught.value) for part in secret.split())
    assert httpserver.log == []


def test_static_headers_cannot_replace_the_standard_headers() -> None:
    with pytest.raises(ValidationError):
        validate_settings(
            {"type": "webhook", "url": "https://cms.example.go.id/hook", "headers": {"Webhook-Signature": "v1,AA=="}}
        )
