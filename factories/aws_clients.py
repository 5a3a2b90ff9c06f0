"""How the job's AWS clients are made: endpoint, timeouts, retries and checksum behaviour,
the same for every boto3 from Glue's 1.21 to today's."""

import os
import re
from typing import Mapping, Optional

from config.errors import ConfigError


def aws_endpoint(service: str, environ: Optional[Mapping[str, str]] = None) -> Optional[str]:
    """AWS_ENDPOINT_URL_<SERVICE>, else AWS_ENDPOINT_URL: read here because the boto3 of
    Glue's Python shell (1.21) predates them (1.28). Not a URL: a configuration error."""
    environ = os.environ if environ is None else environ
    for name in ("AWS_ENDPOINT_URL_" + service.upper(), "AWS_ENDPOINT_URL"):
        value = (environ.get(name) or "").strip()
        if value:
            if not re.match(r"^https?://[^\s/?#]+(/[^\s]*)?$", value):
                raise ConfigError(name, "an endpoint URL such as https://s3.example.com or "
                                  "http://127.0.0.1:9000", "{!r}".format(value[:80]))
            return value
    return None


# A quick call (the start-up check) is given up within about 25 s on an endpoint that
# accepts connections and never answers; uploads keep the patient settings.
PATIENT = {"max_attempts": 4, "connect_timeout": 10, "read_timeout": 60}
QUICK = {"max_attempts": 2, "connect_timeout": 5, "read_timeout": 10}


def aws_client_config(patience=None):
    """Bounded connects, reads and retries. Checksums only where the job asks for them:
    boto3 1.36 and later would add a CRC32 to every upload by default, which S3-compatible
    stores without additional checksums refuse (the job chooses with S3_CHECKSUM)."""
    from botocore.config import Config

    patience = patience or PATIENT
    options = dict(retries={"mode": "standard", "max_attempts": patience["max_attempts"]},
                   connect_timeout=patience["connect_timeout"],
                   read_timeout=patience["read_timeout"])
    try:
        return Config(request_checksum_calculation="when_required",
                      response_checksum_validation="when_required", **options)
    except TypeError:  # botocore before 1.36 has neither option, nor that default
        return Config(**options)


def aws_client(service: str, environ: Optional[Mapping[str, str]] = None, patience=None):
    """A client of `service`; a region name boto3 refuses ("us east 1") is a configuration
    error naming the variable, not a traceback."""
    import boto3
    from botocore.exceptions import InvalidRegionError

    try:
        return boto3.client(service, endpoint_url=aws_endpoint(service, environ),
                            config=aws_client_config(patience))
    except InvalidRegionError as error:
        region = (os.environ if environ is None else environ).get("AWS_DEFAULT_REGION", "")
        raise ConfigError("AWS_DEFAULT_REGION", "a region name such as us-east-1",
                          "{!r} ({})".format(region, error)) from None
