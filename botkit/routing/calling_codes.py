"""Country calling codes (ITU-T E.164), and the country a WhatsApp number belongs to.

A wa_id is the full international number without ``+``, so its country is found by the longest
known prefix: the calling code, or for countries that share one (the North American Numbering
Plan under ``1``, Russia and Kazakhstan under ``7``, the UK and the Crown Dependencies under
``44``, ...) the calling code followed by the area codes or number ranges that are theirs. The
table agrees with Google's libphonenumber metadata (2026) on fixed and mobile numbers; toll-free
and other non-geographic ranges shared by several countries count for the code's main country.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

# calling code -> main country (ISO 3166-1 alpha-2)
_MAIN_COUNTRY: Final[Mapping[str, str]] = {
    "1": "US", "20": "EG", "211": "SS", "212": "MA", "213": "DZ", "216": "TN", "218": "LY",
    "220": "GM", "221": "SN", "222": "MR", "223": "ML", "224": "GN", "225": "CI", "226": "BF",
    "227": "NE", "228": "TG", "229": "BJ", "230": "MU", "231": "LR", "232": "SL", "233": "GH",
    "234": "NG", "235": "TD", "236": "CF", "237": "CM", "238": "CV", "239": "ST", "240": "GQ",
    "241": "GA", "242": "CG", "243": "CD", "244": "AO", "245": "GW", "246": "IO", "247": "AC",
    "248": "SC", "249": "SD", "250": "RW", "251": "ET", "252": "SO", "253": "DJ", "254": "KE",
    "255": "TZ", "256": "UG", "257": "BI", "258": "MZ", "260": "ZM", "261": "MG", "262": "RE",
    "263": "ZW", "264": "NA", "265": "MW", "266": "LS", "267": "BW", "268": "SZ", "269": "KM",
    "27": "ZA", "290": "SH", "291": "ER", "297": "AW", "298": "FO", "299": "GL", "30": "GR",
    "31": "NL", "32": "BE", "33": "FR", "34": "ES", "350": "GI", "351": "PT", "352": "LU",
    "353": "IE", "354": "IS", "355": "AL", "356": "MT", "357": "CY", "358": "FI", "359": "BG",
    "36": "HU", "370": "LT", "371": "LV", "372": "EE", "373": "MD", "374": "AM", "375": "BY",
    "376": "AD", "377": "MC", "378": "SM", "380": "UA", "381": "RS", "382": "ME", "383": "XK",
    "385": "HR", "386": "SI", "387": "BA", "389": "MK", "39": "IT", "40": "RO", "41": "CH",
    "420": "CZ", "421": "SK", "423": "LI", "43": "AT", "44": "GB", "45": "DK", "46": "SE",
    "47": "NO", "48": "PL", "49": "DE", "500": "FK", "501": "BZ", "502": "GT", "503": "SV",
    "504": "HN", "505": "NI", "506": "CR", "507": "PA", "508": "PM", "509": "HT", "51": "PE",
    "52": "MX", "53": "CU", "54": "AR", "55": "BR", "56": "CL", "57": "CO", "58": "VE", "590":
    "GP", "591": "BO", "592": "GY", "593": "EC", "594": "GF", "595": "PY", "596": "MQ", "597":
    "SR", "598": "UY", "599": "CW", "60": "MY", "61": "AU", "62": "ID", "63": "PH", "64": "NZ",
    "65": "SG", "66": "TH", "670": "TL", "672": "NF", "673": "BN", "674": "NR", "675": "PG",
    "676": "TO", "677": "SB", "678": "VU", "679": "FJ", "680": "PW", "681": "WF", "682": "CK",
    "683": "NU", "685": "WS", "686": "KI", "687": "NC", "688": "TV", "689": "PF", "690": "TK",
    "691": "FM", "692": "MH", "7": "RU", "81": "JP", "82": "KR", "84": "VN", "850": "KP",
    "852": "HK", "853": "MO", "855": "KH", "856": "LA", "86": "CN", "880": "BD", "886": "TW",
    "90": "TR", "91": "IN", "92": "PK", "93": "AF", "94": "LK", "95": "MM", "960": "MV", "961":
    "LB", "962": "JO", "963": "SY", "964": "IQ", "965": "KW", "966": "SA", "967": "YE", "968":
    "OM", "970": "PS", "971": "AE", "972": "IL", "973": "BH", "974": "QA", "975": "BT", "976":
    "MN", "977": "NP", "98": "IR", "992": "TJ", "993": "TM", "994": "AZ", "995": "GE", "996":
    "KG", "998": "UZ",
}

# countries that share a calling code, with the prefixes (code + national digits) that are theirs
_SHARED_RANGES: Final[Mapping[str, tuple[str, ...]]] = {
    "AG": ("1268",),
    "AI": ("1264",),
    "AS": ("1684",),
    "AX": ("35818",),
    "BB": ("1246",),
    "BL": ("59059027", "59059029", "59059051", "59059052", "59059087",),
    "BM": ("1441",),
    "BQ": ("5993", "5994", "5997",),
    "BS": ("1242",),
    "CA": ("1204", "1226", "1236", "1249", "1250", "1257", "1263", "1273", "1289", "1306",
           "1343", "1354", "1365", "1367", "1368", "1382", "1403", "1416", "1418", "1428",
           "1431", "1437", "1438", "1450", "1468", "1474", "1506", "1514", "1519", "1548",
           "1579", "1581", "1584", "1587", "1604", "1613", "1639", "1647", "1672", "1683",
           "1705", "1709", "1742", "1753", "1778", "1780", "1782", "1807", "1819", "1825",
           "1867", "1873", "1879", "1902", "1905", "1942",),
    "CC": ("61851002", "61851031", "61851060", "61851089", "61851118", "61851176", "61851223",
           "6189162", "61891703",),
    "CX": ("61851001", "61851030", "61851059", "61851088", "61851117", "61851146", "61851175",
           "61851222", "61851235", "6189164", "61891958",),
    "DM": ("1767",),
    "DO": ("1809", "1829", "1849",),
    "GD": ("1473",),
    "GG": ("441481", "447781", "447839", "4479111", "4479117",),
    "GU": ("1671",),
    "IM": ("441624", "4474576", "447524", "447624",),
    "JE": ("441534", "447509", "4477003", "4477007", "4477008", "447797", "447829", "447937",),
    "JM": ("1658", "1876",),
    "KN": ("1869",),
    "KY": ("1345",),
    "KZ": ("77",),
    "LC": ("1758",),
    "MF": ("59059000", "59059007", "59059009", "59059013", "59059030", "59059043", "59059050",
           "59059056", "59059058", "59059077", "59059079",),
    "MP": ("1670",),
    "MS": ("1664",),
    "PR": ("1787", "1939",),
    "SJ": ("4779",),
    "SX": ("1721",),
    "TA": ("2908",),
    "TC": ("1649",),
    "TT": ("1868",),
    "VA": ("3906698",),
    "VC": ("1784",),
    "VG": ("1284",),
    "VI": ("1340",),
    "YT": ("2622689", "262269", "26263", "2627093",),
}

# Codes of international services (freephone, satellite, ...) that belong to no country.
NON_GEOGRAPHIC_CODES: Final = frozenset({"800", "808", "870", "878", "881", "882", "883", "888",
                                         "979"})

# Western Sahara uses Morocco's +212 ranges; its numbers are reported as Morocco (MA).
_WITHOUT_OWN_RANGES: Final = frozenset({"EH"})

PREFIX_COUNTRY: Final[Mapping[str, str]] = {
    **_MAIN_COUNTRY,
    **{prefix: country for country, prefixes in _SHARED_RANGES.items() for prefix in prefixes},
}
CALLING_CODES: Final = frozenset(_MAIN_COUNTRY) | NON_GEOGRAPHIC_CODES
COUNTRIES: Final = frozenset(PREFIX_COUNTRY.values()) | _WITHOUT_OWN_RANGES
_LONGEST = max(map(len, PREFIX_COUNTRY))


def country_of(number: str) -> str | None:
    """The ISO country code of an international number (digits, ``+`` allowed), or ``None``."""
    digits = number.removeprefix("+")
    if not digits.isdigit() or not digits.isascii():
        return None
    for length in range(min(len(digits), _LONGEST), 0, -1):
        country = PREFIX_COUNTRY.get(digits[:length])
        if country is not None:
            return country
    return None


def calling_code_of(number: str) -> str | None:
    """The calling code an international number starts with (codes are prefix-free)."""
    digits = number.removeprefix("+")
    if not digits.isdigit() or not digits.isascii():
        return None
    return next((digits[:n] for n in (1, 2, 3) if digits[:n] in CALLING_CODES), None)


def calling_codes_of(country: str) -> tuple[str, ...]:
    """The calling code(s) a country's numbers start with (``"CA"`` -> ``("1",)``)."""
    found = {code for code, main in _MAIN_COUNTRY.items() if main == country}
    found |= {prefix[:n] for prefix in _SHARED_RANGES.get(country, ()) for n in (1, 2, 3)
              if prefix[:n] in _MAIN_COUNTRY}
    if country == "EH":
        found.add("212")
    return tuple(sorted(found))


__all__ = ["CALLING_CODES", "COUNTRIES", "NON_GEOGRAPHIC_CODES", "PREFIX_COUNTRY",
           "calling_code_of", "calling_codes_of", "country_of"]
