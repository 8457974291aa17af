"""`$filter` to parameterised SQL.

A small recursive-descent parser over the OData v4 subset integrations use: ``eq ne gt ge
lt le``, ``and or not``, parentheses, ``in (...)``, ``contains``/``startswith``/
``endswith``, and literals (strings, numbers, ``true``/``false``/``null``, dates,
date-times, GUIDs). Field names are looked up in the entity set (the whitelist): no text
from the request ever reaches the SQL except as a bound parameter. Literal types are checked
against the field's EDM type, so ``unitPrice eq 'x'`` is a 400, not a silent empty result.

Date-times are compared as the ISO UTC text they are stored as (seconds resolution), so a
``lastModifiedDateTime gt ...`` delta filter is a range scan on its index.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from typing import Any

from simulator.erp_server.entities import (
    EDM_BOOL,
    EDM_DATE,
    EDM_DECIMAL,
    EDM_GUID,
    EDM_INT,
    EDM_STAMP,
    EDM_STRING,
    EntitySet,
    Field,
)
from simulator.erp_server.odata.errors import ODataError

__all__ = ["INT64", "SqlFilter", "parse_filter", "stamp_text"]

MAX_FILTER_LENGTH = 4000
MAX_DEPTH = 40
MAX_IN_VALUES = 500
INT64 = 2**63
TOP_CHAR = "\U0010ffff"

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<string>'(?:[^']|'')*')
  | (?P<stamp>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,7})?)?(?:Z|[+-]\d{2}:\d{2}))
  | (?P<date>\d{4}-\d{2}-\d{2})(?![\w:-])
  | (?P<guid>[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})(?![\w-])
  | (?P<number>[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)(?![\w.])
  | (?P<name>[A-Za-z_]\w*)
  | (?P<punct>[(),])
    """,
    re.VERBOSE | re.ASCII,  # OData's digits are ASCII ones
)
COMPARISONS = {"eq": "=", "ne": "!=", "gt": ">", "ge": ">=", "lt": "<", "le": "<="}
SWAPPED = {"eq": "eq", "ne": "ne", "gt": "lt", "ge": "le", "lt": "gt", "le": "ge"}
FUNCTIONS = ("contains", "startswith", "endswith")
KEYWORDS = frozenset({"and", "or", "not", "in", "true", "false", "null", *COMPARISONS})
NUMERIC = (EDM_DECIMAL, EDM_INT)


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # string, stamp, date, guid, number, name, punct, end
    text: str
    pos: int


@dataclass(frozen=True, slots=True)
class Literal:
    kind: str  # string, stamp, date, guid, number, bool, null
    value: Any
    fraction: bool = False  # a date-time with sub-second digits (see _stamp_condition)


@dataclass(frozen=True, slots=True)
class SqlFilter:
    """A WHERE fragment and its parameters."""

    sql: str
    params: tuple[Any, ...]


def parse_filter(text: str, entity: EntitySet) -> SqlFilter:
    """The SQL condition for a `$filter` on `entity`; ODataError 400 for anything invalid."""
    if len(text) > MAX_FILTER_LENGTH:
        raise _error(f"$filter is longer than {MAX_FILTER_LENGTH} characters")
    parser = _Parser(_tokens(text), entity)
    sql = parser.expression(0)
    parser.expect_end()
    return SqlFilter(sql, tuple(parser.params))


def stamp_text(moment: dt.datetime) -> str:
    """A date-time as stored in `last_modified_date_time` (UTC, seconds)."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _error(message: str) -> ODataError:
    return ODataError(400, "invalid_filter", f"invalid $filter: {message}")


def _tokens(text: str) -> list[Token]:
    tokens = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            raise _error(f"unexpected character {text[pos]!r} at position {pos}")
        kind = match.lastgroup or ""
        if kind != "ws":
            tokens.append(Token(kind, match.group(), pos))
        pos = match.end()
    tokens.append(Token("end", "", len(text)))
    return tokens


class _Parser:
    def __init__(self, tokens: list[Token], entity: EntitySet) -> None:
        self.tokens = tokens
        self.index = 0
        self.entity = entity
        self.params: list[Any] = []

    # --- token helpers -------------------------------------------------------------------
    @property
    def current(self) -> Token:
        return self.tokens[self.index]

    def take(self) -> Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def is_word(self, *words: str) -> bool:
        token = self.current
        return token.kind == "name" and token.text in words

    def expect_punct(self, char: str) -> None:
        token = self.take()
        if token.kind != "punct" or token.text != char:
            raise _error(f"expected {char!r} at position {token.pos}, found {_shown(token)}")

    def expect_end(self) -> None:
        if self.current.kind != "end":
            token = self.current
            raise _error(f"unexpected {_shown(token)} at position {token.pos}")

    # --- grammar -------------------------------------------------------------------------
    def expression(self, depth: int) -> str:
        if depth > MAX_DEPTH:
            raise _error(f"nested deeper than {MAX_DEPTH} levels")
        terms = [self.conjunction(depth)]
        while self.is_word("or"):
            self.take()
            terms.append(self.conjunction(depth))
        return terms[0] if len(terms) == 1 else "(" + " OR ".join(terms) + ")"

    def conjunction(self, depth: int) -> str:
        terms = [self.unary(depth)]
        while self.is_word("and"):
            self.take()
            terms.append(self.unary(depth))
        return terms[0] if len(terms) == 1 else "(" + " AND ".join(terms) + ")"

    def unary(self, depth: int) -> str:
        if self.is_word("not"):
            self.take()
            return f"NOT ({self.unary(depth + 1)})"
        return self.primary(depth)

    def primary(self, depth: int) -> str:
        token = self.current
        if token.kind == "punct" and token.text == "(":
            self.take()
            inner = self.expression(depth + 1)
            self.expect_punct(")")
            return f"({inner})"
        if token.kind == "name" and token.text in FUNCTIONS:
            return self.function()
        left = self.operand()
        op = self.current
        if op.kind == "name" and op.text == "in":
            self.take()
            return self.membership(left, op)
        if op.kind != "name" or op.text not in COMPARISONS:
            if isinstance(left, Field) and left.is_bool:
                return f"{left.column} = 1"
            raise _error(f"expected a comparison operator at position {op.pos}, found {_shown(op)}")
        self.take()
        right = self.operand()
        return self.comparison(left, op.text, right, op.pos)

    def operand(self) -> Field | Literal:
        token = self.take()
        if token.kind == "name" and token.text not in KEYWORDS:
            found = self.entity.by_name.get(token.text)
            if found is None:
                raise ODataError(
                    400,
                    "unknown_field",
                    f"invalid $filter: {self.entity.name} has no field {token.text!r}",
                )
            return found
        return _literal(token)

    def comparison(self, left: Field | Literal, op: str, right: Field | Literal, pos: int) -> str:
        if isinstance(left, Literal) and isinstance(right, Field):
            left, right, op = right, left, SWAPPED[op]
        if not isinstance(left, Field) or not isinstance(right, Literal):
            raise _error(f"the comparison at position {pos} must compare a field with a value")
        if right.kind == "null":
            if not left.nullable and op not in ("eq", "ne"):
                raise _error(f"cannot order {left.name} against null")
            if op not in ("eq", "ne"):
                raise _error(f"{op} null is not a comparison (use eq or ne)")
            return f"{left.column} IS {'NOT ' if op == 'ne' else ''}NULL"
        if left.edm == EDM_BOOL and op not in ("eq", "ne"):
            raise _error(f"{left.name} is a boolean: only eq and ne apply")
        value = _coerce(left, right)
        if left.edm == EDM_STAMP and right.fraction:
            return self.fractional_stamp(left, op, right.value)
        self.params.append(value)
        return f"{left.column} {COMPARISONS[op]} ?"

    def fractional_stamp(self, field: Field, op: str, moment: dt.datetime) -> str:
        """Stored stamps have whole seconds: compare with the literal's second instead, so
        ``gt 10:00:00.5`` means ``> 10:00:00`` and ``ge 10:00:00.5`` means ``> 10:00:00``."""
        whole = stamp_text(moment.replace(microsecond=0))
        rewritten = {"gt": ">", "le": "<=", "ge": ">", "lt": "<="}.get(op)
        if rewritten is None:  # eq never holds, ne always does
            return "0" if op == "eq" else f"{field.column} IS NOT NULL"
        self.params.append(whole)
        return f"{field.column} {rewritten} ?"

    def membership(self, left: Field | Literal, op: Token) -> str:
        if not isinstance(left, Field):
            raise _error(f"'in' at position {op.pos} needs a field on its left")
        self.expect_punct("(")
        values = []
        while True:
            literal = _literal(self.take())
            if literal.kind == "null" or literal.fraction:
                raise _error(f"'in' lists plain values (position {op.pos})")
            values.append(_coerce(left, literal))
            if len(values) > MAX_IN_VALUES:
                raise _error(f"'in' takes at most {MAX_IN_VALUES} values")
            if self.current.kind == "punct" and self.current.text == ",":
                self.take()
                continue
            break
        self.expect_punct(")")
        self.params.extend(values)
        return f"{left.column} IN ({', '.join('?' * len(values))})"

    def function(self) -> str:
        name = self.take()
        self.expect_punct("(")
        target = self.operand()
        self.expect_punct(",")
        needle = self.operand()
        self.expect_punct(")")
        if not isinstance(target, Field) or target.edm != EDM_STRING:
            raise _error(f"{name.text}() takes a text field first (position {name.pos})")
        if not isinstance(needle, Literal) or needle.kind != "string":
            raise _error(f"{name.text}() takes a quoted text second (position {name.pos})")
        text: str = needle.value
        column = target.column
        if not text:
            return f"{column} IS NOT NULL"
        if name.text == "contains":
            self.params.append(text)
            return f"instr({column}, ?) > 0"
        if name.text == "startswith":  # a range: index-backed where the column is indexed
            self.params += (text, text + TOP_CHAR)
            return f"({column} >= ? AND {column} < ?)"
        self.params.append(text)
        return f"substr({column}, -{len(text)}) = ?"


def _shown(token: Token) -> str:
    return "the end" if token.kind == "end" else repr(token.text)


def _literal(token: Token) -> Literal:
    kind, text = token.kind, token.text
    if kind == "string":
        return Literal("string", text[1:-1].replace("''", "'"))
    if kind == "number":
        return Literal("number", _number(text, token.pos))
    if kind == "date":
        try:
            return Literal("date", dt.date.fromisoformat(text))
        except ValueError:
            raise _error(f"{text!r} at position {token.pos} is not a date") from None
    if kind == "stamp":
        try:
            moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
            # In UTC now: near year 1 or 9999 an offset takes it out of datetime's range.
            if moment.tzinfo is not None:
                moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
        except (ValueError, OverflowError):
            raise _error(f"{text!r} at position {token.pos} is not a date-time") from None
        return Literal("stamp", moment, fraction=moment.microsecond != 0)
    if kind == "guid":
        return Literal("guid", text.lower())
    if kind == "name" and text in ("true", "false"):
        return Literal("bool", text == "true")
    if kind == "name" and text == "null":
        return Literal("null", None)
    raise _error(f"expected a field or a value at position {token.pos}, found {_shown(token)}")


def _number(text: str, pos: int) -> int | float:
    if re.fullmatch(r"[-+]?\d+", text):
        value = int(text)
        if -INT64 <= value < INT64:
            return value
        raise _error(f"number {text} at position {pos} is out of range")
    number = float(text)
    if not math.isfinite(number):
        raise _error(f"number {text} at position {pos} is out of range")
    return number


def enum_member(text: str) -> str:
    """An enum value as its member name (BC's XML-encoded spelling of spaces and signs)."""
    if text.strip() == "":
        return "_x0020_"
    out = []
    for char in text:
        out.append(char if char.isalnum() or char == "_" else f"_x{ord(char):04X}_")
    return "".join(out)


def _coerce(field: Field, literal: Literal) -> Any:
    """The bound parameter for comparing `field` with `literal`, or a 400 on a type clash."""
    edm, kind = field.edm, literal.kind
    if edm == EDM_STRING and kind == "string":
        return literal.value
    if field.is_enum and kind == "string":  # BC takes 'In Review' and 'In_x0020_Review'
        return enum_member(str(literal.value))
    if edm == EDM_GUID and kind in ("guid", "string"):
        return str(literal.value).lower()
    if edm in NUMERIC and kind == "number":
        return literal.value
    if edm == EDM_BOOL and kind == "bool":
        return int(literal.value)
    if edm == EDM_DATE and kind == "date":
        return literal.value.isoformat()
    if edm == EDM_STAMP and kind == "stamp":
        return stamp_text(literal.value)
    if edm == EDM_STAMP and kind == "date":
        return f"{literal.value.isoformat()}T00:00:00Z"
    shown = {"string": "a text", "number": "a number", "bool": "a boolean", "guid": "a GUID"}
    raise ODataError(
        400,
        "type_mismatch",
        f"invalid $filter: {field.name} is {edm.removeprefix('Edm.')}, "
        f"cannot compare it with {shown.get(kind, 'a ' + kind)}",
    )
