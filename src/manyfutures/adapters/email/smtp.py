"""Email over SMTP, with refusals sorted into transient and permanent.

One SMTP session per message (open, TLS, optional login, send, quit): the
dispatcher sends a handful at a time and a session left open between batches is
one more thing to go stale. Every session is encrypted, by STARTTLS or by implicit
TLS as ``MANYFUTURES_SMTP_URL`` says (smtp_url.py), and the server's certificate is
verified; nothing is sent, and no password, before that.

What is permanent: only a 5xx reply to the message itself (MAIL FROM, RCPT TO,
DATA) — an unknown recipient, rejected content. A 4xx reply, a connection that
fails or times out, and any failure while setting the session up (greeting,
EHLO, STARTTLS, AUTH) are transient: those are about the server or our own
configuration, not about this message, and a message dead because a password
was mistyped for an hour could never be sent again.

The ``Message-ID`` header is ``<message id@domain of the From address>``: the same
on every redelivery of a message, so a receiver can drop a duplicate. A message a
reader can switch off carries its signed link as ``List-Unsubscribe`` with
``List-Unsubscribe-Post: List-Unsubscribe=One-Click`` (RFC 8058), from the outbox row.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from email.message import EmailMessage as MimeMessage
from email.utils import formatdate, parseaddr

from manyfutures.adapters.email.smtp_url import SmtpServer
from manyfutures.core.outbox.ports import (
    DeliveryError,
    EmailMessage,
    PermanentDeliveryError,
    TransientDeliveryError,
)

logger = logging.getLogger(__name__)

ONE_CLICK = "List-Unsubscribe=One-Click"


def sender_domain(address: str) -> str:
    """The domain of a From address (``Briefs <briefs@example.com>`` -> ``example.com``)."""
    _, email = parseaddr(address)
    local, at, domain = email.rpartition("@")
    if not (local and at and domain):
        raise ValueError(f"{address!r} is not an email address")
    return domain


def refusal(code: int, reply: bytes | str, what: str) -> DeliveryError:
    """A 5xx reply is permanent; a 4xx reply, or anything else, is worth a retry."""
    text = reply.decode(errors="replace") if isinstance(reply, bytes) else reply
    detail = f"{what} refused: {code} {text}".strip()
    return PermanentDeliveryError(detail) if 500 <= code < 600 else TransientDeliveryError(detail)


class SmtpEmailSender:
    def __init__(
        self,
        server: SmtpServer,
        sender: str,
        timeout_seconds: float = 30.0,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        """``tls`` verifies the server: by default against the system's trust store, which
        OpenSSL's ``SSL_CERT_FILE`` / ``SSL_CERT_DIR`` can point at a private CA."""
        self._server = server
        self._sender = sender
        self._domain = sender_domain(sender)
        self._timeout = timeout_seconds
        self._tls = tls if tls is not None else ssl.create_default_context()
        logger.info("email: SMTP through %s, from %s", server, sender)

    def message_id(self, message: EmailMessage) -> str:
        return f"<{message.message_id}@{self._domain}>"

    def send(self, message: EmailMessage) -> None:
        mime = self._mime(message)
        smtp = self._open_session()
        try:
            smtp.send_message(mime)
        except smtplib.SMTPRecipientsRefused as error:
            ((code, reply),) = error.recipients.values()
            raise refusal(code, reply, f"recipient {message.to}") from error
        except smtplib.SMTPResponseException as error:
            raise refusal(error.smtp_code, error.smtp_error, "message") from error
        except (smtplib.SMTPException, OSError) as error:
            raise TransientDeliveryError(f"SMTP session lost: {error!r}") from error
        finally:
            self._close(smtp)

    def _mime(self, message: EmailMessage) -> MimeMessage:
        mime = MimeMessage()
        mime["From"] = self._sender
        mime["To"] = message.to
        # A header may not span lines; a title with a line break must not stop the mail.
        mime["Subject"] = " ".join(message.subject.split())
        mime["Message-ID"] = self.message_id(message)
        mime["Date"] = formatdate(usegmt=True)
        if message.list_unsubscribe is not None:
            # RFC 2369's header with RFC 8058's one-click: a mail client POSTs
            # "List-Unsubscribe=One-Click" to the link, with nobody signed in.
            mime["List-Unsubscribe"] = f"<{message.list_unsubscribe}>"
            mime["List-Unsubscribe-Post"] = ONE_CLICK
        mime.set_content(message.text)
        if message.html is not None:
            # multipart/alternative, plain text first: a client shows the last part it can
            # render, so text-only clients (and filters that read text) still get the text.
            mime.add_alternative(message.html, subtype="html")
        return mime

    def _open_session(self) -> smtplib.SMTP:
        server = self._server
        try:
            if server.implicit_tls:
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    server.host, server.port, timeout=self._timeout, context=self._tls
                )
            else:
                smtp = smtplib.SMTP(server.host, server.port, timeout=self._timeout)
        except (smtplib.SMTPException, OSError) as error:
            # A certificate that fails verification lands here too (ssl.SSLError).
            raise TransientDeliveryError(
                f"cannot reach the SMTP server {server}: {error!r}"
            ) from error
        try:
            smtp.ehlo()
            if not server.implicit_tls:
                smtp.starttls(context=self._tls)
                smtp.ehlo()
            if server.username:
                smtp.login(server.username, server.password)
        except (smtplib.SMTPException, OSError) as error:
            self._close(smtp)
            raise TransientDeliveryError(f"SMTP session set-up failed: {error!r}") from error
        return smtp

    def _close(self, smtp: smtplib.SMTP) -> None:
        """QUIT politely; a server that hangs up first changes nothing already sent."""
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()
