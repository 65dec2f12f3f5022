"""The QBO query language subset the sandbox understands, parsed into a `Query`.

    SELECT * [, Field ...] | COUNT(*) | Field, ... FROM Entity
    [WHERE Field op value [AND ...]]      op: = != < > <= >= IN (...) LIKE '%x%'
    [ORDERBY Field [ASC|DESC], ...] [STARTPOSITION n] [MAXRESULTS n]

String literals are single-quoted; `\\'` is an apostrophe and `\\\\` a backslash; any other
backslash is kept as written (clients that escape only apostrophes still find names with
backslashes). Keywords and entity names are case-insensitive. Syntax errors raise fault 4000;
semantic ones (unknown entity, non-queryable property, bad STARTPOSITION) raise 4001.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from qbsandbox.exceptions import query_invalid, query_parse_error

MAX_PAGE = 1000
DEFAULT_PAGE = 100

_TOKEN = re.compile(
    r"\s*(?:(?P<string>'(?:[^'\\]|\\.)*')|(?P<number>-?\d+(?:\.\d+)?)|(?P<op><=|>=|!=|<>|=|<|>)"
    r"|(?P<punct>[(),*])|(?P<word>[A-Za-z_][A-Za-z0-9_.]*))",
    re.S,
)


@dataclass
class Condition:
    field: str
    op: str  # = != < > <= >= IN LIKE
    values: list[Any]


@dataclass
class Query:
    entity: str
    count: bool = False
    fields: list[str] = field(default_factory=list)  # empty means *
    where: list[Condition] = field(default_factory=list)
    order: list[tuple[str, bool]] = field(default_factory=list)  # (field, descending)
    start: int = 1
    max_results: int = DEFAULT_PAGE


def tokenize(text: str) -> list[tuple[str, Any]]:
    tokens: list[tuple[str, Any]] = []
    pos, text = 0, text.rstrip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise query_parse_error(f'Lexical error at line 1, column {pos + 1}.  Encountered: "{text[pos]}"')
        kind = match.lastgroup or ""
        tokens.append((kind, _literal(kind, match.group(kind))))
        pos = match.end()
    return tokens


def _literal(kind: str, raw: str) -> Any:
    if kind == "string":
        return re.sub(r"\\(['\\])", r"\1", raw[1:-1])
    if kind == "word" and raw.lower() in ("true", "false"):
        return raw.lower() == "true"
    return raw


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = tokenize(text)
        self.pos = 0

    def peek(self) -> tuple[str, Any]:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else ("end", None)

    def take(self) -> tuple[str, Any]:
        token = self.peek()
        self.pos += 1
        return token

    def keyword(self, *words: str) -> str | None:
        kind, value = self.peek()
        if kind == "word" and isinstance(value, str) and value.upper() in words:
            self.pos += 1
            return value.upper()
        return None

    def expect(self, kind: str, value: str | None = None) -> Any:
        got_kind, got = self.take()
        if got_kind != kind or (value is not None and str(got).upper() != value):
            shown = "<EOF>" if got_kind == "end" else got
            raise query_parse_error(
                f'Encountered " "{shown}" at line 1, column {self.pos}.\n'
                f"Was expecting:\n    {value or '<' + kind.upper() + '>'} ...\n    "
            )
        return got


def parse(text: str) -> Query:
    parser = _Parser(text)
    parser.expect("word", "SELECT")
    count, fields = _select_list(parser)
    parser.expect("word", "FROM")
    entity = parser.expect("word")
    if entity.upper() == "NULL":  # a reserved word where QBO expects an entity name
        raise query_parse_error(
            'Encountered " "null" "NULL "" at line 1, column 15.\nWas expecting:\n    <IDENTIFIER> ...\n    '
        )
    query = Query(entity=entity, count=count, fields=fields)
    if parser.keyword("WHERE"):
        query.where = _conditions(parser)
    _tail(parser, query)
    if parser.peek()[0] != "end":
        raise query_parse_error(f'Encountered "{parser.peek()[1]}" at line 1, column {parser.pos + 1}.')
    return query


def _select_list(parser: _Parser) -> tuple[bool, list[str]]:
    if parser.peek() == ("punct", "*"):
        parser.take()
        # `SELECT *, Sku FROM Item`: QBO accepts fields after the star (python-quickbooks' Item.all()
        # sends it); the star already selects them.
        while parser.peek() == ("punct", ","):
            parser.take()
            parser.expect("word")
        return False, []
    if parser.keyword("COUNT"):
        parser.expect("punct", "(")
        parser.expect("punct", "*")
        parser.expect("punct", ")")
        return True, []
    fields = [parser.expect("word")]
    while parser.peek() == ("punct", ","):
        parser.take()
        fields.append(parser.expect("word"))
    return False, fields


def _conditions(parser: _Parser) -> list[Condition]:
    conditions = [_condition(parser)]
    while parser.keyword("AND"):
        conditions.append(_condition(parser))
    if parser.keyword("OR"):
        raise query_parse_error('Encountered " "OR" at line 1. OR is not supported in QuickBooks queries.')
    return conditions


def _condition(parser: _Parser) -> Condition:
    name = parser.expect("word")
    if parser.keyword("IN"):
        parser.expect("punct", "(")
        values = [_value(parser)]
        while parser.peek() == ("punct", ","):
            parser.take()
            values.append(_value(parser))
        parser.expect("punct", ")")
        return Condition(name, "IN", values)
    if parser.keyword("LIKE"):
        return Condition(name, "LIKE", [_value(parser)])
    op = parser.expect("op")
    return Condition(name, "!=" if op == "<>" else op, [_value(parser)])


def _value(parser: _Parser) -> Any:
    kind, value = parser.take()
    if kind in ("string", "number") or isinstance(value, bool):
        return value
    raise query_parse_error(
        f'Encountered " "{value}" at line 1, column {parser.pos}.\n'
        "Was expecting one of:\n    <STRING> ...\n    <NUMBER> ...\n    "
    )


def _tail(parser: _Parser, query: Query) -> None:
    while True:
        word = parser.keyword("ORDERBY", "ORDER", "STARTPOSITION", "MAXRESULTS")
        if word is None:
            return
        if word in ("ORDERBY", "ORDER"):
            if word == "ORDER":
                parser.expect("word", "BY")
            query.order = _order(parser)
        elif word == "STARTPOSITION":
            query.start = _position(parser, "STARTPOSITION")
        else:
            query.max_results = min(_position(parser, "MAXRESULTS"), MAX_PAGE)


def _order(parser: _Parser) -> list[tuple[str, bool]]:
    order = []
    while True:
        name = parser.expect("word")
        order.append((name, parser.keyword("ASC", "DESC") == "DESC"))
        if parser.peek() != ("punct", ","):
            return order
        parser.take()


def _position(parser: _Parser, what: str) -> int:
    value = parser.expect("number")
    if "." in value or int(value) < 1:
        raise query_invalid(f"value {value} is too small. Min allowed value is 1")
    return int(value)
