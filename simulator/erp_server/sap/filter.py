"""OData V2 ``$filter`` over an SAP view, as SQL with bound parameters.

The V2 grammar SAP Gateway accepts: ``eq ne gt ge lt le``, ``and or not``, parentheses,
``substringof('x', P)`` (V2's argument order), ``startswith endswith tolower toupper trim
length``, and V2 literals: ``'text'``, ``datetime'2024-01-31T00:00:00'``,
``datetimeoffset'...Z'``, ``guid'...'``, ``time'PT14H'``, ``12.5M``, ``7``, ``true``,
``null``. Dates compare as instants (julianday) so a date-only value and a timestamp of
the same day order correctly. Anything else is a 400 naming the position.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from simulator.erp_server.sap.catalog import EntityType, Property
from simulator.erp_server.sap.errors import SapError

__all__ = ["parse_filter"]

COMPARISONS = {"eq": "=", "ne": "<>", "gt": ">", "ge": ">=", "lt": "<", "le": "<="}
MAX_DEPTH = 40
_TOKEN = re.compile(
    r"""\s*(?:
      (?P<typed>(?:datetimeoffset|datetime|guid|time|binary|X)'(?:[^']|'')*')
    | (?P<string>'(?:[^']|'')*')
    | (?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?[mMdDfFlL]?)
    | (?P<name>[A-Za-z_][A-Za-z0-9_]*(?:/[A-Za-z_][A-Za-z0-9_]*)*)
    | (?P<punct>[(),=])
    )""",
    re.VERBOSE,
)
DATE_TYPES = ("Edm.DateTime", "Edm.DateTimeOffset")
NUMERIC = ("Edm.Decimal", "Edm.Double", "Edm.Single", "Edm.Byte", "Edm.Int16", "Edm.Int32")


@dataclass(frozen=True, slots=True)
class _Tok:
    kind: str
    text: str
    pos: int


@dataclass(frozen=True, slots=True)
class _Operand:
    sql: str
    params: tuple[Any, ...]
    prop: Property | None = None  # a bare property reference
    literal: Any = None
    literal_kind: str = ""  # string, number, datetime, guid, time, bool, null
    boolean: bool = False  # a boolean-valued function call


def _bad(message: str) -> SapError:
    return SapError(400, "/IWBEP/CM_MGW_RT/004", f"Invalid filter expression: {message}")


def _tokens(text: str) -> list[_Tok]:
    tokens: list[_Tok] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            raise _bad(f"unexpected character at position {pos}: {text[pos : pos + 10]!r}")
        kind = match.lastgroup or ""
        tokens.append(_Tok(kind, match.group(kind), match.start(kind)))
        pos = match.end()
    tokens.append(_Tok("end", "", len(text)))
    return tokens


def parse_filter(text: str, entity: EntityType) -> tuple[str, list[Any]]:
    parser = _Parser(_tokens(text), entity)
    operand = parser.expression(0)
    parser.expect_end()
    return parser.condition(operand), list(operand.params)


class _Parser:
    def __init__(self, tokens: list[_Tok], entity: EntityType) -> None:
        self.tokens = tokens
        self.i = 0
        self.entity = entity

    @property
    def current(self) -> _Tok:
        return self.tokens[self.i]

    def take(self) -> _Tok:
        token = self.tokens[self.i]
        self.i += 1
        return token

    def word(self, *words: str) -> bool:
        return self.current.kind == "name" and self.current.text in words

    def expect(self, char: str) -> None:
        if self.current.text != char or self.current.kind != "punct":
            raise _bad(f"expected {char!r} at position {self.current.pos}")
        self.i += 1

    def expect_end(self) -> None:
        if self.current.kind != "end":
            raise _bad(f"unexpected {self.current.text!r} at position {self.current.pos}")

    def condition(self, operand: _Operand) -> str:
        """A boolean SQL condition from an operand (a bare boolean property counts)."""
        if operand.boolean:
            return operand.sql
        if operand.prop is not None and operand.prop.edm == "Edm.Boolean":
            return f"({operand.sql} <> 0)"
        if operand.literal_kind == "bool":
            return "1" if operand.literal else "0"
        raise _bad("the expression is not a condition")

    def expression(self, depth: int) -> _Operand:
        if depth > MAX_DEPTH:
            raise _bad("nested too deeply")
        parts = [self.conjunction(depth)]
        while self.word("or"):
            self.take()
            parts.append(self.conjunction(depth))
        return self._joined(parts, "OR")

    def conjunction(self, depth: int) -> _Operand:
        parts = [self.negation(depth)]
        while self.word("and"):
            self.take()
            parts.append(self.negation(depth))
        return self._joined(parts, "AND")

    def _joined(self, parts: list[_Operand], op: str) -> _Operand:
        """``a or b or c`` as one flat SQL list: a connector's long ``Material eq ... or``
        list must not nest one level per term (SQLite's parser stack ends at about 100)."""
        if len(parts) == 1:
            return parts[0]
        sql = f" {op} ".join(self.condition(part) for part in parts)
        return _Operand(f"({sql})", tuple(p for part in parts for p in part.params), boolean=True)

    def negation(self, depth: int) -> _Operand:
        if self.word("not") and self.tokens[self.i + 1].text != ")":
            self.take()
            inner = self.negation(depth + 1)
            return _Operand(f"(NOT {self.condition(inner)})", inner.params, boolean=True)
        return self.comparison(depth)

    def comparison(self, depth: int) -> _Operand:
        left = self.primary(depth)
        if self.current.kind == "name" and self.current.text in COMPARISONS:
            op_token = self.take()
            right = self.primary(depth)
            return self.compare(left, op_token, right)
        return left

    def primary(self, depth: int) -> _Operand:
        token = self.current
        if token.kind == "punct" and token.text == "(":
            self.take()
            inner = self.expression(depth + 1)
            self.expect(")")
            return inner
        if token.kind == "name" and self.tokens[self.i + 1].text == "(" and token.text in FUNCTIONS:
            return self.function(depth)
        if token.kind == "name":
            self.take()
            if token.text in ("true", "false"):
                return _Operand(
                    "?",
                    (int(token.text == "true"),),
                    literal=token.text == "true",
                    literal_kind="bool",
                )
            if token.text == "null":
                return _Operand("NULL", (), literal_kind="null")
            prop = self.entity.prop(token.text)
            if prop is None:
                raise _bad(f"property {token.text!r} not found in {self.entity.name}")
            if not prop.filterable:
                raise _bad(f"property {token.text!r} is not filterable")
            return _Operand(f'"{prop.name}"', (), prop=prop)
        if token.kind in ("string", "typed", "number"):
            self.take()
            return _literal(token)
        raise _bad(f"unexpected {token.text or 'end of expression'!r} at position {token.pos}")

    def function(self, depth: int) -> _Operand:
        name = self.take().text
        self.expect("(")
        args = [self.expression(depth + 1)]
        while self.current.text == "," and self.current.kind == "punct":
            self.take()
            args.append(self.expression(depth + 1))
        self.expect(")")
        arity = FUNCTIONS[name]
        if len(args) != arity:
            raise _bad(f"{name} takes {arity} argument(s), got {len(args)}")
        params = tuple(p for a in args for p in a.params)
        sqls = [a.sql for a in args]
        if name == "substringof":  # V2: substringof(needle, haystack)
            return _Operand(f"(instr({sqls[1]}, {sqls[0]}) > 0)", params, boolean=True)
        if name == "startswith":
            return _Operand(
                f"(substr({sqls[0]}, 1, length({sqls[1]})) = {sqls[1]})",
                tuple(args[0].params + args[1].params + args[1].params),
                boolean=True,
            )
        if name == "endswith":
            return _Operand(
                f"(substr({sqls[0]}, -length({sqls[1]})) = {sqls[1]})",
                tuple(args[0].params + args[1].params + args[1].params),
                boolean=True,
            )
        functions = {"tolower": "lower", "toupper": "upper", "trim": "trim", "length": "length"}
        return _Operand(f"{functions[name]}({sqls[0]})", params)

    def compare(self, left: _Operand, op_token: _Tok, right: _Operand) -> _Operand:
        op = COMPARISONS[op_token.text]
        if left.literal_kind == "null" or right.literal_kind == "null":
            other = right if left.literal_kind == "null" else left
            if op not in ("=", "<>"):
                raise _bad(f"null can only be compared with eq or ne (position {op_token.pos})")
            is_null = "IS NULL" if op == "=" else "IS NOT NULL"
            return _Operand(f"({other.sql} {is_null})", other.params, boolean=True)
        if left.boolean or right.boolean:  # substringof(...) eq true
            cond = left if left.boolean else right
            value = right if left.boolean else left
            if value.literal_kind != "bool" or op not in ("=", "<>"):
                raise _bad(f"a condition compares only with eq/ne true/false ({op_token.pos})")
            positive = value.literal == (op == "=")
            return _Operand(
                cond.sql if positive else f"(NOT {cond.sql})", cond.params, boolean=True
            )
        prop = left.prop or right.prop
        if prop is not None and prop.edm in DATE_TYPES:
            for side in (left, right):
                if side.prop is None and side.literal_kind not in ("datetime",):
                    raise _bad(f"{prop.name} is a date: compare it with datetime'...'")
            sql = f"(julianday({left.sql}) {op} julianday({right.sql}))"
            return _Operand(sql, left.params + right.params, boolean=True)
        if prop is not None:
            left, right = _coerce(left, prop), _coerce(right, prop)
        return _Operand(f"({left.sql} {op} {right.sql})", left.params + right.params, boolean=True)


FUNCTIONS = {
    "substringof": 2,
    "startswith": 2,
    "endswith": 2,
    "tolower": 1,
    "toupper": 1,
    "trim": 1,
    "length": 1,
}


def _literal(token: _Tok) -> _Operand:
    text = token.text
    if token.kind == "string":
        string = text[1:-1].replace("''", "'")
        return _Operand("?", (string,), literal=string, literal_kind="string")
    if token.kind == "number":
        body = text.rstrip("mMdDfFlL")
        value: Any = (
            float(body) if any(c in body for c in ".eE") or text[-1] in "mMdDfF" else (int(body))
        )
        return _Operand("?", (value,), literal=value, literal_kind="number")
    prefix, quoted = text.split("'", 1)
    inner = quoted[:-1].replace("''", "'")
    if prefix in ("datetime", "datetimeoffset"):
        try:
            moment = dt.datetime.fromisoformat(inner.replace("Z", "+00:00"))
        except ValueError:
            raise _bad(f"{text} is not a valid {prefix} literal") from None
        if moment.tzinfo is not None:
            moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
        stamp = moment.strftime("%Y-%m-%dT%H:%M:%S")
        return _Operand("?", (stamp,), literal=stamp, literal_kind="datetime")
    if prefix == "guid":
        if not re.fullmatch(r"[0-9a-fA-F-]{36}", inner):
            raise _bad(f"{text} is not a valid guid literal")
        return _Operand("?", (inner.lower(),), literal=inner.lower(), literal_kind="guid")
    if prefix == "time":
        match = re.fullmatch(r"PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)(?:\.\d+)?S)?", inner)
        if match is None:
            raise _bad(f"{text} is not a valid time literal")
        h, m, s = (int(g or 0) for g in match.groups())
        clock = f"{h:02d}:{m:02d}:{s:02d}"
        return _Operand("?", (clock,), literal=clock, literal_kind="time")
    raise _bad(f"{prefix} literals are not supported")


def _coerce(operand: _Operand, prop: Property) -> _Operand:
    """A literal compared with `prop` as the view stores that property's values."""
    if operand.prop is not None or (not operand.params and operand.literal_kind == ""):
        return operand
    kind = operand.literal_kind
    if prop.edm == "Edm.Boolean":
        if kind != "bool":
            raise _bad(f"{prop.name} is a flag: compare it with true or false")
        return operand
    if prop.edm in NUMERIC:
        if kind != "number":
            raise _bad(f"{prop.name} is a number: compare it with a number such as 12.5M")
        return operand
    if prop.edm == "Edm.String" and kind not in ("string", ""):
        raise _bad(f"{prop.name} is a string: compare it with a quoted value")
    return operand


def key_values(text: str) -> list[tuple[str | None, Any]] | None:
    """The (property, value) pairs of a key predicate (property None for ``('X')``), with
    literals as the views store them; None if the text is not a key predicate."""
    try:
        tokens = _tokens(text)
    except SapError:
        return None
    pairs: list[tuple[str | None, Any]] = []
    i = 0
    while True:
        name: str | None = None
        if tokens[i].kind == "name" and tokens[i + 1].text == "=":
            name = tokens[i].text
            i += 2
        if tokens[i].kind not in ("string", "typed", "number"):
            return None
        try:
            pairs.append((name, _literal(tokens[i]).literal))
        except SapError:
            return None
        i += 1
        if tokens[i].kind == "punct" and tokens[i].text == ",":
            i += 1
            continue
        if tokens[i].kind == "end":
            return pairs
        return None
