"""How a participant's uploads are signed, shared by the participant's side (research/upload.py)
and the study server (feedlens.study): HMAC-SHA256 with the participant's own key, which the
server handed out at enrolment, over the method, the path, a timestamp and the body's hash.

The timestamp bounds replays to a window; a replayed upload changes nothing anyway, since the
server takes each record once (by participant and record id).
"""

from __future__ import annotations

import hashlib
import hmac

PARTICIPANT = "X-Feedlens-Participant"
STUDY = "X-Feedlens-Study"
TIMESTAMP = "X-Feedlens-Timestamp"
SIGNATURE = "X-Feedlens-Signature"
WINDOW = 300.0  # seconds a signed request stays valid either side of the server's clock


def signature(key: bytes, method: str, path: str, timestamp: str, body: bytes) -> str:
    message = "\n".join((method.upper(), path, timestamp, hashlib.sha256(body).hexdigest()))
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()


def headers(key: bytes, study_id: str, participant: str, method: str, path: str, body: bytes,
            now: float) -> dict[str, str]:
    timestamp = f"{now:.3f}"
    return {STUDY: study_id, PARTICIPANT: participant, TIMESTAMP: timestamp,
            SIGNATURE: signature(key, method, path, timestamp, body)}


def valid(key: bytes, method: str, path: str, timestamp: str, body: bytes, given: str,
          now: float) -> bool:
    try:
        skew = abs(float(timestamp) - now)
    except ValueError:
        return False
    if skew > WINDOW:
        return False
    return hmac.compare_digest(signature(key, method, path, timestamp, body), given or "")
