"""Logging: key=value lines on standard error (standard output ends with the summary JSON)."""

import logging
import sys

from utils.secrets import RedactingFilter

FORMAT = "%(asctime)s level=%(levelname)s logger=%(name)s %(message)s"

redaction = RedactingFilter()


class OneLineFormatter(logging.Formatter):
    """A record is one line: a line break inside a value (a path, an error text) is
    written as \\n, so no value can forge a line of its own. A traceback follows as it is."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        return super().formatMessage(record).replace("\r", "\\r").replace("\n", "\\n")


def configure_logging(level: str = "INFO") -> None:
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_dataset_job", False):
            root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler._dataset_job = True  # type: ignore[attr-defined]
    handler.setFormatter(OneLineFormatter(FORMAT, datefmt="%Y-%m-%dT%H:%M:%S%z"))
    handler.addFilter(redaction)
    root.addHandler(handler)
    root.setLevel(level)
    for noisy in ("botocore", "boto3", "s3transfer", "urllib3", "pymongo", "py4j"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
