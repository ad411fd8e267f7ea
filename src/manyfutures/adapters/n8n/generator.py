"""The n8n generator: POST the job to the workflow's webhook; n8n calls back later.

n8n's Webhook node answers at once (202) and runs the workflow on its own, so a 2xx
means only "accepted". Anything else — connection refused, a connect or read
timeout, a non-2xx answer (a redirect included) — is a failed attempt: the start
use case records it and the queue retries it with the backoff rule. A timeout is
ambiguous (n8n may have received the job), which is why a late callback from such
a run still has its usage recorded.

Authentication is n8n's "Header Auth" credential on the Webhook node: one header
whose name and value are ``N8N_WEBHOOK_HEADER_NAME`` / ``N8N_WEBHOOK_HEADER_VALUE``.
Neither the header value nor the callback token ever appears in an error message.

httpx rather than urllib: separate connect and read timeouts, and one pooled
keep-alive connection per process instead of a TCP (and TLS) handshake per job.
The client is built lazily in the process that uses it, and again after a fork,
so no pooled socket is ever shared between a parent and a forked worker.
"""

from __future__ import annotations

import json
import logging
import os
import threading

import httpx

from manyfutures.adapters.n8n.payload import job_payload
from manyfutures.core.generation.ports import GenerationRequest, GeneratorUnavailableError

logger = logging.getLogger(__name__)


class N8nGenerator:
    def __init__(
        self,
        webhook_url: str,
        header_name: str,
        header_value: str,
        callback_url: str,
        connect_timeout: float,
        read_timeout: float,
    ) -> None:
        self._webhook_url = webhook_url
        self._headers = {"Content-Type": "application/json", header_name: header_value}
        self._callback_url = callback_url
        self._timeout = httpx.Timeout(
            connect=connect_timeout, read=read_timeout, write=read_timeout, pool=connect_timeout
        )
        self._lock = threading.Lock()
        self._client: httpx.Client | None = None
        self._client_pid = 0

    def start(self, request: GenerationRequest) -> None:
        body = json.dumps(job_payload(request, self._callback_url)).encode("utf-8")
        try:
            response = self._http().post(self._webhook_url, content=body, headers=self._headers)
        except httpx.TimeoutException as error:
            raise GeneratorUnavailableError(f"n8n webhook {_timeout_kind(error)}") from None
        except httpx.HTTPError as error:
            logger.warning("run %s: n8n webhook unreachable: %r", request.run_id, error)
            raise GeneratorUnavailableError("n8n webhook unreachable") from None
        if not response.is_success:
            raise GeneratorUnavailableError(f"n8n webhook answered {response.status_code}")
        logger.info("run %s handed to n8n (%s)", request.run_id, response.status_code)

    def close(self) -> None:
        with self._lock:
            if self._client is not None and self._client_pid == os.getpid():
                self._client.close()
            self._client = None

    def _http(self) -> httpx.Client:
        with self._lock:
            if self._client is None or self._client_pid != os.getpid():
                # After a fork the parent's client (and its sockets) is left alone.
                self._client = httpx.Client(timeout=self._timeout, follow_redirects=False)
                self._client_pid = os.getpid()
            return self._client


def _timeout_kind(error: httpx.TimeoutException) -> str:
    if isinstance(error, httpx.ConnectTimeout | httpx.PoolTimeout):
        return "connect timed out"
    if isinstance(error, httpx.WriteTimeout):
        return "timed out sending the job"
    return "timed out waiting for an answer"
