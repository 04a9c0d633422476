"""Sending the digest to the staff: over the Telegram fake, to a signed webhook, and by e-mail through a REAL
SMTP server on loopback (aiosmtpd), plain, with a login, and over STARTTLS with a certificate checked."""

from __future__ import annotations

import email
import email.policy
import json
import shutil
import socket
import ssl
import subprocess
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from werkzeug import Request, Response

from outreach.channels.staff import TELEGRAM_MAX_PARTS, StaffDigest, send_digest, split_message, utf16_units
from outreach.clock import SystemClock
from outreach.config import DigestSettings
from outreach.digest import build_digest, render_html, render_text, title
from outreach.errors import AuthError, ConfigError, ContentRejected, NetworkError, PermanentError, RateLimited
from outreach.store import Store
from tests.fakeplatform.server import FakeServer, Fault, json_response
from tests.fakeplatform.telegram import TEXT_LIMIT, TelegramFake
from tests.fakeplatform.webhook import verify
from tests.test_digest import HOSTILE, NOW, ZONE, _innovations, _post, _reply

STAFF_CHAT = str(TelegramFake.CHAT["id"])
WEBHOOK_SECRET = "digest-secret-51c0a7e2"


@pytest.fixture
def server() -> Iterator[FakeServer]:
    with FakeServer() as started:
        yield started


def _big_digest(store: Store) -> StaffDigest:
    """A digest of 60 waiting replies (hostile ones among them): well over one Telegram message."""
    _innovations(store)
    post = _post(store, "ktp-sehari", "m1")
    for n in range(60):
        text = HOSTILE[n % len(HOSTILE)] if n % 7 == 0 else f"syaratnya apa aja ya min? 🙏 pertanyaan {n} " * 4
        _reply(store, post, f"r{n}", text, "question", 100 - n, urgent=n == 3)
    digest = build_digest(store, NOW, ZONE)
    return StaffDigest(title(digest), render_text(digest), render_html(digest))


def test_split_keeps_every_line_under_telegrams_limit() -> None:
    text = "\n".join(["baris 😀 " * 40] * 50 + ["x" * 9000])
    parts = split_message(text)
    assert all(0 < utf16_units(part) <= TEXT_LIMIT for part in parts)
    assert "".join(parts).replace("\n", "") == text.replace("\n", "")
    blocks = "\n".join(f"• balasan {n}\n  " + "isi " * 100 for n in range(40))
    assert all(part.startswith("• balasan") for part in split_message(blocks))
    assert split_message("pendek") == ["pendek"]


def test_the_digest_goes_to_a_telegram_chat_in_parts(store: Store, server: FakeServer) -> None:
    fake = TelegramFake(server)
    staff = _big_digest(store)
    assert utf16_units(staff.text) > 2 * TEXT_LIMIT
    settings = DigestSettings(via="telegram", chat_id=STAFF_CHAT, telegram_url=server.url)
    where = send_digest(settings, staff, fake.environ, SystemClock())
    assert where == f"telegram {STAFF_CHAT}"
    sent = [message["text"] for message in fake.created]
    assert len(sent) >= 3 and all(utf16_units(text) <= TEXT_LIMIT for text in sent)
    assert "\n".join(sent).split() == staff.text.split()  # in order, nothing lost; no parse mode, so no markup
    assert all(text.startswith(("• ", "▸ ", "Citizens'", "RESPONSE TIMES")) for text in sent)  # at a block
    assert all(message["link_preview_options"] == {"is_disabled": True} for message in fake.created)


def test_telegram_asks_to_wait_between_parts_and_a_huge_digest_is_cut(store: Store, server: FakeServer) -> None:
    fake = TelegramFake(server)
    server.inject(Fault("status", path=r"/bot[^/]+/sendMessage", response=fake.rate_limit_response(1)))
    staff = _big_digest(store)
    settings = DigestSettings(via="telegram", chat_id=STAFF_CHAT, telegram_url=server.url)
    started = time.monotonic()
    send_digest(settings, staff, fake.environ, SystemClock())
    assert time.monotonic() - started >= 1.0  # waited as asked, then went on
    assert "\n".join(message["text"] for message in fake.created).split() == staff.text.split()
    fake.created.clear()
    huge = StaffDigest("s", "\n".join(f"• balasan {n}\n  " + "isi " * 200 for n in range(200)), "")
    send_digest(settings, huge, fake.environ, SystemClock())
    assert len(fake.created) == TELEGRAM_MAX_PARTS
    assert (
        fake.created[-1]["text"].startswith("… ")
        and "outreach replies digest --format html" in fake.created[-1]["text"]
    )
    server.inject(Fault("status", path=r"/bot[^/]+/sendMessage", response=fake.rate_limit_response(3600)))
    with pytest.raises(RateLimited):
        send_digest(settings, StaffDigest("s", "isi", ""), fake.environ, SystemClock())


def test_a_wrong_bot_token_or_chat_is_a_typed_error_without_the_token(store: Store, server: FakeServer) -> None:
    fake = TelegramFake(server)
    staff = StaffDigest("s", "isi", "<p>isi</p>")
    wrong = "7012345678:AAHwrongTelegramBotTokenQx9Lm2Vb7Nc4Zt"
    settings = DigestSettings(via="telegram", chat_id=STAFF_CHAT, telegram_url=server.url, bot_token_env="STAFF_BOT")
    with pytest.raises(AuthError) as refused:
        send_digest(settings, staff, {"STAFF_BOT": wrong}, SystemClock())
    assert wrong not in str(refused.value)
    elsewhere = DigestSettings(via="telegram", chat_id="-1009999", telegram_url=server.url)
    with pytest.raises(ContentRejected, match="chat not found"):
        send_digest(elsewhere, staff, fake.environ, SystemClock())
    with pytest.raises(ConfigError, match=r"TELEGRAM_BOT_TOKEN \(named by replies.digest.bot_token_env\)"):
        send_digest(elsewhere, staff, {}, SystemClock())
    assert fake.created == []


class DigestReceiver:
    """The office's receiver of digests: checks the signature as the webhook channel's receivers do."""

    def __init__(self, server: FakeServer, secret: str | None) -> None:
        self.secret = secret
        self.received: list[dict[str, Any]] = []
        server.route("POST", "/hooks/digest", self._receive)
        self.url = server.url + "/hooks/digest"

    def _receive(self, request: Request, _match: Any) -> Response:
        body = request.get_data()
        if self.secret is not None and not verify(self.secret, request.headers, body):
            return json_response({"error": "invalid signature"}, status=401)
        if request.mimetype != "application/json":
            return json_response({"error": "expected application/json"}, status=415)
        self.received.append(json.loads(body))
        return Response(status=204)


def test_the_digest_is_posted_signed_to_a_webhook(store: Store, server: FakeServer) -> None:
    receiver = DigestReceiver(server, WEBHOOK_SECRET)
    staff = _big_digest(store)
    settings = DigestSettings(via="webhook", url=receiver.url, secret_env="DIGEST_SECRET")
    assert send_digest(settings, staff, {"DIGEST_SECRET": WEBHOOK_SECRET}, SystemClock()) == "webhook"
    [event] = receiver.received
    assert event == {"event": "replies.digest", "subject": staff.subject, "text": staff.text, "html": staff.html}
    with pytest.raises(AuthError, match="HTTP 401"):
        send_digest(settings, staff, {"DIGEST_SECRET": "another-secret"}, SystemClock())
    unsigned = DigestSettings(via="webhook", url=receiver.url)
    with pytest.raises(AuthError):
        send_digest(unsigned, staff, {}, SystemClock())
    assert len(receiver.received) == 1


def test_an_unsigned_webhook_when_the_receiver_does_not_check(store: Store, server: FakeServer) -> None:
    receiver = DigestReceiver(server, None)
    send_digest(DigestSettings(via="webhook", url=receiver.url), StaffDigest("s", "t", "<p>t</p>"), {}, SystemClock())
    assert receiver.received == [{"event": "replies.digest", "subject": "s", "text": "t", "html": "<p>t</p>"}]


# -- e-mail over a real SMTP server on loopback ---------------------------------------------------------------


class Mailbox:
    """aiosmtpd's handler: keeps each message as it arrived."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:  # aiosmtpd's hook name
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _login(_server: Any, _session: Any, _envelope: Any, mechanism: str, data: Any) -> AuthResult:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (b"humas", b"rahasia-smtp")
    return AuthResult(success=ok, handled=False)


@pytest.fixture
def smtp() -> Iterator[tuple[Mailbox, int]]:
    mailbox = Mailbox()
    port = _free_port()
    controller = Controller(
        mailbox, hostname="127.0.0.1", port=port, authenticator=_login, auth_require_tls=False, enable_SMTPUTF8=True
    )
    controller.start()
    yield mailbox, port
    controller.stop()


def _email_settings(port: int, **extra: Any) -> DigestSettings:
    return DigestSettings(
        via="email",
        host="127.0.0.1",
        port=port,
        sender="outreach@bandarlampungkota.go.id",
        to=["humas@bandarlampungkota.go.id", "kominfo@bandarlampungkota.go.id"],
        **extra,
    )


def test_the_digest_is_mailed_as_text_and_html(store: Store, smtp: tuple[Mailbox, int]) -> None:
    mailbox, port = smtp
    staff = _big_digest(store)
    settings = _email_settings(port, starttls=False, username_env="SMTP_USER", password_env="SMTP_PASSWORD")
    environ = {"SMTP_USER": "humas", "SMTP_PASSWORD": "rahasia-smtp"}
    assert send_digest(settings, staff, environ, SystemClock()).startswith("email humas@")
    [(sender, recipients, raw)] = mailbox.messages
    assert sender == "outreach@bandarlampungkota.go.id"
    assert recipients == ["humas@bandarlampungkota.go.id", "kominfo@bandarlampungkota.go.id"]
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert message["Subject"] == staff.subject and message.get_content_type() == "multipart/alternative"
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    assert text.get_content().replace("\r\n", "\n") == staff.text
    assert html.get_content().replace("\r\n", "\n").strip() == staff.html.strip()
    assert "<script>" not in html.get_content()


def test_a_refused_login_and_a_server_without_starttls(store: Store, smtp: tuple[Mailbox, int]) -> None:
    mailbox, port = smtp
    staff = StaffDigest("s", "t", "<p>t</p>")
    settings = _email_settings(port, starttls=False, username_env="SMTP_USER", password_env="SMTP_PASSWORD")
    with pytest.raises(PermanentError, match="refused the login") as refused:
        send_digest(settings, staff, {"SMTP_USER": "humas", "SMTP_PASSWORD": "salah-sekali"}, SystemClock())
    assert "salah-sekali" not in str(refused.value)
    # STARTTLS is the default for a server that is not ssl: one that cannot is refused, nothing goes in clear
    with pytest.raises(NetworkError, match=f"127.0.0.1:{port}.*STARTTLS"):
        send_digest(_email_settings(port), staff, {}, SystemClock())
    assert mailbox.messages == []


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed: cannot make the loopback server's certificate")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert)]
        + ["-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True,
        capture_output=True,
    )
    return key, cert


def test_starttls_checks_the_servers_certificate(
    certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    key, cert = certificate
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    mailbox = Mailbox()
    port = _free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port, tls_context=context, require_starttls=True)
    controller.start()
    try:
        staff = StaffDigest("s", "isi", "<p>isi</p>")
        # a certificate nobody vouches for: refused before anything is sent
        with pytest.raises(NetworkError, match="CERTIFICATE_VERIFY_FAILED|certificate verify failed"):
            send_digest(_email_settings(port), staff, {}, SystemClock())
        assert mailbox.messages == []
        monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # the office's own CA, as a system would trust it
        send_digest(_email_settings(port, starttls=True), staff, {}, SystemClock())
        assert len(mailbox.messages) == 1
    finally:
        controller.stop()


def test_a_digest_of_hostile_replies_over_the_wire_keeps_nothing_hidden(store: Store, server: FakeServer) -> None:
    fake = TelegramFake(server)
    _innovations(store)
    post = _post(store, "ktp-sehari", "m1")
    for n, text in enumerate(HOSTILE):
        _reply(store, post, f"h{n}", text, "complaint", 5 - n)
    digest = build_digest(store, NOW + timedelta(minutes=1), ZONE)
    staff = StaffDigest(title(digest), render_text(digest), render_html(digest))
    send_digest(
        DigestSettings(via="telegram", chat_id=STAFF_CHAT, telegram_url=server.url), staff, fake.environ, SystemClock()
    )
    sent = "\n".join(message["text"] for message in fake.created)
    assert len(sent) < 8000
    assert not any(ch in sent for ch in "\x1b\x00\x07\u202e\u2066\u200b\ufeff")


def test_the_cli_sends_it_now_or_says_what_is_missing(tmp_path: Path, server: FakeServer) -> None:
    from click.testing import CliRunner

    from outreach.cli import cli
    from tests.engine_helpers import innovation, project

    receiver = DigestReceiver(server, WEBHOOK_SECRET)
    config = project(tmp_path, [innovation("ktp-sehari")], channels={"x": {"type": "file", "as": "x"}}, campaigns={})
    runner = CliRunner()
    base = ["--config", str(config), "--now", NOW.isoformat()]
    missing = runner.invoke(cli, [*base, "replies", "digest", "--send"])
    assert missing.exit_code != 0 and "no [replies.digest] block" in missing.output
    assert "Traceback" not in missing.output
    block = f'\n[replies.digest]\nvia = "webhook"\nurl = "{receiver.url}"\nsecret_env = "OUTREACH_DIGEST_SECRET"\n'
    config.write_text(config.read_text(encoding="utf-8") + block, encoding="utf-8")
    unset = runner.invoke(cli, [*base, "replies", "digest", "--send"], env={"OUTREACH_DIGEST_SECRET": ""})
    assert unset.exit_code != 0 and "OUTREACH_DIGEST_SECRET (named by replies.digest.secret_env) is not set" in (
        unset.output
    )
    sent = runner.invoke(cli, [*base, "replies", "digest", "--send"], env={"OUTREACH_DIGEST_SECRET": WEBHOOK_SECRET})
    assert sent.exit_code == 0, sent.output
    assert "Digest sent (webhook): 0 urgent, 0 waiting for an answer" in sent.output
    [event] = receiver.received
    assert "Nothing waits for an answer." in event["text"]
