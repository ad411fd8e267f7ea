"""A throwaway certificate authority for the TLS tests, made by trustme in the test run.

The server gets a certificate for 127.0.0.1 signed by it; a client trusts it either
through an SSL context (``client``, handed to the sender's constructor) or, in a
container or a child process that builds its own sender, through OpenSSL's
``SSL_CERT_FILE`` (``ca_file``). Either way the client verifies the certificate and
the host name: nothing here turns verification off.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import trustme

HOST = "127.0.0.1"


@dataclass(frozen=True)
class Certificates:
    server: ssl.SSLContext
    client: ssl.SSLContext
    ca_file: Path

    def starttls(self) -> dict[str, Any]:
        """aiosmtpd options: offer STARTTLS, and refuse mail on a session that skipped it."""
        return {"tls_context": self.server, "require_starttls": True}

    def implicit_tls(self) -> dict[str, Any]:
        """aiosmtpd options: TLS from the first byte (smtps)."""
        return {"ssl_context": self.server}


def make_certificates(directory: Path) -> Certificates:
    ca = trustme.CA()
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(HOST).configure_cert(server)
    client = ssl.create_default_context()
    ca.configure_trust(client)
    ca_file = directory / "test-ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    return Certificates(server, client, ca_file)


def untrusted_client() -> ssl.SSLContext:
    """A client that trusts another CA: what any client has before it is told the test CA."""
    client = ssl.create_default_context()
    trustme.CA().configure_trust(client)
    return client
