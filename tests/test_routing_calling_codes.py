"""The calling-code table: codes per country, countries that share a code told apart by their
area codes, and numbers that belong to no country."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from botkit.routing.calling_codes import (
    CALLING_CODES,
    COUNTRIES,
    PREFIX_COUNTRY,
    calling_code_of,
    calling_codes_of,
    country_of,
)

KNOWN = {
    "US": "1", "CA": "1", "JM": "1", "PR": "1", "RU": "7", "KZ": "7", "EG": "20", "ZA": "27",
    "GR": "30", "NL": "31", "BE": "32", "FR": "33", "ES": "34", "HU": "36", "IT": "39",
    "VA": "39", "RO": "40", "CH": "41", "AT": "43", "GB": "44", "JE": "44", "DK": "45",
    "SE": "46", "NO": "47", "PL": "48", "DE": "49", "PE": "51", "MX": "52", "AR": "54",
    "BR": "55", "CL": "56", "CO": "57", "MY": "60", "AU": "61", "ID": "62", "PH": "63",
    "NZ": "64", "SG": "65", "TH": "66", "JP": "81", "KR": "82", "VN": "84", "CN": "86",
    "TR": "90", "IN": "91", "PK": "92", "NG": "234", "GH": "233", "KE": "254", "PT": "351",
    "IE": "353", "FI": "358", "AX": "358", "UA": "380", "HK": "852", "TW": "886",
    "AE": "971", "IL": "972", "SA": "966", "MA": "212", "EH": "212", "RE": "262",
    "YT": "262", "CW": "599", "BQ": "599",
}


@pytest.mark.parametrize(("country", "code"), sorted(KNOWN.items()))
def test_calling_codes_of_countries(country, code):
    assert calling_codes_of(country) == (code,)
    assert country in COUNTRIES


def test_calling_codes_are_prefix_free_and_every_country_is_reachable():
    for code in CALLING_CODES:
        assert not any(other != code and other.startswith(code) for other in CALLING_CODES)
    assert {c for c in COUNTRIES if calling_codes_of(c) == ()} == set()
    assert len(COUNTRIES) == 245
    assert set(PREFIX_COUNTRY.values()) == COUNTRIES - {"EH"}


@pytest.mark.parametrize(("number", "country"), [
    ("12042345678", "CA"), ("16135550123", "CA"), ("19055550123", "CA"), ("18095550123", "DO"),
    ("17875550123", "PR"), ("16715550123", "GU"), ("13055550123", "US"), ("76012345678", "RU"),
    ("77172123456", "KZ"), ("441534123456", "JE"), ("441624123456", "IM"), ("4779123456", "SJ"),
    ("4741234567", "NO"), ("3906698123", "VA"), ("390612345678", "IT"), ("262269601234", "YT"),
    ("262262123456", "RE"), ("5997123456", "BQ"), ("59991234567", "CW"), ("2908123", "TA"),
    ("61891621234", "CC"), ("61891641234", "CX"), ("61412345678", "AU"),
])
def test_shared_codes_are_told_apart_by_area_code(number, country):
    assert country_of(number) == country
    assert country_of("+" + number) == country


def test_numbers_of_no_country():
    assert country_of("80012345678") is None  # international freephone
    assert calling_code_of("80012345678") == "800"
    assert calling_code_of("4915112345678") == "49"
    for junk in ("", "+", "abc", "49 151", "\uff14\uff19\uff11\uff15\uff11", "999123"):
        assert country_of(junk) is None
    assert calling_code_of("999123") is None


@given(st.from_regex(r"[1-9][0-9]{6,14}", fullmatch=True))
def test_every_number_has_at_most_one_country_matching_its_calling_code(number):
    country = country_of(number)
    code = calling_code_of(number)
    if country is not None:
        assert code in calling_codes_of(country)
