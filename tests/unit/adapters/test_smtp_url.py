"""MANYFUTURES_SMTP_URL's reading: scheme to TLS mode, default ports, decoded login, and a
password that stays out of the repr and the string form."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from manyfutures.adapters.email.smtp_url import SmtpServer, parse_smtp_url


@pytest.mark.parametrize(
    ("url", "server"),
    [
        ("smtp://smtp.example.com", SmtpServer("smtp.example.com", 587, implicit_tls=False)),
        ("smtps://smtp.example.com", SmtpServer("smtp.example.com", 465, implicit_tls=True)),
        ("SMTPS://smtp.example.com:2465/", SmtpServer("smtp.example.com", 2465, True)),
        ("smtp://[2001:db8::25]:2525", SmtpServer("2001:db8::25", 2525, implicit_tls=False)),
        (
            "smtp://apikey:SG.a%2Fb%40c@smtp.sendgrid.net:587",
            SmtpServer("smtp.sendgrid.net", 587, False, username="apikey", password="SG.a/b@c"),
        ),
    ],
)
def test_a_url_names_the_server_its_tls_and_its_login(url: str, server: SmtpServer) -> None:
    assert parse_smtp_url(url) == server


def test_the_password_is_in_neither_the_repr_nor_the_string_form() -> None:
    server = parse_smtp_url("smtps://briefs%40example.com:Zq7%2FK9@[2001:db8::25]")
    assert server.password == "Zq7/K9"
    for shown in (repr(server), str(server)):
        assert "Zq7" not in shown
    assert str(server) == "smtps://briefs%40example.com@[2001:db8::25]:465"


LOGIN_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1)


@given(username=LOGIN_TEXT, password=LOGIN_TEXT)
def test_any_percent_encoded_login_comes_back_as_it_was(username: str, password: str) -> None:
    url = f"smtps://{quote(username, safe='')}:{quote(password, safe='')}@smtp.example.com"
    server = parse_smtp_url(url)
    assert (server.username, server.password, server.host) == (
        username,
        password,
        "smtp.example.com",
    )
