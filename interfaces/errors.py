"""The failures the layers raise, each with its exit status (README, Exit status)."""


class SourceError(Exception):
    """The session source failed (unreachable, failing mid-read). Exit status 1."""


class ReadAgain(Exception):
    """A source found, while streaming, that what it has handed over must be discarded and
    the window read again from its start, which it will then read another way (a file
    found out of (DATE_FIELD, _id) order is sorted through a spool the second time). The
    reader discards its outputs and counts and asks again, once."""


class OutputError(Exception):
    """The local outputs could not be written (disk full, folder removed). Exit status 1."""


class PublishError(Exception):
    """Publishing the outputs failed. Exit status 1; the local files are kept."""


class JobStopped(BaseException):
    """SIGTERM arrived (Glue's stop or timeout). A BaseException, like KeyboardInterrupt, so
    that no `except Exception` on the way (in a driver, say) can swallow it: the run stops
    reading, removes its temporary files and reports. Exit status 1."""
