"""Tiny in-memory stand-ins for the job's boundaries, for fast service-layer tests."""

import hashlib

from interfaces.errors import PublishError, SourceError
from interfaces.ports import ObjectStore, RunsSource, SessionRepository


class FakeRepository(SessionRepository):
    def __init__(self, documents, fail_after=None, description=None):
        self._documents = documents
        self._fail_after = fail_after
        self._description = description or {"type": "fake"}
        self.closed = False

    def documents(self, date_range):
        for index, document in enumerate(self._documents):
            if self._fail_after is not None and index == self._fail_after:
                raise SourceError("connection reset by fake server")
            yield document

    def describe(self):
        return self._description

    def close(self):
        self.closed = True


class FakeStore(ObjectStore):
    def __init__(self, fail_on_key_suffix=None, failing=None):
        """Uploads of keys ending in `fail_on_key_suffix` fail; so does any call for which
        `failing(operation, key)` is true."""
        self.objects = {}
        self.calls = []
        self._fail_on = fail_on_key_suffix
        self._failing = failing or (lambda operation, key: False)

    def _maybe_fail(self, operation, key):
        if self._failing(operation, key):
            raise PublishError("{} of {} failed: InternalError".format(operation, self.uri(key)))

    def uri(self, key):
        return "s3://fake/" + key

    def check(self):
        self.calls.append(("check", None))

    def fetch(self, key):
        self.calls.append(("fetch", key))
        return self.objects.get(key)

    def delete(self, key):
        self.calls.append(("delete", key))
        self._maybe_fail("delete", key)
        self.objects.pop(key, None)

    def keys(self, prefix):
        return sorted(key for key in self.objects if key.startswith(prefix))

    def copy(self, source_key, key, content_type, metadata, size, sha256):
        self.calls.append(("copy", key))
        self._maybe_fail("copy", key)
        self.objects[key] = self.objects[source_key]
        return self.uri(key)

    def fetch_versioned(self, key):
        self.calls.append(("fetch", key))
        content = self.objects.get(key)
        return None if content is None else (content, _version(content))

    def replace(self, path, key, content_type, metadata, sha256, expected_version):
        self.calls.append(("replace", key))
        self._maybe_fail("replace", key)
        current = self.objects.get(key)
        if (None if current is None else _version(current)) != expected_version:
            raise PublishError("{} was changed by another writer".format(self.uri(key)))
        with open(path, "rb") as handle:
            self.objects[key] = handle.read()
        return self.uri(key)

    def upload(self, path, key, content_type, metadata, sha256):
        self.calls.append(("upload", key))
        self._maybe_fail("upload", key)
        if self._fail_on and key.endswith(self._fail_on):
            raise PublishError("upload of {} failed: AccessDenied".format(self.uri(key)))
        with open(path, "rb") as handle:
            self.objects[key] = handle.read()
        return self.uri(key)


def _version(content):
    return '"{}"'.format(hashlib.md5(content).hexdigest())


class FakeRunsSource(RunsSource):
    """Run documents in memory, returned for the asked session ids as MongoDB's $in would:
    a document whose session_id is an array holding an asked id matches too."""

    def __init__(self, run_documents):
        self.run_documents = run_documents

    def runs_of(self, session_ids):
        asked = set(session_ids)
        for document in self.run_documents:
            value = document.get("session_id")
            values = value if isinstance(value, list) else [value]
            if any(isinstance(v, str) and v in asked for v in values) or isinstance(value, dict):
                yield document

    def describe(self):
        return {"collection": "fake_runs"}
