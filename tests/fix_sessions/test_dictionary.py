"""Dictionaries load from QuickFIX's XML and each broken rule names its SessionRejectReason and tag."""
from __future__ import annotations

from pathlib import Path

import pytest

from fix_sessions.codec import Message, encode, parse
from fix_sessions.dictionary import DataDictionary, ValidationOptions, load, valid_format
from fix_sessions.reject import FieldReject
from fix_sessions.reject import SessionRejectReason as R
from fix_specs import path as spec_path

FULL_SPEC = Path(__file__).with_name("quickfix_at") / "spec"
HEADER = "35=D|34=2|49=C|52=20261125-10:00:00.000|56=H|"
ORDER = "11=ORD1|21=1|38=100|40=2|44=1.1|54=1|55=EUR/USD|60=20261125-10:00:00|"


def message(text: str) -> Message:
    fields = [p.split("=", 1) for p in text.strip("|").split("|")]
    return parse(encode(b"FIX.4.4", [(int(t), v) for t, v in fields]))


@pytest.fixture(scope="module", params=["ours", "quickfix"])
def fix44(request: pytest.FixtureRequest) -> DataDictionary:
    return load(str(spec_path("FIX44.xml") if request.param == "ours" else FULL_SPEC / "FIX44.xml"))


def rejection(dictionary: DataDictionary, text: str, **options: bool) -> tuple[R, int] | None:
    try:
        dictionary.validate(message(text), ValidationOptions(**options))
    except FieldReject as error:
        return error.reason, error.tag
    return None


def test_both_versions_of_ours_load_with_the_messages_the_hub_uses() -> None:
    for name, version, types in (("FIX44.xml", "FIX.4.4", "0 1 2 3 4 5 A j D F G 8 9 H V W X Y AE"),
                                 ("FIX42.xml", "FIX.4.2", "0 1 2 3 4 5 A j D F G 8 9 H V W X Y")):
        dictionary = load(str(spec_path(name)))
        assert dictionary.begin_string == version
        assert {t.encode() for t in types.split()} <= set(dictionary.messages)
        assert dictionary.is_admin(b"A") and not dictionary.is_admin(b"D")


def test_a_valid_order_passes(fix44: DataDictionary) -> None:
    assert rejection(fix44, HEADER + ORDER) is None


@pytest.mark.parametrize(("text", "expected"), [
    (HEADER + ORDER.replace("11=ORD1|", ""), (R.REQUIRED_TAG_MISSING, 11)),
    (HEADER + ORDER + "9999=X|", (R.INVALID_TAG_NUMBER, 9999)),
    (HEADER + ORDER + "269=0|", (R.TAG_NOT_DEFINED_FOR_THIS_MESSAGE_TYPE, 269)),
    (HEADER + ORDER.replace("44=1.1", "44="), (R.TAG_SPECIFIED_WITHOUT_A_VALUE, 44)),
    (HEADER + ORDER.replace("54=1", "54=Z"), (R.VALUE_IS_INCORRECT, 54)),
    (HEADER + ORDER.replace("38=100", "38=1e5"), (R.INCORRECT_DATA_FORMAT_FOR_VALUE, 38)),
    (HEADER + ORDER.replace("60=20261125-10:00:00", "60=20261325-10:00:00"), (R.INCORRECT_DATA_FORMAT_FOR_VALUE, 60)),
    (HEADER + ORDER + "54=2|", (R.TAG_APPEARS_MORE_THAN_ONCE, 54)),
    ("35=D|" + ORDER + "34=2|49=C|52=20261125-10:00:00|56=H|", (R.TAG_SPECIFIED_OUT_OF_REQUIRED_ORDER, 34)),
    (HEADER + ORDER + "453=2|448=BROKER|447=D|452=1|", (R.INCORRECT_NUMINGROUP_COUNT_FOR_REPEATING_GROUP, 453)),
    (HEADER + ORDER + "453=1|447=D|448=BROKER|", (R.REPEATING_GROUP_FIELDS_OUT_OF_ORDER, 447)),
    ("35=*|34=2|49=C|52=20261125-10:00:00|56=H|", (R.INVALID_MSGTYPE, 0)),
])
def test_each_broken_rule_names_its_reason_and_tag(fix44: DataDictionary, text: str, expected: tuple[R, int]) -> None:
    assert rejection(fix44, text) == expected


def test_the_first_error_in_tag_order_is_reported_header_before_body(fix44: DataDictionary) -> None:
    text = "35=D|34=2|49=C|52=20261125-10:00:00|56=H|128=X|145=|" + ORDER.replace("40=2", "40=w")
    assert rejection(fix44, text) == (R.TAG_SPECIFIED_WITHOUT_A_VALUE, 145)


def test_switches_turn_checks_off(fix44: DataDictionary) -> None:
    assert rejection(fix44, HEADER + ORDER.replace("44=1.1", "44="), fields_have_values=False) is None
    assert rejection(fix44, HEADER + ORDER + "6000=X|", user_defined_fields=False) is None
    assert rejection(fix44, HEADER + ORDER + "269=0|", allow_unknown_msg_fields=True) is None
    out_of_order = "35=D|" + ORDER + "34=2|49=C|52=20261125-10:00:00|56=H|"
    assert rejection(fix44, out_of_order, fields_out_of_order=False) is None


def test_groups_are_split_into_instances_as_received(fix44: DataDictionary) -> None:
    text = HEADER + ORDER + "453=2|448=BROKER|447=D|452=1|448=DESK|447=D|452=3|"
    _, body, _ = fix44.sections(message(text))
    assert [i.fields for i in body.groups[453]] == [
        [(448, b"BROKER"), (447, b"D"), (452, b"1")], [(448, b"DESK"), (447, b"D"), (452, b"3")]]


def test_reject_texts_are_quickfix_wording() -> None:
    assert R.VALUE_IS_INCORRECT.text == "Value is incorrect (out of range) for this tag"
    assert R.INCORRECT_NUMINGROUP_COUNT_FOR_REPEATING_GROUP.text == "Incorrect NumInGroup count for repeating group"
    assert R.TAG_SPECIFIED_OUT_OF_REQUIRED_ORDER.text == "Tag specified out of required order"


@pytest.mark.parametrize(("fix_type", "good", "bad"), [
    ("QTY", b"002000.00", b"+200.00"), ("INT", b"-12", b"1.5"), ("CHAR", b"1", b"12"), ("BOOLEAN", b"Y", b"y"),
    ("UTCTIMESTAMP", b"20261125-10:00:00.123", b"20040415"), ("UTCDATEONLY", b"20261125", b"2026-11-25"),
    ("UTCTIMEONLY", b"10:00:00", b"25:00:00"), ("MONTHYEAR", b"202612", b"2026"),
])
def test_data_formats(fix_type: str, good: bytes, bad: bytes) -> None:
    assert valid_format(fix_type, good) and not valid_format(fix_type, bad)
