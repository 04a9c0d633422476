"""``[replies.digest]``: each way of sending with its keys, and every mistake one line naming file, line and key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from outreach.config import load_config
from outreach.errors import ConfigError


def _load(tmp_path: Path, block: str) -> Any:
    path = tmp_path / "outreach.toml"
    path.write_text('timezone = "Asia/Jakarta"\n\n[replies]\ndays = 30\n\n[replies.digest]\n' + block, encoding="utf-8")
    return load_config(path, environ={}).replies.digest


def test_no_block_no_digest(tmp_path: Path) -> None:
    path = tmp_path / "outreach.toml"
    path.write_text('timezone = "Asia/Jakarta"\n', encoding="utf-8")
    assert load_config(path, environ={}).replies.digest is None


def test_each_way_with_its_keys(tmp_path: Path) -> None:
    telegram = _load(tmp_path, 'via = "telegram"\nchat_id = "-1001234567890"\nat = "6:30"\n')
    assert (telegram.via, telegram.chat_id, telegram.at, telegram.send_time.hour, telegram.days) == (
        "telegram",
        "-1001234567890",
        "06.30",
        6,
        30,
    )
    webhook = _load(tmp_path, 'via = "webhook"\nurl = "https://cms.example.go.id/hooks/ringkasan"\nsecret_env = "S"\n')
    assert webhook.secret_env == "S"
    mail = _load(
        tmp_path,
        'via = "email"\nhost = "smtp.example.go.id"\nport = 465\nssl = true\nsender = "o@example.go.id"\n'
        'to = ["humas@example.go.id"]\nusername_env = "SMTP_USER"\npassword_env = "SMTP_PASSWORD"\n',
    )
    assert (mail.ssl, mail.port, mail.to) == (True, 465, ["humas@example.go.id"])


@pytest.mark.parametrize(
    ("block", "line", "message"),
    [
        ('via = "pigeon"\n', 7, "replies.digest.via: must be one of 'telegram', 'webhook', 'email'"),
        ('at = "07.00"\n', 6, "replies.digest.via: required key is missing"),
        ('via = "telegram"\n', 6, 'replies.digest.chat_id: required when via = "telegram"; example: chat_id ='),
        ('via = "webhook"\n', 6, 'replies.digest.url: required when via = "webhook"'),
        ('via = "email"\nhost = "smtp.x"\nto = ["a@x"]\n', 6, 'replies.digest.sender: required when via = "email"'),
        (
            'via = "telegram"\nchat_id = "@staf"\nhost = "smtp.x"\n',
            9,
            'replies.digest.host: only for via = "email"; remove it (this digest goes via "telegram")',
        ),
        ('via = "webhook"\nurl = "cms.example.go.id/hook"\n', 8, "replies.digest.url: must be a full address"),
        ('via = "webhook"\nurl = "https://x"\nat = "25.00"\n', 9, "replies.digest.at: must be a time of day"),
        (
            'via = "email"\nhost = "h"\nsender = "o@x"\nto = ["humas"]\n',
            10,
            "replies.digest.to: must be a list of e-mail",
        ),
        (
            'via = "email"\nhost = "h"\nsender = "o@x"\nto = ["a@x"]\nport = 0\n',
            11,
            "replies.digest.port: must be 1 or more",
        ),
        (
            'via = "email"\nhost = "h"\nsender = "o@x"\nto = ["a@x"]\nssl = true\nstarttls = true\n',
            6,
            "replies.digest: starttls and ssl: choose one",
        ),
        ('via = "webhook"\nurl = "https://x"\ntoken = "rahasia"\n', 9, "replies.digest.token: unknown key (a typo?)"),
    ],
)
def test_mistakes_name_file_line_and_key(tmp_path: Path, block: str, line: int, message: str) -> None:
    with pytest.raises(ConfigError) as error:
        _load(tmp_path, block)
    text = str(error.value)
    assert text.startswith(f"{tmp_path / 'outreach.toml'}:{line}: "), text
    assert message in text
    assert "\n" not in text and "Traceback" not in text
