"""Languages: Flask-Babel with four locales, the source ``en`` and ``sv``, ``nb``, ``pl``.

The catalogs live in backend/translations/ (``make i18n`` extracts, updates and compiles them;
the install step compiles the ``.mo`` files). Which locale a request gets (:func:`select_locale`):

1. ``?lang=`` on the URL, when it names one of the four (a share link or a screenshot can ask);
   before logging in it is also kept in the session, so the next page (the login form's answer)
   stays in it;
2. the person's saved choice (``User.locale``, the navigation bar's language menu), or before
   logging in the one kept in the session;
3. the browser's ``Accept-Language``;
4. the agency's default (``Agency.default_locale``);
5. English.

Anything else — an unknown or malformed code anywhere — is skipped, never an error. Outside a
request (a job rendering a report or an e-mail) the locale is the one :func:`use_locale` names.

The API stays English: its titles and details are for developers. Numbers and dates go through
the formatters here, which take the locale from the same place (CLDR through Babel).
"""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from babel import Locale
from babel.dates import format_date as _format_date
from babel.numbers import format_compact_decimal as _compact
from babel.numbers import format_decimal as _format_decimal
from babel.numbers import format_percent as _format_percent
from flask import Flask, has_request_context, request, session
from flask_babel import Babel, force_locale, get_locale, gettext, lazy_gettext, ngettext

_ = gettext
__all__ = ["DEFAULT_LOCALE", "LOCALES", "Message", "_", "compact", "current_locale", "date", "decimal",
           "first_weekday", "gettext", "hyphenate", "init_i18n", "known_locale", "lazy_gettext", "locale",
           "ngettext", "number", "percent", "say", "select_locale", "translate", "use_locale"]

# The locales, each named in its own language (the menu shows them so).
LOCALES: dict[str, str] = {"en": "English", "sv": "Svenska", "nb": "Norsk bokmål", "pl": "Polski"}
DEFAULT_LOCALE = "en"
TRANSLATIONS = Path(__file__).resolve().parent / "translations"
# Codes a browser or a person may send for one of ours: Norwegian without a written standard
# (``no``) and Nynorsk readers get Bokmål, the written standard most Norwegians read.
ALIASES = {"no": "nb", "nn": "nb"}
SESSION_KEY = "locale"  # a visitor's ?lang= choice before logging in
_CODE = re.compile(r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*$")

babel = Babel()
_DEFAULT = Locale.parse(DEFAULT_LOCALE)
# Set by init_i18n: how to read an agency's default locale (the services own the database).
_hooks: dict[str, Callable[[object], str | None]] = {}


def known_locale(value: object) -> str | None:
    """One of :data:`LOCALES` for a code like ``sv``, ``sv-SE``, ``nb_NO`` or ``no``; else None."""
    if not isinstance(value, str) or not _CODE.match(value.strip()):
        return None
    language = re.split(r"[-_]", value.strip().lower(), maxsplit=1)[0]
    language = ALIASES.get(language, language)
    return language if language in LOCALES else None


def _browser_locale() -> str | None:
    wanted = [(known_locale(code), quality) for code, quality in request.accept_languages]
    ranked = [code for code, quality in sorted(wanted, key=lambda pair: -pair[1]) if code and quality > 0]
    return ranked[0] if ranked else None


def _person() -> object | None:
    from flask_login import current_user

    return current_user if getattr(current_user, "is_authenticated", False) else None


def _agency_default(person: object) -> str | None:
    agency_id = getattr(person, "agency_id", None)
    lookup = _hooks.get("agency_locale")
    return known_locale(lookup(agency_id)) if agency_id and lookup else None


def select_locale() -> str:
    """The request's locale, in the order of the module docstring (Flask-Babel caches it per
    request; the agency is read only when neither the person nor the browser decides)."""
    if not has_request_context():
        return DEFAULT_LOCALE
    asked = known_locale(request.args.get("lang"))
    person = _person()
    if asked:
        if person is None and session.get(SESSION_KEY) != asked:
            session[SESSION_KEY] = asked  # the visitor's choice, for the pages before logging in
        return asked
    saved = getattr(person, "locale", None) if person is not None else session.get(SESSION_KEY)
    chosen = known_locale(saved) or _browser_locale()
    if chosen:
        return chosen
    return (_agency_default(person) if person is not None else None) or DEFAULT_LOCALE


class Message(str):
    """A service's message: English text (what the API answers) that remembers its catalog id and
    values, so a page can show it in the reader's language (:func:`translate`)."""

    msgid: str
    params: dict[str, object]

    def __new__(cls, msgid: str, **params: object) -> Message:
        text = super().__new__(cls, msgid % params if params else msgid)
        text.msgid, text.params = msgid, params
        return text


def say(msgid: str, **params: object) -> Message:
    """A message for people and the API alike (``make i18n`` extracts ``say("...")``); the API
    shows the English, pages :func:`translate` it."""
    return Message(msgid, **params)


def translate(text: object) -> str:
    """``text`` in the reader's language: a :class:`Message` through the catalog with its values,
    any other text looked up as it is (English when the catalog lacks it)."""
    if isinstance(text, Message):
        return gettext(text.msgid, **text.params)
    return gettext(str(text)) if text else ""


def init_i18n(app: Flask, agency_locale: Callable[[object], str | None] | None = None) -> None:
    """Flask-Babel on ``app``; ``agency_locale(agency_id)`` reads an agency's default locale."""
    if agency_locale is not None:
        _hooks["agency_locale"] = agency_locale
    babel.init_app(app, locale_selector=select_locale, default_locale=DEFAULT_LOCALE,
                   default_translation_directories=str(TRANSLATIONS))

    @app.context_processor
    def _languages() -> dict[str, object]:
        return {"locales": LOCALES, "current_locale": current_locale()}


def current_locale() -> str:
    """The code of the locale in force (``en`` outside any app)."""
    return str(locale().language)


@contextmanager
def use_locale(code: str | None) -> Iterator[str]:
    """Render in ``code`` (unknown codes: English) inside this block, e.g. a report for its
    company or an e-mail for its recipient; yields the code in force."""
    chosen = known_locale(code) or DEFAULT_LOCALE
    with force_locale(chosen):
        yield chosen


def locale() -> Locale:
    """The Babel locale in force (English outside any app)."""
    try:
        found = get_locale()
    except RuntimeError:
        found = None
    return found or _DEFAULT


def number(value: float | int, digits: int = 1) -> str:
    """``value`` with the locale's separators, at most ``digits`` decimals (12 345,6 in sv)."""
    return _format_decimal(value, format="#,##0" + ("." + "#" * digits if digits > 0 else ""), locale=locale())


def decimal(value: float | int, digits: int = 2) -> str:
    """``value`` with exactly ``digits`` decimals and the locale's separators (money: 1 234,50)."""
    return _format_decimal(value, format="#,##0" + ("." + "0" * digits if digits > 0 else ""), locale=locale())


def percent(ratio: float, digits: int = 2) -> str:
    """A ratio as the locale writes a percentage, with ``digits`` decimals: 0.0345 → 3.45% (en),
    3,45 % (sv, nb), 3,45% (pl)."""
    pattern = locale().percent_formats[None].pattern.split(";")[0]
    pattern = re.sub(r"0(?=[^0#,.]*$)", "0" + ("." + "0" * digits if digits > 0 else ""), pattern, count=1)
    return _format_percent(ratio, format=pattern, locale=locale())


def compact(value: float | int, digits: int = 1) -> str:
    """A short form of a large number in the locale's words (12,3 tn in sv, 12,3 tys. in pl)."""
    return _compact(value, format_type="short", fraction_digits=digits, locale=locale())


def date(value: dt.date, format: str = "medium") -> str:
    """A date in the locale's ``medium`` form (1 mars 2025 in sv) or another CLDR width."""
    return _format_date(value, format=format, locale=locale())


# Pyphen's dictionaries (LibreOffice's, shipped with the package WeasyPrint already uses).
HYPHENATION = {"en": "en_GB", "sv": "sv", "nb": "nb_NO", "pl": "pl_PL"}
_hyphenators: dict[str, Any] = {}


def hyphenate(text: str, shortest: int = 7) -> str:
    """``text`` with soft hyphens in its words of ``shortest`` letters or more, by the locale's
    hyphenation rules: a narrow grid header then breaks Föränd-ring, not Förändrin-g."""
    import pyphen

    code = HYPHENATION.get(current_locale(), "en_GB")
    hyphenator = _hyphenators.get(code) or _hyphenators.setdefault(code, pyphen.Pyphen(lang=code))
    return re.sub(r"\w{" + str(shortest) + ",}", lambda m: hyphenator.inserted(m.group(0), hyphen="\u00ad"), text)


def first_weekday() -> int:
    """The locale's first day of the week, 0 for Monday to 6 for Sunday (CLDR). ISO weeks stay
    Monday-based everywhere."""
    return int(locale().first_week_day)
