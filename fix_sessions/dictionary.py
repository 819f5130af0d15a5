"""FIX data dictionaries in QuickFIX's XML format, and validation of messages against them.

Validation follows QuickFIX's order, because counterparties expect the same first error reported: field order
(header, body, trailer), MsgType, required tags, then each field of header, trailer and body in tag order
(repeated tag, empty value, data format, enum value, tag number, tag allowed for the message type, group count).
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TypeVar

from fix_sessions.codec import Message
from fix_sessions.reject import FieldReject, SessionRejectReason as R

USER_DEFINED_MIN = 5000

_INT = re.compile(rb"-?\d+\Z")
_FLOAT = re.compile(rb"-?(\d+\.?\d*|\.\d+)\Z")
_TIMESTAMP = re.compile(rb"(\d{4})(\d{2})(\d{2})-(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?\Z")
_TIME_ONLY = re.compile(rb"(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?\Z")
_DATE = re.compile(rb"(\d{4})(\d{2})(\d{2})\Z")
_MONTH_YEAR = re.compile(rb"\d{6}(\d{2}|w[1-5])?\Z")
_FRACTION = re.compile(rb"\.\d{1,9}\Z")
_TZ_TIME = re.compile(rb"\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}(:\d{2})?)?\Z")

_INT_TYPES = frozenset({"INT", "LENGTH", "NUMINGROUP", "SEQNUM", "TAGNUM", "DAYOFMONTH"})
_FLOAT_TYPES = frozenset({"FLOAT", "PRICE", "QTY", "AMT", "PRICEOFFSET", "PERCENTAGE"})
_MULTI_TYPES = frozenset({"MULTIPLEVALUESTRING", "MULTIPLESTRINGVALUE", "MULTIPLECHARVALUE"})


def _valid_date(match: re.Match[bytes]) -> bool:
    return 1 <= int(match[2]) <= 12 and 1 <= int(match[3]) <= 31


def _valid_time(hours: bytes, minutes: bytes, seconds: bytes) -> bool:
    return int(hours) <= 23 and int(minutes) <= 59 and int(seconds) <= 60


def valid_format(fix_type: str, value: bytes) -> bool:
    """Whether ``value`` is well formed for a field of QuickFIX type ``fix_type``."""
    if fix_type in _INT_TYPES:
        return _INT.match(value) is not None
    if fix_type in _FLOAT_TYPES:
        return _FLOAT.match(value) is not None
    if fix_type == "CHAR":
        return len(value) == 1
    if fix_type == "BOOLEAN":
        return value in (b"Y", b"N")
    if fix_type == "UTCTIMESTAMP":
        match = _TIMESTAMP.match(value)
        return match is not None and _valid_date(match) and _valid_time(match[4], match[5], match[6])
    if fix_type == "UTCTIMEONLY":
        match = _TIME_ONLY.match(value)
        return match is not None and _valid_time(match[1], match[2], match[3])
    if fix_type in ("UTCDATE", "UTCDATEONLY", "LOCALMKTDATE"):
        match = _DATE.match(value)
        return match is not None and _valid_date(match)
    if fix_type == "MONTHYEAR":
        return _MONTH_YEAR.match(value) is not None
    if fix_type == "TZTIMEONLY":
        return _TZ_TIME.match(value) is not None
    return True


@dataclass(frozen=True, slots=True)
class FieldDef:
    tag: int
    name: str
    type: str
    values: frozenset[bytes] | None

    def allows(self, value: bytes) -> bool:
        if self.values is None:
            return True
        if self.type in _MULTI_TYPES:
            return all(part in self.values for part in value.split(b" "))
        return value in self.values


@dataclass(slots=True)
class Level:
    """The fields one place may hold: a message body, the header, the trailer, or one repeating group."""

    order: list[int] = field(default_factory=list)
    fields: set[int] = field(default_factory=set)
    required: set[int] = field(default_factory=set)
    groups: dict[int, Group] = field(default_factory=dict)


@dataclass(slots=True)
class Group(Level):
    count_tag: int = 0
    delimiter: int = 0


@dataclass(slots=True)
class MessageDef(Level):
    name: str = ""
    msg_type: bytes = b""
    admin: bool = False


_L = TypeVar("_L", bound=Level)


@dataclass(frozen=True, slots=True)
class ValidationOptions:
    """The per-session switches QuickFIX names ValidateFieldsHaveValues, ValidateFieldsOutOfOrder, ..."""

    fields_have_values: bool = True
    fields_out_of_order: bool = True
    user_defined_fields: bool = True
    allow_unknown_msg_fields: bool = False


class Section:
    """Fields of one level as received, with their repeating groups split out into instances."""

    __slots__ = ("fields", "groups")

    def __init__(self) -> None:
        self.fields: list[tuple[int, bytes]] = []
        self.groups: dict[int, list[Section]] = {}


class DataDictionary:
    """One FIX version's fields, header, trailer and messages, loaded from a QuickFIX-format XML file."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        root = ElementTree.parse(self.path).getroot()
        self.begin_string = f"{root.get('type', 'FIX')}.{root.get('major')}.{root.get('minor')}"
        self.fields: dict[int, FieldDef] = {}
        self.tags_by_name: dict[str, int] = {}
        for element in root.iterfind("fields/field"):
            values = element.findall("value")
            definition = FieldDef(
                tag=int(element.get("number", "0")),
                name=element.get("name", ""),
                type=element.get("type", "STRING").upper(),
                values=frozenset(v.get("enum", "").encode("latin-1") for v in values) if values else None,
            )
            self.fields[definition.tag] = definition
            self.tags_by_name[definition.name] = definition.tag
        self._components = {c.get("name", ""): c for c in root.iterfind("components/component")}
        self.header = self._level(root.find("header"), Level())
        self.trailer = self._level(root.find("trailer"), Level())
        self.messages: dict[bytes, MessageDef] = {}
        for element in root.iterfind("messages/message"):
            msg_type = element.get("msgtype", "").encode("latin-1")
            spec = MessageDef(name=element.get("name", ""), msg_type=msg_type, admin=element.get("msgcat") == "admin")
            self.messages[msg_type] = self._level(element, spec)
        del self._components
        self.header_tags = frozenset(self.header.fields)
        self.trailer_tags = frozenset(self.trailer.fields)
        self._header_required = frozenset(self.header.required)
        self._fast_checks: dict[bytes, dict[int, tuple[int, _Check | None]] | None] = {}

    def _level(self, element: ElementTree.Element | None, level: _L, required: bool = True) -> _L:
        if element is None:
            return level
        for child in element:
            name = child.get("name", "")
            child_required = required and child.get("required") == "Y"
            if child.tag == "component":
                self._level(self._components[name], level, child_required)
                continue
            tag = self.tags_by_name[name]
            level.order.append(tag)
            level.fields.add(tag)
            if child_required:
                level.required.add(tag)
            if child.tag == "group":
                group = self._level(child, Group(count_tag=tag), True)
                group.delimiter = group.order[0]
                level.groups[tag] = group
        return level

    def is_admin(self, msg_type: bytes) -> bool:
        spec = self.messages.get(msg_type)
        return spec.admin if spec is not None else msg_type in (b"0", b"1", b"2", b"3", b"4", b"5", b"A")

    def sections(self, message: Message) -> tuple[Section, Section, Section]:
        """Header, body and trailer of ``message``, with repeating groups in instances (as QuickFIX splits them)."""
        spec = self.messages.get(message.msg_type)
        header, body, trailer = Section(), Section(), Section()
        tokens = message.fields
        position, end = 0, len(tokens)
        while position < end:
            tag = tokens[position][0]
            if tag in self.header_tags:
                position = _read_field(tokens, position, header, self.header)
            elif tag in self.trailer_tags:
                trailer.fields.append(tokens[position])
                position += 1
            elif spec is not None:
                position = _read_field(tokens, position, body, spec)
            else:
                body.fields.append(tokens[position])
                position += 1
        return header, body, trailer

    def validate(self, message: Message, options: ValidationOptions = ValidationOptions()) -> None:
        """Raise ``FieldReject`` naming the first rule ``message`` breaks, in QuickFIX's order of checks."""
        if self._plainly_valid(message):
            return
        if options.fields_out_of_order:
            self._check_order(message)
        spec = self.messages.get(message.msg_type)
        if spec is None:
            raise FieldReject(R.INVALID_MSGTYPE)
        header, body, trailer = self.sections(message)
        _check_required(header, self.header)
        _check_required(trailer, self.trailer)
        _check_required(body, spec)
        self._iterate(header, self.header, options, in_message=False)
        self._iterate(trailer, self.trailer, options, in_message=False)
        self._iterate(body, spec, options, in_message=True)

    def _plainly_valid(self, message: Message) -> bool:
        """One pass that accepts the common case (no groups, nothing wrong) whatever the switches say; anything
        unusual returns False and the full checks, in QuickFIX's order, find the first error."""
        checks = self._fast_checks.get(message.msg_type)
        if checks is None:
            checks = self._fast_checks[message.msg_type] = self._checks_for(message.msg_type)
            if checks is None:
                return False
        seen: set[int] = set()
        place = 0
        for tag, value in message.fields:
            check = checks.get(tag)
            if check is None or tag in seen or not value:
                return False
            seen.add(tag)
            where, valid = check
            if where < place:
                return False
            place = where
            if valid is not None and not valid(value):
                return False
        spec = self.messages[message.msg_type]
        return self._header_required <= seen and spec.required <= seen

    def _checks_for(self, msg_type: bytes) -> dict[int, tuple[int, _Check | None]] | None:
        """Per tag of this message type: where it may stand (0 header, 1 body, 2 trailer) and its value check.
        Group count tags and header groups are left out, so messages with groups take the full path."""
        spec = self.messages.get(msg_type)
        if spec is None:
            return None
        checks: dict[int, tuple[int, _Check | None]] = {}
        for where, tags in ((0, self.header.fields - set(self.header.groups)), (2, self.trailer.fields),
                            (1, spec.fields - set(spec.groups))):
            for tag in tags:
                definition = self.fields.get(tag)
                if definition is not None:
                    checks[tag] = (where, _value_check(definition))
        return checks

    def _check_order(self, message: Message) -> None:
        place = 0  # 0 header, 1 body, 2 trailer
        for tag, _ in message.fields:
            if tag in self.header_tags:
                if place:
                    raise FieldReject(R.TAG_SPECIFIED_OUT_OF_REQUIRED_ORDER, tag)
            elif tag in self.trailer_tags:
                place = 2
            elif place == 2:
                raise FieldReject(R.TAG_SPECIFIED_OUT_OF_REQUIRED_ORDER, tag)
            else:
                place = 1

    def _iterate(self, section: Section, level: Level, options: ValidationOptions, in_message: bool) -> None:
        last = None
        for tag, value in sorted(section.fields, key=_tag_of):
            if tag == last:
                raise FieldReject(R.TAG_APPEARS_MORE_THAN_ONCE, tag)
            last = tag
            if not value and options.fields_have_values:
                raise FieldReject(R.TAG_SPECIFIED_WITHOUT_A_VALUE, tag)
            definition = self.fields.get(tag)
            if definition is not None and value:
                if not valid_format(definition.type, value):
                    raise FieldReject(R.INCORRECT_DATA_FORMAT_FOR_VALUE, tag)
                if not definition.allows(value):
                    raise FieldReject(R.VALUE_IS_INCORRECT, tag)
            if tag >= USER_DEFINED_MIN and not options.user_defined_fields:
                continue
            if definition is None:
                raise FieldReject(R.INVALID_TAG_NUMBER, tag)
            if in_message and tag not in level.fields and not options.allow_unknown_msg_fields:
                raise FieldReject(R.TAG_NOT_DEFINED_FOR_THIS_MESSAGE_TYPE, tag)
            if tag in level.groups and value and int(value) != len(section.groups.get(tag, ())):
                raise FieldReject(R.INCORRECT_NUMINGROUP_COUNT_FOR_REPEATING_GROUP, tag)
        for count_tag, instances in section.groups.items():
            group = level.groups[count_tag]
            for instance in instances:
                self._iterate(instance, group, options, in_message=True)


_Check = Callable[[bytes], object]   # truthy when the value passes
_UNCHECKED_TYPES = frozenset({"STRING", "DATA", "EXCHANGE", "CURRENCY", "COUNTRY", "LANGUAGE"})


def _value_check(definition: FieldDef) -> _Check | None:
    """The cheapest test of a value's format and enum for this field, or None when any value will do."""
    fix_type, values = definition.type, definition.values
    if definition.type in _MULTI_TYPES and values is not None:
        return definition.allows
    if values is not None:
        return values.__contains__ if fix_type in ("CHAR", "STRING", "INT", "BOOLEAN") else (
            lambda value: valid_format(fix_type, value) and value in values)
    if fix_type in _INT_TYPES:
        return _INT.match   # a match or None: called per field, so no wrapper frame
    if fix_type in _FLOAT_TYPES:
        return _FLOAT.match
    if fix_type == "UTCTIMESTAMP":
        return _timestamp_check()
    if fix_type in _UNCHECKED_TYPES:
        return None
    return lambda value: valid_format(fix_type, value)


def _timestamp_check() -> _Check:
    """Timestamps repeat their date and second from message to message: check those once, then the fraction."""
    last = [b""]

    def check(value: bytes) -> bool:
        if value[:17] == last[0] and (len(value) == 17 or _FRACTION.match(value, 17)):
            return True
        if valid_format("UTCTIMESTAMP", value):
            last[0] = value[:17]
            return True
        return False
    return check


def _tag_of(field_: tuple[int, bytes]) -> int:
    return field_[0]


def _read_field(tokens: list[tuple[int, bytes]], position: int, section: Section, level: Level) -> int:
    """Add the field at ``position`` to ``section``, a group count with its instances; returns the next position."""
    token = tokens[position]
    section.fields.append(token)
    position += 1
    group = level.groups.get(token[0])
    if group is not None:
        instances: list[Section] = []
        current: Section | None = None
        seen: set[int] = set()
        end = len(tokens)
        while position < end:
            tag = tokens[position][0]
            if tag not in group.fields:
                break
            if tag == group.delimiter or tag in seen:
                if tag != group.delimiter:
                    raise FieldReject(R.REPEATING_GROUP_FIELDS_OUT_OF_ORDER, tag)
                current = Section()
                instances.append(current)
                seen = set()
            elif current is None:
                raise FieldReject(R.REPEATING_GROUP_FIELDS_OUT_OF_ORDER, tag)
            seen.add(tag)
            position = _read_field(tokens, position, current, group)
        section.groups[token[0]] = instances
    return position


def _check_required(section: Section, level: Level) -> None:
    present = {tag for tag, _ in section.fields}
    for tag in sorted(level.required):
        if tag not in present:
            raise FieldReject(R.REQUIRED_TAG_MISSING, tag)
    for count_tag, instances in section.groups.items():
        for instance in instances:
            _check_required(instance, level.groups[count_tag])


@lru_cache(maxsize=32)
def load(path: str) -> DataDictionary:
    """A dictionary shared by every session that names the same file."""
    return DataDictionary(Path(path).resolve())
