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
from typing import Callable, Dict, FrozenSet, Iterable, NamedTuple, Optional, Sequence, Tuple

from bson import json_util
from bson.decimal128 import Decimal128
from bson.errors import BSONError
from bson.int64 import Int64
from bson.objectid import ObjectId

from interfaces.values import UnreadableDocument

JSON_OPTIONS = json_util.JSONOptions(json_mode=json_util.JSONMode.RELAXED, tz_aware=False)


class _NeedsJsonUtil(Exception):
    """A wrapper this module does not convert: json_util decodes the line."""


# The wrappers converted here, each from its text; every other `$` key goes to json_util.
_CONVERTERS: Dict[str, Callable[[str], object]] = {
    "$oid": ObjectId, "$numberInt": int, "$numberLong": lambda text: Int64(int(text)),
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


class ExcludedPaths(NamedTuple):
    """The paths to leave out, as a tree: the keys removed at this level, and the keys to
    walk into with what to remove below them. Made by `split_paths`."""

    removed: FrozenSet[str]
    below: Tuple[Tuple[str, "ExcludedPaths"], ...]


def exclude(document, excluded: ExcludedPaths) -> None:
    """Removes the `excluded` paths from `document` in place, walking arrays as MongoDB's
    exclusion projection does (`runs.messages` removes `messages` from every object of
    `runs`)."""
    if type(document) is dict:
        # only the keys the document has: a set intersection, not one pop per path
        for key in excluded.removed.intersection(document):
            del document[key]
        for key, below in excluded.below:
            child = document.get(key)
            if child is not None:
                exclude(child, below)
    elif type(document) is list:
        for element in document:
            exclude(element, excluded)


def split_paths(paths: Iterable[str]) -> ExcludedPaths:
    """The tree of dotted paths (`runs.messages`), for `exclude` and `loads`."""
    return _tree(tuple(path.split(".")) for path in paths)


def _tree(paths: Iterable[Sequence[str]]) -> ExcludedPaths:
    removed = set()
    below: dict = {}
    for path in paths:
        if len(path) == 1:
            removed.add(path[0])
        else:
            below.setdefault(path[0], []).append(path[1:])
    return ExcludedPaths(frozenset(removed), tuple(
        (key, _tree(rest)) for key, rest in below.items() if key not in removed))


def loads(text: str, excluded: Optional[ExcludedPaths] = None):
    """One line as json_util would decode it, minus the `excluded` paths (a `split_paths`
    tree). Raises what json_util raises for a line it cannot decode."""
    try:
        value = json.loads(text)
    except ValueError:
        pass  # json_util raises the same error, with its own message
    else:
        if excluded is not None and type(value) is dict:
            exclude(value, excluded)
        try:
            return _converted(value, text)
        except _NeedsJsonUtil:
            pass
    value = json_util.loads(text, json_options=JSON_OPTIONS)
    if excluded is not None and type(value) is dict:
        exclude(value, excluded)
    return value


def _converted(value, text: str):
    """Walking a whole document in Python is what makes json_util slow, so the walk is
    skipped where the text shows it is not needed: no wrapper at all, or only the usual
    `{"_id": {"$oid": ...}}` of a relaxed export."""
    if "\\u0024" in text:  # an escaped "$" would spell a wrapper the count below misses
        return _convert(value)
    # One "$" is found by memchr, and counted, several times faster than '"$' (a 12 KB
    # line: 0.4 us, 3.4 us, 10.6 us); a line without a wrapper or with just its _id's pays
    # only those.
    if "$" not in text:
        return value
    wrappers = 1 if text.count("$") == 1 else text.count('"$')
    if wrappers == 0:
        return value
    if wrappers == 1 and type(value) is dict:
        identifier = value.get("_id")
        if type(identifier) is dict and len(identifier) == 1 and "$oid" in identifier:
            value["_id"] = _convert(identifier)
            return value
    return _convert(value)


# --- a line of a mongoexport file (sessions or runs) ------------------------------------

_BLANK_START = (b"", b" ", b"\t", b"\n", b"\r", b"\x0b", b"\x0c")  # bytes.strip()'s white space


def is_blank(raw: bytes) -> bool:
    """A line with nothing but white space (after a UTF-8 byte-order mark, which an editor
    may put on a file's first line). Only a line starting with white space or a mark can be
    blank, so the others are not stripped (copying every 10 KB line costs time)."""
    start = raw[:1]
    if start in _BLANK_START:
        return not raw.strip()
    return start == b"\xef" and raw[:3] == _BYTE_ORDER_MARK and not raw[3:].strip()


_BYTE_ORDER_MARK = b"\xef\xbb\xbf"


def decode_json_line(raw: bytes, line_number: int, excluded: Optional[ExcludedPaths] = None,
                     first_of_file: Optional[bool] = None):
    """One mongoexport line as a document (without the `excluded` paths), or an
    UnreadableDocument saying why not."""
    if first_of_file is None:
        first_of_file = line_number == 1
    try:
        # mongoexport writes no byte-order mark, but an editor or a Windows tool may add one.
        text = raw.decode("utf-8-sig" if first_of_file else "utf-8")
        document = loads(text, excluded)
    except UnicodeDecodeError:
        return UnreadableDocument("not UTF-8", line_number)
    except Exception as exc:  # json_util raises ValueError, TypeError, bson errors, ...
        return UnreadableDocument("invalid Extended JSON: {}".format(type(exc).__name__),
                                  line_number)
    if not isinstance(document, dict):
        return UnreadableDocument("not a JSON object", line_number)
    return document
