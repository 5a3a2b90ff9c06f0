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
from typing import Iterable, Optional, Sequence

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


def exclude(document, tree: dict) -> None:
    """Removes the paths of `tree` (made by `split_paths`) from `document` in place, walking
    arrays as MongoDB's exclusion projection does (`runs.messages` removes `messages` from
    every object of `runs`)."""
    _exclude(document, tree)


def path_tree(paths: Iterable[Sequence[str]]) -> dict:
    """{"runs": {"messages": None, ...}, "session_data": None}: None marks a removal."""
    tree: dict = {}
    for path in paths:
        node = tree
        for part in path[:-1]:
            node = node.setdefault(part, {})
            if node is None:
                break
        else:
            node[path[-1]] = None
    return tree


def _exclude(value, tree: dict) -> None:
    if type(value) is dict:
        for key, subtree in tree.items():
            if subtree is None:
                value.pop(key, None)
            else:
                child = value.get(key)
                if child is not None:
                    _exclude(child, subtree)
    elif type(value) is list:
        for element in value:
            _exclude(element, tree)


def split_paths(paths: Iterable[str]) -> dict:
    """The tree of dotted paths, for `exclude` and `loads`."""
    return path_tree(tuple(path.split(".")) for path in paths)


def loads(text: str, excluded: Optional[dict] = None):
    """One line as json_util would decode it, minus the `excluded` paths (a `split_paths`
    tree). Raises what json_util raises for a line it cannot decode."""
    try:
        value = json.loads(text)
    except ValueError:
        pass  # json_util raises the same error, with its own message
    else:
        if excluded and type(value) is dict:
            exclude(value, excluded)
        try:
            return _converted(value, text)
        except _NeedsJsonUtil:
            pass
    value = json_util.loads(text, json_options=JSON_OPTIONS)
    if excluded and type(value) is dict:
        exclude(value, excluded)
    return value


def _converted(value, text: str):
    """Walking a whole document in Python is what makes json_util slow, so the walk is
    skipped where the text shows it is not needed: no wrapper at all, or only the usual
    `{"_id": {"$oid": ...}}` of a relaxed export."""
    if "\\u0024" in text:  # an escaped "$" would spell a wrapper the count below misses
        return _convert(value)
    wrappers = text.count('"$')
    if wrappers == 0:
        return value
    if wrappers == 1 and type(value) is dict:
        identifier = value.get("_id")
        if type(identifier) is dict and len(identifier) == 1 and "$oid" in identifier:
            value["_id"] = _convert(identifier)
            return value
    return _convert(value)
