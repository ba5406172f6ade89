"""The participant's side of the study server's API (docs/study-server.md): the invitation,
enrolment, and the signed requests (uploads, withdrawal, deletion, pause)."""

from __future__ import annotations

import json
import time

import aiohttp

from . import signing
from .enrolment import Enrolment

TIMEOUT = aiohttp.ClientTimeout(total=60, connect=10)


class StudyServerError(RuntimeError):
    """The server refused (status >= 400) or could not be reached (status None)."""

    def __init__(self, message: str, status: int | None = None, retry_after: float | None = None):
        super().__init__(message)
        self.status, self.retry_after = status, retry_after


def _url(server: str, path: str) -> str:
    return server.rstrip("/") + path


async def _answer(response: aiohttp.ClientResponse) -> dict:
    try:
        data = await response.json(content_type=None)
    except (ValueError, aiohttp.ContentTypeError):
        data = {}
    if response.status >= 400:
        retry = response.headers.get("Retry-After")
        message = data.get("error") if isinstance(data, dict) else None
        raise StudyServerError(f"the study server refused: {message or response.reason} "
                               f"(HTTP {response.status})", response.status,
                               float(retry) if retry and retry.isdigit() else None)
    return data


async def post_json(server: str, path: str, payload: dict) -> dict:
    try:
        async with aiohttp.ClientSession(timeout=TIMEOUT) as session:
            async with session.post(_url(server, path), json=payload) as response:
                return await _answer(response)
    except (aiohttp.ClientError, TimeoutError, OSError) as exc:
        raise StudyServerError(f"cannot reach the study server at {server}: {exc}") from None


async def invitation(server: str, code: str) -> dict:
    return await post_json(server, "/api/invitation", {"code": code})


async def enrol(server: str, code: str, consent_version: str, fields, language: str) -> dict:
    return await post_json(server, "/api/enrol", {"code": code, "consent_version": consent_version,
                                                  "fields": list(fields), "language": language})


async def signed_post(enrolment: Enrolment, path: str, body: bytes,
                      session: aiohttp.ClientSession | None = None) -> dict:
    headers = signing.headers(enrolment.key_bytes, enrolment.study_id, enrolment.participant,
                              "POST", path, body, time.time())
    try:
        if session is not None:
            async with session.post(_url(enrolment.server, path), data=body, headers=headers) as response:
                return await _answer(response)
        async with aiohttp.ClientSession(timeout=TIMEOUT) as own:
            async with own.post(_url(enrolment.server, path), data=body, headers=headers) as response:
                return await _answer(response)
    except (aiohttp.ClientError, TimeoutError, OSError) as exc:
        raise StudyServerError(f"cannot reach the study server at {enrolment.server}: {exc}") from None


async def withdraw(enrolment: Enrolment) -> dict:
    return await signed_post(enrolment, "/api/withdraw", b"")


async def delete(enrolment: Enrolment, since: float | None, until: float | None) -> dict:
    return await signed_post(enrolment, "/api/delete", json.dumps({"since": since, "until": until}).encode())


async def set_paused(enrolment: Enrolment, paused: bool) -> dict:
    return await signed_post(enrolment, "/api/state", json.dumps({"paused": paused}).encode())
