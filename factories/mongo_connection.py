"""Connecting to MongoDB: the URI (given, or read from Secrets Manager), TLS, timeouts.

The only place that builds a MongoClient. Every password it sees is added to the log
redaction before anything can print it.
"""

import json
from typing import Any, Callable, Dict, Optional, Tuple
from urllib.parse import parse_qsl

from config import constants
from config.errors import ConfigError
from config.settings import JobConfig
from interfaces.errors import SourceError
from utils.logging_setup import redaction
from utils.secrets import one_line, passwords_in


def mongo_uri_of(config: JobConfig,
                 secrets_client_factory: Optional[Callable[[], Any]] = None) -> str:
    """MONGO_URI, or the URI stored in the MONGO_SECRET_ID secret."""
    if config.mongo_uri:
        return config.mongo_uri
    if not config.mongo_secret_id:
        raise ConfigError("MONGO_URI", "MONGO_URI or MONGO_SECRET_ID when REPOSITORY_TYPE=mongo",
                          "neither is set")
    return resolve_secret_uri(config.mongo_secret_id, secrets_client_factory)


def resolve_secret_uri(secret_id: str, client_factory: Optional[Callable[[], Any]]) -> str:
    """The URI stored in Secrets Manager: the whole SecretString, or its JSON key `uri`."""
    from botocore.exceptions import BotoCoreError, ClientError

    if client_factory is None:
        from factories.aws_clients import aws_client

        def client_factory():
            return aws_client("secretsmanager")
    try:
        secret = client_factory().get_secret_value(SecretId=secret_id).get("SecretString")
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "ClientError")
        raise SourceError("cannot read secret {}: {}".format(secret_id, code)) from None
    except BotoCoreError as exc:
        raise SourceError("cannot read secret {}: {}".format(
            secret_id, type(exc).__name__)) from None
    uri = secret
    if secret and secret.lstrip().startswith("{"):
        try:
            uri = json.loads(secret).get("uri")
        except (ValueError, AttributeError):
            uri = None
    if not isinstance(uri, str) or not uri.strip().startswith(("mongodb://", "mongodb+srv://")):
        raise ConfigError("MONGO_SECRET_ID", "a secret holding a mongodb:// URI, as plain text "
                          "or JSON {\"uri\": ...}", "secret {} does not".format(secret_id))
    uri = uri.strip()
    redaction.add(*passwords_in(uri))
    return uri


def connect(config: JobConfig, uri: str):
    """A MongoClient for `uri` (no network yet: it connects on first use)."""
    import certifi
    from bson.codec_options import DatetimeConversion
    from pymongo import MongoClient
    from pymongo.errors import ConfigurationError, InvalidURI

    secrets = tuple(passwords_in(uri))
    redaction.add(*secrets)
    options: Dict[str, Any] = dict(
        # the server's limit for a client name is 128 bytes; a Glue job name may be longer
        appname=config.job_name.encode("utf-8")[:128].decode("utf-8", "ignore"),
        serverSelectionTimeoutMS=constants.MONGO_SERVER_SELECTION_TIMEOUT_MS,
        connectTimeoutMS=constants.MONGO_CONNECT_TIMEOUT_MS,
        socketTimeoutMS=constants.MONGO_SOCKET_TIMEOUT_MS,
        retryReads=True,
        # A date beyond Python's datetime range (year 10000) arrives as bson's DatetimeMS
        # instead of failing the whole read; the normaliser reads it as no time.
        datetime_conversion=DatetimeConversion.DATETIME_AUTO,
    )
    tls, has_ca = tls_settings(uri)
    if tls and not has_ca:
        options["tlsCAFile"] = certifi.where()
    try:
        client = MongoClient(uri, **options)
    except (InvalidURI, ValueError) as exc:  # pymongo raises ValueError for a bad port
        raise ConfigError("MONGO_URI", "a valid MongoDB connection string",
                          one_line(str(exc), secrets)) from None
    except ConfigurationError as exc:  # e.g. a mongodb+srv:// name that does not resolve
        raise SourceError("MongoDB configuration for {} failed: {}".format(
            host_label(uri), one_line(str(exc), secrets))) from None
    return client


def tls_settings(uri: str) -> Tuple[bool, bool]:
    """(TLS is on, a CA file is given) for a connection string, without resolving it."""
    scheme, _, scheme_free = uri.partition("://")
    query = scheme_free.partition("/")[2].partition("?")[2]  # as host_label cuts it
    options = {key.lower(): value.lower() for key, value in parse_qsl(query)}
    tls = scheme.lower() == "mongodb+srv"
    for key in ("tls", "ssl"):
        if key in options:
            tls = options[key] == "true"
    return tls, "tlscafile" in options


def host_label(uri: str) -> str:
    """The hosts of a connection string, without user or password, cut as pymongo cuts
    it: the host list ends at the first `/`, and the credentials at the last `@` before
    it. (A URL parser would stop at a `#` or `?` inside an unescaped password, which
    pymongo accepts, and show the password's first part as the host.)"""
    scheme_free = uri.split("://", 1)[-1]
    return scheme_free.partition("/")[0].rpartition("@")[2]
