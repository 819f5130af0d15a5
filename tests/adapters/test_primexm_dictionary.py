"""fix_specs/PRIMEXM44.xml reads PrimeXM's traffic as the public evidence shows it (mkst/pricefeed's tests), where
the stock FIX 4.4 dictionary rejects it; and it still holds our standard cancel, replace and status messages. Both
dialects' dictionaries (PRIMEXM44.xml, PRIMEXM-FIX44.xml) read XCore's snapshot with Issuer and its 35=X."""
from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
import quickfix as fix

from fix_sessions.codec import Message, encode, parse
from fix_sessions.dictionary import load
from fix_sessions.reject import FieldReject, SessionRejectReason
from fix_specs import path as spec_path

HEADER = "34=6|49=XC461|52=20210328-21:00:17.157|56=Q000|"
PUBLIC_TRAFFIC = {
    "snapshot with Issuer": "35=W|" + HEADER + "55=EUR/USD|262=0|268=2|269=1|270=2.50|271=1000000|299=0|106=0|"
                                               "269=0|270=2.49|271=1000000|299=0|106=0|",
    "mass quote with QuoteID": "35=i|" + HEADER + "117=1|296=1|302=0|295=2|299=0|106=0|134=1100000|135=2200000|"
                                                  "188=2.47|190=2.49|299=1|106=1|134=1100000|135=2200000|188=2.46|"
                                                  "190=2.48|",
    "prices only": "35=i|" + HEADER + "296=1|302=0|295=1|299=0|106=1|188=2.44|",
    "one size only": "35=i|" + HEADER + "296=1|302=0|295=1|299=1|134=2400000|",
    "acknowledgement": "35=b|" + HEADER + "117=1|",
    "order with Deviation": "35=D|" + HEADER + "11=A1|55=EUR/USD|15=EUR|54=1|38=100000|40=1|59=3|10001=0.0002|",
}


def wire(text: str) -> bytes:
    fields = [(int(tag), value.encode()) for tag, value in (part.split("=", 1) for part in text.strip("|").split("|"))]
    return encode(b"FIX.4.4", fields)


def message(text: str) -> Message:
    return parse(wire(text))


@pytest.mark.parametrize("name", sorted(PUBLIC_TRAFFIC))
def test_primexm_traffic_passes_the_dialect_dictionary_and_fails_the_stock_one(name: str) -> None:
    wire = message(PUBLIC_TRAFFIC[name])
    load(str(spec_path("PRIMEXM44.xml"))).validate(wire)
    with pytest.raises(FieldReject):
        load(str(spec_path("FIX44.xml"))).validate(wire)


def test_a_mass_quote_entry_without_its_level_is_refused() -> None:
    with pytest.raises(FieldReject, match="Repeating group fields out of order"):
        load(str(spec_path("PRIMEXM44.xml"))).validate(message("35=i|" + HEADER + "296=1|302=0|295=1|188=2.44|"))


def test_standard_cancel_replace_and_status_requests_are_defined() -> None:
    dictionary = load(str(spec_path("PRIMEXM44.xml")))
    for text in ("35=F|" + HEADER + "41=A1|11=A2|55=EUR/USD|54=1|60=20210328-21:00:17|",
                 "35=G|" + HEADER + "41=A1|11=A3|55=EUR/USD|54=1|60=20210328-21:00:17|38=200000|40=2|44=1.1|",
                 "35=H|" + HEADER + "11=A1|790=s1|",
                 "35=9|" + HEADER + "37=NONE|11=A2|41=A1|39=8|434=1|102=1|"):
        dictionary.validate(message(text))


INCREMENTAL = ("35=X|" + HEADER + "262=0|268=2|279=1|269=0|278=0|55=EUR/USD|106=1|270=2.49|271=1000000|"
               "279=2|269=1|278=1|55=EUR/USD|106=2|")
SNAPSHOT_WITH_ISSUER = PUBLIC_TRAFFIC["snapshot with Issuer"]
DIALECT_DICTIONARIES = ("PRIMEXM44.xml", "PRIMEXM-FIX44.xml")


@pytest.mark.parametrize("name", DIALECT_DICTIONARIES)
def test_both_dialects_read_xcores_snapshot_with_issuers_and_incremental_refreshes(name: str) -> None:
    dictionary = load(str(spec_path(name)))
    dictionary.validate(message(SNAPSHOT_WITH_ISSUER))
    dictionary.validate(message(INCREMENTAL))
    with pytest.raises(FieldReject, match="Repeating group fields out of order"):  # MDUpdateAction opens an entry
        dictionary.validate(message("35=X|" + HEADER + "268=1|269=0|279=1|270=2.49|"))


def test_the_stock_dictionary_refuses_issuer_in_the_snapshots_entries() -> None:
    with pytest.raises(FieldReject) as refused:
        load(str(spec_path("FIX44.xml"))).validate(message(SNAPSHOT_WITH_ISSUER))
    assert refused.value.reason is SessionRejectReason.TAG_APPEARS_MORE_THAN_ONCE


@pytest.mark.parametrize("name", DIALECT_DICTIONARIES)
def test_quickfix_reads_the_dialects_dictionaries_as_we_do(name: str) -> None:
    """A third-party engine's reader of the same files: our loader is not the only judge of the XML."""
    dictionary = fix.DataDictionary(str(spec_path(name)))
    for text in (SNAPSHOT_WITH_ISSUER, INCREMENTAL):
        dictionary.validate(fix.Message(wire(text).decode(), dictionary, True))
    stock = fix.DataDictionary(str(spec_path("FIX44.xml")))
    with pytest.raises(fix.RepeatedTag):
        stock.validate(fix.Message(wire(SNAPSHOT_WITH_ISSUER).decode(), stock, True))


def test_the_fix44_dialects_dictionary_is_the_standard_one_plus_issuer_in_the_snapshots_entries() -> None:
    """So the two cannot drift apart: remove that one field and the files hold the same XML."""
    stock = ET.parse(spec_path("FIX44.xml")).getroot()
    dialect = ET.parse(spec_path("PRIMEXM-FIX44.xml")).getroot()
    group = dialect.find("components/component[@name='MDFullGrp']/group[@name='NoMDEntries']")
    assert group is not None
    [issuer] = group.findall("field[@name='Issuer']")
    group.remove(issuer)
    assert ET.tostring(dialect) == ET.tostring(stock)
