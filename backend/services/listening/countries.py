"""Country codes of mentions: ISO 3166-1 alpha-2 as CLDR knows them (through Babel).

The territories of ``babel.Locale('en')`` with a two-letter alphabetic code, minus the codes that
are no country: the European Union (EU), the Eurozone (EZ), the United Nations (UN), Outlying
Oceania (QO), the unknown region (ZZ) and CLDR's pseudo-locale regions (XA, XB). Kosovo (XK, a
user-assigned code in wide use) is kept.
"""
from __future__ import annotations

from functools import cache

from babel import Locale, UnknownLocaleError

NOT_COUNTRIES = frozenset({"EU", "EZ", "UN", "QO", "ZZ", "XA", "XB"})


@cache
def _countries() -> dict[str, str]:
    territories = Locale("en").territories
    return {code: name for code, name in territories.items()
            if len(code) == 2 and code.isascii() and code.isalpha() and code not in NOT_COUNTRIES}


def is_country(code: object) -> bool:
    """True for a known two-letter country code (upper case, as stored)."""
    return isinstance(code, str) and code in _countries()


def country_name(code: str, locale: str = "en") -> str:
    """The country's name in ``locale`` (English by default); the code itself when unknown."""
    if not is_country(code):
        return code
    if locale == "en":
        return _countries()[code]
    try:
        return str(Locale.parse(locale.replace("-", "_")).territories.get(code, _countries()[code]))
    except (ValueError, TypeError, UnknownLocaleError):
        return _countries()[code]


def country_codes() -> list[str]:
    """Every known country code, sorted."""
    return sorted(_countries())
