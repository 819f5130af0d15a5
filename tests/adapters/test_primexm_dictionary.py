"""fix_specs/PRIMEXM44.xml reads PrimeXM's traffic as the public evidence shows it (mkst/pricefeed's tests), where
the stock FIX 4.4 dictionary rejects it; and it still holds our standard cancel, replace and status messages."""
from __future__ import annotations

import pytest

from fix_sessions.codec import Message, encode, parse
from fix_sessions.dictionary import load
from fix_sessions.reject import FieldReject
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


def message(text: str) -> Message:
    fields = [(int(tag), value.encode()) for tag, value in (part.split("=", 1) for part in text.strip("|").split("|"))]
    return parse(encode(b"FIX.4.4", fields))


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
