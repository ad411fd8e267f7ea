"""``MANYFUTURES_SMTP_URL``: the mail server, how its session is secured, and the login.

    smtp://[user:password@]host[:port]    STARTTLS, port 587 (submission) by default
    smtps://[user:password@]host[:port]   implicit TLS, port 465 by default

There is no unencrypted form: a login and the readers' addresses never cross the
network in clear, and the server's certificate is always verified (against the
system's trust store; a private CA goes in through OpenSSL's ``SSL_CERT_FILE``).
The user and password are percent-decoded, so a password holding ``@ : / ? #``
or ``%`` is written with ``%40 %3A %2F %3F %23 %25``.

The password is a secret: it is left out of the ``SmtpServer`` repr and of its
string form, and an error about a malformed URL says what is wrong without
repeating any part of it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import quote, unquote, urlsplit

DEFAULT_PORTS = {"smtp": 587, "smtps": 465}
FORM = (
    "expected smtp://[user:password@]host[:port] (STARTTLS) or smtps://… (implicit TLS), "
    "with @ : / ? # % in the user or password percent-encoded"
)


class SmtpUrlError(ValueError):
    """A URL that names no usable server; the message never contains the URL."""


@dataclass(frozen=True, slots=True)
class SmtpServer:
    host: str
    port: int
    implicit_tls: bool
    username: str = ""
    password: str = field(default="", repr=False)

    def __str__(self) -> str:
        """The URL without its password, for logs and error messages."""
        scheme = "smtps" if self.implicit_tls else "smtp"
        login = f"{quote(self.username, safe='')}@" if self.username else ""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{scheme}://{login}{host}:{self.port}"


def parse_smtp_url(url: str) -> SmtpServer:
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        # urllib's own messages may quote the port, which a stray '/' in a password
        # turns into a piece of the password.
        raise SmtpUrlError(f"not a URL of an SMTP server; {FORM}") from None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise SmtpUrlError(f"the scheme must be smtp or smtps; {FORM}")
    if not parts.hostname:
        raise SmtpUrlError(f"no host; {FORM}")
    if port == 0:
        raise SmtpUrlError(f"the port must be from 1 to 65535; {FORM}")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise SmtpUrlError(f"nothing may follow the host and port; {FORM}")
    username = unquote(parts.username or "")
    password = unquote(parts.password or "")
    if bool(username) != bool(password):
        raise SmtpUrlError(f"a user and a password go together, both or neither; {FORM}")
    return SmtpServer(
        host=parts.hostname,
        port=port or DEFAULT_PORTS[scheme],
        implicit_tls=scheme == "smtps",
        username=username,
        password=password,
    )
