"""Our dictionaries are a faithful subset of QuickFIX's full FIX 4.4 and 4.2 ones.

Read with ElementTree on purpose: these tests judge the XML itself, not what the loader makes of it.
Each check returns the problems it finds; the mutation tests prove every check can fail.
"""
from __future__ import annotations

import copy
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from fix_specs import path as spec_path

FULL_SPEC = Path(__file__).with_name("quickfix_at") / "spec"
SESSION = "0 1 2 3 4 5 A j"
USED = {
    "FIX44.xml": f"{SESSION} D F G 8 9 H V W X Y AE i b AF d C B",
    "FIX42.xml": f"{SESSION} D F G 8 9 H V W X Y i b d C B",
}
VERSIONS = sorted(USED)
Element = ET.Element


def ours(version: str) -> Element:
    return ET.parse(spec_path(version)).getroot()


def full(version: str) -> Element:
    return ET.parse(FULL_SPEC / version).getroot()


def members(container: Element) -> list[Element]:
    return [child for child in container if child.tag in ("field", "group", "component")]


def key(member: Element) -> tuple[str, str]:
    return member.tag, member.get("name", "")


def components(root: Element) -> dict[str, Element]:
    return {c.get("name", ""): c for c in root.iterfind("components/component")}


def messages(root: Element) -> dict[str, Element]:
    return {m.get("msgtype", ""): m for m in root.iterfind("messages/message")}


def containers(root: Element) -> list[tuple[str, Element]]:
    """Header, trailer, every message and every component definition, each with a label."""
    found = [("header", root.find("header")), ("trailer", root.find("trailer"))]
    found += [(f"message {t}", m) for t, m in messages(root).items()]
    found += [(f"component {n}", c) for n, c in components(root).items()]
    return [(label, c) for label, c in found if c is not None]


def is_subsequence(part: list[tuple[str, str]], whole: list[tuple[str, str]]) -> bool:
    rest = iter(whole)
    return all(item in rest for item in part)


def delimiter(group: Element, root: Element) -> str:
    """The name of a group's first field, looking inside the component it may open with."""
    opening = members(group)[0]
    while opening.tag == "component":
        opening = members(components(root)[opening.get("name", "")])[0]
    return opening.get("name", "")


def compare_members(label: str, mine: Element, theirs: Element, my_root: Element, their_root: Element) -> list[str]:
    """Mine holds only what theirs holds, in their order, with their required flags, all their
    required members, and groups that open with their delimiter (recursively)."""
    problems: list[str] = []
    their_members = {key(m): m for m in members(theirs)}
    my_members = members(mine)
    for member in my_members:
        counterpart = their_members.get(key(member))
        if counterpart is None:
            problems.append(f"{label}: {member.tag} {member.get('name')} is not in the standard's")
            continue
        if member.get("required") != counterpart.get("required"):
            problems.append(f"{label}: {member.tag} {member.get('name')} required={member.get('required')}, "
                            f"standard {counterpart.get('required')}")
        if member.tag == "group":
            group = f"{label} group {member.get('name')}"
            if not members(member) or key(members(member)[0]) != key(members(counterpart)[0]):
                problems.append(f"{group} does not open with the standard's {key(members(counterpart)[0])}")
            elif delimiter(member, my_root) != delimiter(counterpart, their_root):
                problems.append(f"{group}: delimiter {delimiter(member, my_root)}, "
                                f"standard {delimiter(counterpart, their_root)}")
            problems += compare_members(group, member, counterpart, my_root, their_root)
    if not is_subsequence([key(m) for m in my_members], [key(m) for m in members(theirs)]):
        problems.append(f"{label}: members are not in the standard's order")
    mine_keys = {key(m) for m in my_members}
    problems += [f"{label}: required {m.tag} {m.get('name')} is missing"
                 for m in members(theirs) if m.get("required") == "Y" and key(m) not in mine_keys]
    return problems


def required_fields(container: Element, root: Element) -> set[str]:
    """Names of the fields a message cannot go without: required fields and the required fields of
    required components and groups, components resolved recursively."""
    names: set[str] = set()
    for member in members(container):
        if member.get("required") != "Y":
            continue
        if member.tag == "component":
            definition = components(root).get(member.get("name", ""))
            names |= required_fields(definition, root) if definition is not None else set()
        else:
            names.add(member.get("name", ""))
            if member.tag == "group":
                names |= required_fields(member, root)
    return names


def referenced(root: Element) -> set[str]:
    """Names of every field and group used in the header, trailer, messages and components."""
    return {e.get("name", "") for _, c in containers(root) for e in c.iter() if e.tag in ("field", "group")}


def field_definitions(root: Element) -> dict[str, Element]:
    return {f.get("name", ""): f for f in root.iterfind("fields/field")}


def check_root(mine: Element, theirs: Element) -> list[str]:
    return [f"<fix {a}={mine.get(a)!r}>, standard {theirs.get(a)!r}"
            for a in ("type", "major", "minor", "servicepack") if mine.get(a) != theirs.get(a)]


def check_fields(mine: Element, theirs: Element) -> list[str]:
    """Every field we define has the standard's number, name and type and all its enum values."""
    problems: list[str] = []
    by_number = {f.get("number"): f for f in theirs.iterfind("fields/field")}
    numbers = [f.get("number") for f in mine.iterfind("fields/field")]
    problems += [f"field {n} is defined twice" for n in sorted({n for n in numbers if numbers.count(n) > 1})]
    for field in mine.iterfind("fields/field"):
        number, name = field.get("number"), field.get("name")
        standard = by_number.get(number)
        if standard is None:
            problems.append(f"field {number} {name} is not in the standard")
            continue
        for attribute in ("name", "type"):
            if field.get(attribute) != standard.get(attribute):
                problems.append(f"field {number}: {attribute} {field.get(attribute)!r}, "
                                f"standard {standard.get(attribute)!r}")
        my_enums = [v.get("enum") for v in field.iterfind("value")]
        their_enums = {v.get("enum") for v in standard.iterfind("value")}
        if len(my_enums) != len(set(my_enums)) or set(my_enums) != their_enums:
            problems.append(f"field {number} {name}: enums {sorted(map(str, my_enums))}, "
                            f"standard {sorted(map(str, their_enums))}")
    return problems


def check_definitions(mine: Element) -> list[str]:
    """Everything referenced is defined, groups count with a NUMINGROUP (INT before FIX 4.3) field,
    and nothing defined is dead."""
    defined, used = field_definitions(mine), referenced(mine)
    problems = [f"{name} is used but not defined in <fields>" for name in sorted(used - defined.keys())]
    problems += [f"field {name} is defined but never used" for name in sorted(defined.keys() - used)]
    problems += [f"group {g.get('name')} counts with a {defined[g.get('name', '')].get('type')} field"
                 for _, c in containers(mine) for g in c.iter("group")
                 if g.get("name") in defined and defined[g.get("name", "")].get("type") not in ("NUMINGROUP", "INT")]
    my_components = components(mine)
    used_components = {c.get("name", "") for _, x in containers(mine) for c in x.iter("component") if c is not x}
    problems += [f"component {n} is used but not defined" for n in sorted(used_components - my_components.keys())]
    problems += [f"component {n} is defined but never used" for n in sorted(my_components.keys() - used_components)]
    return problems


def check_messages(mine: Element, theirs: Element) -> list[str]:
    """Each message and component of ours is a subset of the standard's, as is each header and trailer."""
    problems: list[str] = []
    their_messages, their_components = messages(theirs), components(theirs)
    for msgtype, message in messages(mine).items():
        label = f"message {msgtype}"
        standard = their_messages.get(msgtype)
        if standard is None:
            problems.append(f"{label} is not in the standard")
            continue
        for attribute in ("name", "msgcat"):
            if message.get(attribute) != standard.get(attribute):
                problems.append(f"{label}: {attribute} {message.get(attribute)!r}, "
                                f"standard {standard.get(attribute)!r}")
        problems += compare_members(label, message, standard, mine, theirs)
        missing = required_fields(standard, theirs) - required_fields(message, mine)
        problems += [f"{label}: required field {name} is missing" for name in sorted(missing)]
    for name, component in components(mine).items():
        standard = their_components.get(name)
        if standard is None:
            problems.append(f"component {name} is not in the standard")
        else:
            problems += compare_members(f"component {name}", component, standard, mine, theirs)
    return problems


def outline(container: Element | None) -> list[tuple]:
    if container is None:
        return []
    return [(m.tag, m.get("name"), m.get("required"), outline(m) if m.tag == "group" else None)
            for m in members(container)]


def check_header_and_trailer(mine: Element, theirs: Element) -> list[str]:
    return [f"{part} differs from the standard's" for part in ("header", "trailer")
            if outline(mine.find(part)) != outline(theirs.find(part)) or not outline(mine.find(part))]


def check_message_list(mine: Element, version: str) -> list[str]:
    return [f"message {t} is missing" for t in USED[version].split() if t not in messages(mine)]


CHECKS = (check_root, check_fields, check_messages, check_header_and_trailer)


def all_problems(mine: Element, theirs: Element, version: str) -> list[str]:
    return ([p for check in CHECKS for p in check(mine, theirs)]
            + check_definitions(mine) + check_message_list(mine, version))


@pytest.fixture(scope="module", params=VERSIONS)
def pair(request: pytest.FixtureRequest) -> tuple[str, Element, Element]:
    return request.param, ours(request.param), full(request.param)


def test_ours_carry_the_standards_version(pair: tuple[str, Element, Element]) -> None:
    _, mine, theirs = pair
    assert check_root(mine, theirs) == []


def test_each_field_has_the_standards_number_name_type_and_every_enum(pair: tuple[str, Element, Element]) -> None:
    _, mine, theirs = pair
    assert check_fields(mine, theirs) == []


def test_everything_used_is_defined_and_everything_defined_is_used(pair: tuple[str, Element, Element]) -> None:
    _, mine, _ = pair
    assert check_definitions(mine) == []


def test_messages_and_components_are_ordered_subsets_keeping_every_required_field(
        pair: tuple[str, Element, Element]) -> None:
    _, mine, theirs = pair
    assert check_messages(mine, theirs) == []


def test_header_and_trailer_are_the_standards_in_full(pair: tuple[str, Element, Element]) -> None:
    _, mine, theirs = pair
    assert check_header_and_trailer(mine, theirs) == []


def test_every_message_the_hub_uses_is_there(pair: tuple[str, Element, Element]) -> None:
    version, mine, _ = pair
    assert check_message_list(mine, version) == []


HUB_FIELDS = """Account ClOrdID OrigClOrdID OrderID ExecID ExecTransType Side Symbol SecurityID IDSource
    SecurityIDSource SecurityExchange Currency OrdType TimeInForce ExpireTime ExpireDate Price StopPx OrderQty
    CashOrderQty MinQty
    MaxFloor ExecInst HandlInst TransactTime Text EncodedTextLen EncodedText ExecType OrdStatus LeavesQty CumQty
    AvgPx LastPx LastQty LastShares LastMkt Commission CommType PositionEffect MDReqID SubscriptionRequestType
    MarketDepth MDUpdateType AggregatedBook NoMDEntryTypes NoRelatedSym NoMDEntries MDEntryType MDEntryPx
    MDEntrySize MDEntryDate MDEntryTime MDEntryID MDUpdateAction MDEntryRefID QuoteEntryID MDReqRejReason
    Username Password NoMsgTypes"""


def flattened(container: Element, root: Element) -> set[str]:
    """Every field and group name a container can carry, components and groups opened."""
    names: set[str] = set()
    for member in members(container):
        if member.tag == "component":
            names |= flattened(components(root)[member.get("name", "")], root)
        else:
            names.add(member.get("name", ""))
            names |= flattened(member, root) if member.tag == "group" else set()
    return names


def test_each_message_keeps_the_fields_the_hub_uses_wherever_the_standard_has_them(
        pair: tuple[str, Element, Element]) -> None:
    _, mine, theirs = pair
    their_messages = messages(theirs)
    missing = {t: sorted((set(HUB_FIELDS.split()) & flattened(their_messages[t], theirs)) - flattened(m, mine))
               for t, m in messages(mine).items()}
    assert {t: names for t, names in missing.items() if names} == {}


def test_fix44_logon_carries_username_password_and_no_msg_types() -> None:
    logon = messages(ours("FIX44.xml"))["A"]
    assert {"Username", "Password"} <= {f.get("name") for f in logon.iterfind("field")}
    assert [f.get("name") for f in logon.iterfind("group[@name='NoMsgTypes']/field")][:1] == ["RefMsgType"]


def test_fix42_has_no_trade_capture_report() -> None:
    assert "AE" not in messages(ours("FIX42.xml")) and "AE" not in messages(full("FIX42.xml"))


def first(root: Element, path: str) -> Element:
    found = root.find(path)
    assert found is not None, path
    return found


def drop_enum(root: Element) -> None:
    field = first(root, "fields/field[@name='Side']")
    field.remove(first(field, "value"))


def retype(root: Element) -> None:
    first(root, "fields/field[@name='Price']").set("type", "FLOAT")


def renumber(root: Element) -> None:
    first(root, "fields/field[@name='ClOrdID']").set("number", "9999")


def drop_required(root: Element) -> None:
    order = first(root, "messages/message[@msgtype='D']")
    order.remove(first(order, "field[@name='ClOrdID']"))


def loosen_required(root: Element) -> None:
    first(root, "messages/message[@msgtype='D']/field[@name='OrdType']").set("required", "N")


def add_foreign(root: Element) -> None:
    heartbeat = first(root, "messages/message[@msgtype='0']")
    ET.SubElement(heartbeat, "field", name="Symbol", required="N")


def swap_order(root: Element) -> None:
    order = first(root, "messages/message[@msgtype='D']")
    ord_type = first(order, "field[@name='OrdType']")
    order.remove(ord_type)
    order.insert(0, ord_type)


def swap_header(root: Element) -> None:
    header = first(root, "header")
    seq = first(header, "field[@name='MsgSeqNum']")
    header.remove(seq)
    header.insert(0, seq)


def trim_trailer(root: Element) -> None:
    trailer = first(root, "trailer")
    trailer.remove(first(trailer, "field[@name='SignatureLength']"))


def change_delimiter(root: Element) -> None:
    group = first(root, ".//group[@name='NoMDEntryTypes']")
    group.insert(0, ET.Element("field", name="Symbol", required="N"))


def wrong_msgcat(root: Element) -> None:
    first(root, "messages/message[@msgtype='A']").set("msgcat", "app")


def drop_message(root: Element) -> None:
    first(root, "messages").remove(first(root, "messages/message[@msgtype='j']"))


def undefine(root: Element) -> None:
    first(root, "fields").remove(first(root, "fields/field[@name='TestReqID']"))


def foreign_field(root: Element) -> None:
    ET.SubElement(first(root, "fields"), "field", number="1000000", name="Unheard", type="STRING")


MUTATIONS = [drop_enum, retype, renumber, drop_required, loosen_required, add_foreign, swap_order,
             swap_header, trim_trailer, change_delimiter, wrong_msgcat, drop_message, undefine, foreign_field]


@pytest.mark.parametrize("mutate", MUTATIONS, ids=lambda m: m.__name__)
def test_a_broken_dictionary_is_caught(pair: tuple[str, Element, Element], mutate) -> None:
    version, mine, theirs = pair
    assert all_problems(mine, theirs, version) == []
    broken = copy.deepcopy(mine)
    mutate(broken)
    assert all_problems(broken, theirs, version) != []
