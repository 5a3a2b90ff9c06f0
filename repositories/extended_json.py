"""mongoexport lines (MongoDB Extended JSON) decoded once, fast, and without what no feature reads.

`bson.json_util.loads` calls a Python hook for every object of a document, message
histories included, which made it most of the file source's time. Here the standard
library's C decoder parses the line, the fields no feature reads are left out (the same
exclusion the MongoDB source asks of the server), and only then are the Extended JSON
wrappers that occur in session data converted, over what is left: `$oid`, `$numberInt`,
`$numberLong`, `$numberDouble`, `$numberDecimal`. Any other `$` key (`$date`, `$binary`,
a malformed wrapper, ...) sends the whole line to `json_util` instead, so the result is
always the one `json_util` gives: tests/unit/test_extended_json.py checks it on canonical
and relaxed dumps of the fuzz corpus.
"""

import json
from typing import Iterable, List, Sequence

from bson import json_util
from bson.decimal128 import Decimal128
from bson.errors import BSONError
from bson.int64 import Int64
from bson.objectid import ObjectId

JSON_OPTIONS = json_util.JSONOptions(json_mode=json_util.JSONMode.RELAXED, tz_aware=False)


class _NeedsJsonUtil(Exception):
    """A wrapper this module does not convert: json_util decodes the line."""


# The wrappers converted here, each from its text; every other `$` key goes to json_util.
_CONVERTERS = {"$oid": ObjectId, "$numberInt": int, "$numberLong": lambda text: Int64(int(text)),
               "$numberDouble": float, "$numberDecimal": Decimal128}


def _convert(value):
    """`value` with the wrappers converted; containers are changed in place."""
    kind = type(value)
    if kind is dict:
        for key in value:
            if key[:1] == "$":
                if len(value) != 1:
                    raise _NeedsJsonUtil
                converter = _CONVERTERS.get(key)
                text = value[key]
                if converter is None or type(text) is not str:
                    raise _NeedsJsonUtil
                try:
                    return converter(text)
                except (ValueError, ArithmeticError, BSONError):
                    raise _NeedsJsonUtil from None  # json_util raises its own error for it
        for key, item in value.items():
            if type(item) in (dict, list):
                value[key] = _convert(item)
        return value
    if kind is list:
        for index, item in enumerate(value):
            if type(item) in (dict, list):
                value[index] = _convert(item)
    return value


def exclude(document, paths: Iterable[Sequence[str]]) -> None:
    """Removes dotted paths from `document` in place, walking arrays as MongoDB's exclusion
    projection does (`runs.messages` removes `messages` from every object of `runs`)."""
    for path in paths:
        _exclude(document, path, 0)


def _exclude(value, path: Sequence[str], depth: int) -> None:
    if type(value) is dict:
        if depth == len(path) - 1:
            value.pop(path[depth], None)
            return
        child = value.get(path[depth])
        if child is not None:
            _exclude(child, path, depth + 1)
    elif type(value) is list:
        for element in value:
            _exclude(element, path, depth)


def split_paths(paths: Iterable[str]) -> List[Sequence[str]]:
    return [tuple(path.split(".")) for path in paths]


def loads(text: str, excluded: Sequence[Sequence[str]] = ()):
    """One line as json_util would decode it, minus the `excluded` paths. Raises what
    json_util raises for a line it cannot decode."""
    try:
        value = json.loads(text)
    except ValueError:
        value = None  # json_util raises the same error, with its own message
    else:
        if type(value) is dict:
            exclude(value, excluded)
        try:
            return _convert(value)
        except _NeedsJsonUtil:
            pass
    value = json_util.loads(text, json_options=JSON_OPTIONS)
    if type(value) is dict:
        exclude(value, excluded)
    return value
