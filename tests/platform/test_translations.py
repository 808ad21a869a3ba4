"""The catalogs are complete and nothing English slips past them (issue 15).

1. What ``make i18n`` would extract (backend/translations/babel.cfg, the same keywords) is in the
   sv, nb and pl catalogs, each message translated, none fuzzy, its placeholders the source's, its
   plural forms all there; and the compiled ``.mo`` next to each is current.
2. A scan for English a person would read that is not marked for translation: text in templates
   outside ``_()``, and in Python the literal text of Dash components (children, labels,
   placeholders, titles) and of ``flash`` messages. Files not yet converted are listed in
   :data:`PENDING`; a listed file that has become clean fails too, so the list only shrinks.
"""
from __future__ import annotations

import ast
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from conftest import ROOT
from jinja2 import Environment, nodes

TRANSLATIONS = ROOT / "backend" / "translations"
LOCALES = ("sv", "nb", "pl")
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "say": None}
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdf]")

# Files whose English is not marked yet: the pages, reports and e-mails issue 15 converts next.
PENDING = {
    "backend/reporting/templates/report.html", "backend/templates/account_alert_emails.html",
    "backend/templates/admin/_company_checks.html", "backend/templates/admin/_csv_result.html",
    "backend/templates/admin/_link.html", "backend/templates/admin/_macros.html", "backend/templates/admin/_value.html",
    "backend/templates/admin/_webhook_fields.html", "backend/templates/admin/_webhook_secret.html",
    "backend/templates/admin/activity.html",
    "backend/templates/admin/alert_rules.html", "backend/templates/admin/branding.html",
    "backend/templates/admin/campaigns.html", "backend/templates/admin/channels.html",
    "backend/templates/admin/companies.html", "backend/templates/admin/company.html",
    "backend/templates/admin/data.html", "backend/templates/admin/goal_form.html",
    "backend/templates/admin/goals.html", "backend/templates/admin/jobs.html",
    "backend/templates/admin/outbox.html", "backend/templates/admin/outbox_message.html",
    "backend/templates/admin/people.html", "backend/templates/admin/person.html",
    "backend/templates/admin/points.html", "backend/templates/admin/report.html",
    "backend/templates/admin/report_schedules.html", "backend/templates/admin/reports.html",
    "backend/templates/admin/share_links.html", "backend/templates/admin/strategy.html",
    "backend/templates/admin/strategy_compare.html", "backend/templates/admin/strategy_revisions.html",
    "backend/templates/admin/webhook.html", "backend/templates/admin/webhooks.html",
    "backend/templates/alert_unsubscribe.html", "backend/templates/alerts/list.html",
    "backend/templates/client_reports/_nav.html", "backend/templates/client_reports/list.html",
    "backend/templates/client_reports/report.html", "backend/templates/email/alerts.html",
    "backend/templates/email/alerts.txt", "backend/templates/email/report_delivery.html",
    "backend/templates/email/report_delivery.txt", "backend/templates/email/webhook_disabled.html",
    "backend/templates/email/webhook_disabled.txt", "backend/templates/share/board.html",
    "backend/templates/share/layout.html", "backend/templates/share/limited.html",
    "backend/templates/share/missing.html", "backend/templates/share/pin.html",
    "backend/templates/share/report.html", "dashboard/pages/alerts.py",
    "dashboard/pages/company.py", "dashboard/pages/listening.py",
    "dashboard/pages/strategy.py", "backend/admin/alert_rules.py", "backend/admin/branding.py",
    "backend/admin/campaigns.py", "backend/admin/channels.py", "backend/admin/companies.py",
    "backend/admin/data.py", "backend/admin/goals.py", "backend/admin/people.py",
    "backend/admin/report_schedules.py", "backend/admin/reports.py", "backend/admin/share_links.py",
    "backend/admin/strategy.py", "backend/admin/webhooks.py", "backend/auth/alert_emails.py",
}
# Not for people to read as prose, or not English: the product's name and the API docs page.
NOT_PROSE = {"Reachboard", "Webhooks"}
SKIP_FILES = {"backend/templates/swagger_ui.html"}


def _key(value):
    return tuple(value) if isinstance(value, (list, tuple)) else value


def _prose(text: str) -> bool:
    """Has words, and is more than the product's name with punctuation."""
    return bool(re.search(r"[A-Za-z]{2,}", text)) and re.sub(r"[^A-Za-z ]", "", text).strip() not in NOT_PROSE


def _extracted() -> dict[object, tuple[str, ...]]:
    """msgid (a tuple for plurals) -> its placeholders, from backend/ and dashboard/."""
    with open(TRANSLATIONS / "babel.cfg") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found: dict[object, tuple[str, ...]] = {}
    for folder in ("backend", "dashboard"):
        for _file, _line, message, _comments, _context in extract_from_dir(
                ROOT / folder, method_map, options_map, keywords=KEYWORDS, strip_comment_tags=True):
            key = message if isinstance(message, str) else tuple(message)
            found[key] = tuple(sorted(set(PLACEHOLDER.findall(message if isinstance(message, str) else message[0]))))
    return found


@pytest.fixture(scope="module")
def extracted():
    return _extracted()


@pytest.mark.no_db
@pytest.mark.parametrize("locale", LOCALES)
def test_every_extracted_message_is_translated_in_the_catalog(extracted, locale):
    po = TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po"
    with open(po, "rb") as fh:
        catalog = read_po(fh, locale=locale)
    entries = {m.id if isinstance(m.id, str) else tuple(m.id): m for m in catalog if m.id}
    missing = sorted(str(k) for k in extracted if k not in entries)
    untranslated = sorted(str(k) for k, m in entries.items() if k in extracted and (
        "fuzzy" in m.flags or not m.string or (isinstance(m.string, tuple) and not all(m.string))))
    plurals = sorted(str(k) for k, m in entries.items() if isinstance(k, tuple) and k in extracted
                     and len(m.string) != catalog.num_plurals)
    placeholders = sorted(str(k) for k, m in entries.items() if k in extracted and any(
        tuple(sorted(set(PLACEHOLDER.findall(s)))) != extracted[k]
        for s in ((m.string,) if isinstance(m.string, str) else m.string)))
    assert (missing, untranslated, plurals, placeholders) == ([], [], [], []), (
        f"{locale}: run `make i18n` and translate backend/translations/{locale}/LC_MESSAGES/messages.po")


@pytest.mark.no_db
@pytest.mark.parametrize("locale", LOCALES)
def test_the_compiled_catalog_is_the_current_one(locale):
    folder = TRANSLATIONS / locale / "LC_MESSAGES"
    with open(folder / "messages.po", "rb") as fh:
        source = {_key(m.id): _key(m.string) for m in read_po(fh, locale=locale) if m.id}
    assert (folder / "messages.mo").exists(), "run `make venv` (it compiles the catalogs)"
    with open(folder / "messages.mo", "rb") as fh:
        compiled = {_key(m.id): _key(m.string) for m in read_mo(fh) if m.id}
    assert compiled == source, "the .mo is older than its .po: `make venv` compiles it again"


class _Text(HTMLParser):
    """The text and the read attributes of an HTML page, its Jinja parts taken out."""

    READ = ("title", "placeholder", "aria-label", "alt")

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        self.skip += tag in ("script", "style")
        self.found += [value for name, value in attrs if name in self.READ and value]

    def handle_endtag(self, tag):
        self.skip -= tag in ("script", "style") and self.skip > 0

    def handle_data(self, data):
        if not self.skip:
            self.found.append(data)


def _template_findings(path: Path, env: Environment) -> list[str]:
    source = path.read_text()
    tree = env.parse(source)
    parser = _Text()
    parser.feed(re.sub(r"{#.*?#}|{{.*?}}|{%.*?%}", "", source, flags=re.S))
    out = [text.strip() for text in parser.found if _prose(text)]
    for call in tree.find_all(nodes.Call):
        name = getattr(call.node, "name", None) or getattr(call.node, "attr", None)
        if name in ("_", "gettext", "ngettext"):
            continue
        for arg in [*call.args, *(kw.value for kw in call.kwargs)]:
            if isinstance(arg, nodes.Const) and isinstance(arg.value, str) and _looks_like_prose(arg.value):
                out.append(arg.value)
    return out


def _looks_like_prose(text: str) -> bool:
    """Words a person reads: a capital letter starting two or more words, or a sentence."""
    text = text.strip()
    return text not in NOT_PROSE and bool(re.match(r"^[A-Z][a-z'’]+(?:[ -][A-Za-z'’,.:;()]+)+[.:?!]?$", text)
                                          or re.match(r"^[A-Z][a-z]+[.!?]$", text))


TEXT_KEYWORDS = {"children", "label", "placeholder", "title", "header", "alt", "tooltip", "name", "hovertemplate",
                 "title_text", "yaxis_title", "xaxis_title"}
COMPONENT_MODULES = {"html", "dbc", "dcc", "dag", "go"}


def _python_findings(path: Path) -> list[str]:
    tree = ast.parse(path.read_text())
    out = []
    for call in ast.walk(tree):
        if not isinstance(call, ast.Call):
            continue
        func = call.func
        component = (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)
                     and func.value.id in COMPONENT_MODULES)
        flash = isinstance(func, ast.Name) and func.id == "flash"
        # errors.add("field", "message"): a form's message next to its field (backend/admin/forms.py)
        field_error = (isinstance(func, ast.Attribute) and func.attr == "add" and isinstance(func.value, ast.Name)
                       and func.value.id == "errors")
        if not (component or flash or field_error):
            continue
        plotly = component and func.value.id == "go"  # type: ignore[union-attr]
        texts = (call.args[1:2] if field_error else call.args[:1]) + [
            kw.value for kw in call.keywords if kw.arg in TEXT_KEYWORDS and (kw.arg != "name" or plotly)]
        for value in texts:
            for node in ([value] if not isinstance(value, ast.List) else value.elts):
                if isinstance(node, ast.Constant) and isinstance(node.value, str) and _prose(node.value):
                    out.append(node.value)
                elif isinstance(node, ast.JoinedStr):
                    literal = "".join(v.value for v in node.values if isinstance(v, ast.Constant))
                    if re.search(r"[A-Za-z]{3,}", literal):
                        out.append(literal)
    return out


def _scanned_files() -> list[str]:
    files = [p for p in (ROOT / "backend").rglob("templates/**/*") if p.suffix in (".html", ".txt")]
    files += list((ROOT / "dashboard").rglob("*.py"))
    files += [p for p in (ROOT / "backend").rglob("*.py") if "translations" not in p.parts]
    return sorted(str(p.relative_to(ROOT)) for p in files if str(p.relative_to(ROOT)) not in SKIP_FILES)


@pytest.mark.no_db
def test_no_english_outside_the_catalog_except_in_files_not_yet_converted():
    env = Environment(extensions=["jinja2.ext.i18n", "jinja2.ext.do", "jinja2.ext.loopcontrols"])
    findings = {}
    for name in _scanned_files():
        path = ROOT / name
        found = _template_findings(path, env) if path.suffix in (".html", ".txt") else _python_findings(path)
        if found:
            findings[name] = found
    unmarked = {name: texts[:5] for name, texts in findings.items() if name not in PENDING}
    converted = sorted(name for name in PENDING if name not in findings)
    assert unmarked == {}, "mark these for translation (_(...)) and run `make i18n`"
    assert converted == [], "these files are clean now: take them off PENDING"


@pytest.mark.no_db
def test_the_scan_finds_english_that_is_not_marked(tmp_path):
    page = tmp_path / "page.html"
    page.write_text('<h1>Hello there</h1><p title="Bare title">{{ _("Marked text") }}</p>'
                    '{{ f.input("x", "Agency name") }}')
    module = tmp_path / "page.py"
    module.write_text('from dash import html\nx = html.H1("Choose a company")\ny = html.P(_("Marked"))\n'
                      'flash(f"Saved {n} things.")\n')
    env = Environment(extensions=["jinja2.ext.i18n"])
    assert sorted(_template_findings(page, env)) == ["Agency name", "Bare title", "Hello there"]
    assert sorted(_python_findings(module)) == ["Choose a company", "Saved  things."]
