"""Keeping credentials out of every log line, message, summary and manifest."""

import logging
import re
from typing import Iterable, List, Optional, Set
from urllib.parse import unquote

_CREDENTIALS_IN_URI = re.compile(r"(?P<scheme>[a-z][a-z0-9+.\-]*://)(?P<user>[^:@/\s]*):(?P<password>[^@/\s]*)@",
                                 re.IGNORECASE)
MASK = "***"


def mask_uri(text: str) -> str:
    """`mongodb://user:secret@host` -> `mongodb://user:***@host`, anywhere in `text`."""
    return _CREDENTIALS_IN_URI.sub(lambda m: "{}{}:{}@".format(m.group("scheme"), m.group("user"),
                                                               MASK), text)


def masked_connection_string(value: str) -> Optional[str]:
    """A connection string (`scheme://user:password@hosts...`) with everything before its
    last `@` masked, whatever characters the password holds; None for any other text."""
    scheme, separator, rest = value.partition("://")
    if not separator or not _SCHEME.match(scheme) or "@" not in rest:
        return None
    return "{}://{}@{}".format(scheme, MASK, rest.rpartition("@")[2])


_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*\Z")


def passwords_in(text: Optional[str]) -> List[str]:
    """The passwords of the connection strings in `text`, raw and percent-decoded."""
    found: Set[str] = set()
    for match in _CREDENTIALS_IN_URI.finditer(text or ""):
        if match.group("password"):
            found.update((match.group("password"), unquote(match.group("password"))))
    return sorted(found, key=len, reverse=True)


def one_line(text: str, secrets: Iterable[str] = (), limit: int = 700) -> str:
    """The first line of an error message, masked and shortened for a one-line summary:
    its start and its end, where the job says what it left behind."""
    lines = str(text).strip().splitlines()
    line = lines[0] if lines else ""
    if len(line) > limit:
        line = line[:limit // 2] + " ... " + line[-(limit // 2):]
    return redact(line, secrets)


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    text = mask_uri(text)
    for secret in secrets:
        if secret and len(secret) >= 3:
            text = text.replace(secret, MASK)
    return text


class RedactingFilter(logging.Filter):
    """Masks credentials in every record that reaches the handler, whatever logged it."""

    def __init__(self):
        super().__init__()
        self.secrets: List[str] = []

    def add(self, *secrets: str) -> None:
        self.secrets.extend(s for s in secrets if s)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message, self.secrets)
        if cleaned != message or record.exc_info:
            record.msg = cleaned
            record.args = None
        if record.exc_info:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info),
                                     self.secrets)
            record.exc_info = None
        return True
