"""Reminder letters, e-mails and statements: locale formatting, the 5 × 4 templates, strictness, escaping, files."""

from __future__ import annotations

import email
import email.policy
import shutil
import subprocess
import tomllib
from dataclasses import replace
from datetime import date
from decimal import Decimal as D
from pathlib import Path

import pytest

from workbench.collections.locale import babel_locale, format_date, format_money, format_percent, normalise_language
from workbench.collections.model import Communication, CreditLine, LetterLine, Sender, StatementLine
from workbench.letters import (
    DUNNING_TEMPLATES_DIR,
    LetterError,
    LetterRenderer,
    StatementView,
    file_stem,
    template_for_level,
    text_table,
)

AS_OF = date(2026, 11, 20)
LANGUAGES = ("en", "fr", "de", "es", "pt")
TEMPLATES = ("reminder", "second_reminder", "formal_notice", "final_demand")
COUNTRY = {"en": "GB", "fr": "FR", "de": "DE", "es": "ES", "pt": "PT"}

SENDER = Sender(
    name="Northwind Trading SA",
    department="Credit Control",
    email="credit@northwind.example",
    phone="+33 1 23 45 67 89",
    address=("12 rue de la Paix", "75002 Paris", "France"),
    iban="FR76 3000 6000 0112 3456 7890 189",
    bic="AGRIFRPPXXX",
)
LINES = (
    LetterLine(
        "INV-1001",
        "invoice",
        date(2026, 8, 1),
        date(2026, 8, 31),
        81,
        D("1000.00"),
        D("1000.00"),
        3,
        reference="PO 4711",
        interest=D("17.85"),
        compensation=D("40.00"),
    ),
    LetterLine("INV-1002", "invoice", date(2026, 9, 15), date(2026, 10, 15), 36, D("500.00"), D("250.00"), 3),
)
CREDITS = (CreditLine("CN-77", "credit_note", date(2026, 10, 2), D("83.29")),)
STATEMENT = (
    StatementLine("INV-1001", "invoice", date(2026, 8, 1), date(2026, 8, 31), D("1000.00"), D("1000.00"), "overdue"),
    StatementLine("INV-1002", "invoice", date(2026, 9, 15), date(2026, 10, 15), D("500.00"), D("250.00"), "overdue"),
    StatementLine("INV-1010", "invoice", date(2026, 11, 1), date(2026, 12, 1), D("300.00"), D("300.00"), "not due"),
    StatementLine("INV-0990", "invoice", date(2026, 7, 1), date(2026, 7, 31), D("120.00"), D("120.00"), "disputed"),
    StatementLine("CN-77", "credit_note", date(2026, 10, 2), None, D("83.29"), D("83.29"), "unapplied"),
)
LEVEL = {"reminder": 1, "second_reminder": 2, "formal_notice": 3, "final_demand": 4}

#: amount_due = 1000 + 250 - 83.29 + 17.85 interest + 40 compensation + 10 fee
TOTAL = {"en": "€1,234.56", "fr": "1 234,56 €", "de": "1.234,56 €", "es": "1.234,56 €", "pt": "1 234,56 €"}
DEADLINE = {
    "en": "28 November 2026",
    "fr": "28 novembre 2026",
    "de": "28. November 2026",
    "es": "28 de noviembre de 2026",
    "pt": "28 de novembro de 2026",
}
INTEREST = {"en": "€17.85", "fr": "17,85 €", "de": "17,85 €", "es": "17,85 €", "pt": "17,85 €"}
COMPENSATION = {"en": "€40.00", "fr": "40,00 €", "de": "40,00 €", "es": "40,00 €", "pt": "40,00 €"}
CREDIT = {"en": "-€83.29", "fr": "-83,29 €", "de": "-83,29 €", "es": "-83,29 €", "pt": "-83,29 €"}
FEE = {"en": "€10.00", "fr": "10,00 €", "de": "10,00 €", "es": "10,00 €", "pt": "10,00 €"}
DUE_DATE = {"en": "31 Aug 2026", "fr": "31 août 2026", "de": "31.08.2026", "es": "31 ago 2026", "pt": "31/08/2026"}
GREETING = {
    "en": "Dear Smith & Sons",
    "fr": "À l'attention du service comptable de Smith & Sons",
    "de": "An die Buchhaltung von Smith & Sons",
    "es": "Estimados señores de Smith & Sons:",
    "pt": "À atenção do departamento de contabilidade de Smith & Sons",
}
#: a phrase that sets the tone of each level, per language
TONE = {
    ("en", "reminder"): "may simply have been overlooked",
    ("en", "second_reminder"): "we have not yet received your payment",
    ("en", "formal_notice"): "We hereby formally call upon you to pay",
    ("en", "final_demand"): "This is our final demand",
    ("fr", "reminder"): "Il s'agit sans doute d'un simple oubli",
    ("fr", "second_reminder"): "nous n'avons pas encore reçu le règlement",
    ("fr", "formal_notice"): "nous vous mettons en demeure",
    ("fr", "final_demand"): "Ceci constitue notre dernier avis",
    ("de", "reminder"): "Möglicherweise ist die Zahlung bei Ihnen übersehen worden",
    ("de", "second_reminder"): "konnten wir bisher keinen Zahlungseingang",
    ("de", "formal_notice"): "Wir fordern Sie hiermit förmlich auf",
    ("de", "final_demand"): "Dies ist unsere letzte Mahnung",
    ("es", "reminder"): "Es posible que se trate de un simple descuido",
    ("es", "second_reminder"): "aún no hemos recibido el pago",
    ("es", "formal_notice"): "les requerimos formalmente el pago",
    ("es", "final_demand"): "Este es nuestro último aviso",
    ("pt", "reminder"): "Possivelmente trata-se apenas de um lapso",
    ("pt", "second_reminder"): "ainda não recebemos o pagamento",
    ("pt", "formal_notice"): "solicitamos formalmente o pagamento imediato",
    ("pt", "final_demand"): "Este é o nosso último aviso",
}
SUBJECT_START = {
    ("en", "reminder"): "Payment reminder – customer C-0042 – 2 overdue items",
    ("en", "second_reminder"): "Second reminder – customer C-0042 – 2 overdue items",
    ("en", "formal_notice"): "Formal notice to pay – customer C-0042",
    ("en", "final_demand"): "Final demand before collection proceedings – customer C-0042",
    ("fr", "reminder"): "Rappel de paiement – client C-0042 – 2 échéances impayées",
    ("fr", "second_reminder"): "Deuxième rappel – client C-0042 – 2 échéances impayées",
    ("fr", "formal_notice"): "Mise en demeure de payer – client C-0042",
    ("fr", "final_demand"): "Dernier avis avant recouvrement – client C-0042",
    ("de", "reminder"): "Zahlungserinnerung – Kundennummer C-0042 – 2 überfällige Positionen",
    ("de", "second_reminder"): "Mahnung – Kundennummer C-0042 – 2 überfällige Positionen",
    ("de", "formal_notice"): "Förmliche Mahnung – Kundennummer C-0042",
    ("de", "final_demand"): "Letzte Mahnung vor Übergabe an das Inkasso – Kundennummer C-0042",
    ("es", "reminder"): "Recordatorio de pago – cliente C-0042 – 2 documentos vencidos",
    ("es", "second_reminder"): "Segundo recordatorio – cliente C-0042 – 2 documentos vencidos",
    ("es", "formal_notice"): "Requerimiento formal de pago – cliente C-0042",
    ("es", "final_demand"): "Último requerimiento antes de acciones de recobro – cliente C-0042",
    ("pt", "reminder"): "Lembrete de pagamento – cliente C-0042 – 2 documentos vencidos",
    ("pt", "second_reminder"): "Segundo lembrete – cliente C-0042 – 2 documentos vencidos",
    ("pt", "formal_notice"): "Notificação formal para pagamento – cliente C-0042",
    ("pt", "final_demand"): "Aviso final de pagamento – cliente C-0042",
}
SUSPENSION = {
    "en": "suspend all deliveries",
    "fr": "suspension de toutes les livraisons",
    "de": "alle Lieferungen und Leistungen an Ihr Unternehmen einstellen",
    "es": "suspender todas las entregas",
    "pt": "suspensão de todas as entregas",
}
AGENCY = {
    "en": "collection agency",
    "fr": "société de recouvrement",
    "de": "Inkassounternehmen",
    "es": "agencia de recobro",
    "pt": "empresa especializada",
}


def plain(text: str) -> str:
    """Babel's no-break spaces as plain spaces, for readable assertions."""
    return text.replace("\u202f", " ").replace("\u00a0", " ")


def flat(text: str) -> str:
    """:func:`plain` with every run of white space (line wrapping included) as one space."""
    return " ".join(plain(text).split())


def make_comm(language: str = "en", country: str = "GB", template: str = "formal_notice", **changes) -> Communication:
    """The fixed communication of these tests (two overdue invoices, one credit note, interest, compensation, fee)."""
    base = Communication(
        as_of=AS_OF,
        customer_id="C-0042",
        customer_name="Smith & Sons",
        country=country,
        language=language,
        email="ap@smith-sons.example",
        phone="+44 20 7946 0000",
        collector="Camille Laurent",
        currency="EUR",
        level=LEVEL.get(template, 1),
        level_name=template,
        channel="email",
        template=template,
        lines=LINES,
        credits=CREDITS,
        statement=STATEMENT,
        fee=D("10.00"),
        interest_basis="ECB main refinancing rate + 8 points",
        actions=("suspend_deliveries", "collection_agency"),
    )
    return replace(base, **changes)


@pytest.fixture(scope="module")
def renderer() -> LetterRenderer:
    return LetterRenderer(SENDER)


# ------------------------------------------------------------------ locale


def test_money_per_locale() -> None:
    amount = D("1234.56")
    assert plain(format_money(amount, "EUR", "fr", "FR")) == "1 234,56 €"
    assert format_money(amount, "EUR", "fr", "FR") == "1\u202f234,56\u00a0€"
    assert plain(format_money(amount, "EUR", "de", "DE")) == "1.234,56 €"
    assert format_money(amount, "EUR", "en", "GB") == "€1,234.56"
    assert format_money(amount, "USD", "en", "US") == "$1,234.56"
    assert plain(format_money(amount, "BRL", "PT", "br")) == "R$ 1.234,56"
    assert plain(format_money(amount, "EUR", "es", "ES")) == "1.234,56 €"
    assert format_money(D("1234"), "JPY", "en", "US") == "¥1,234"
    assert plain(format_money(D("-83.29"), "EUR", "fr", "FR")) == "-83,29 €"


def test_money_refuses_float() -> None:
    with pytest.raises(TypeError, match="Decimal"):
        format_money(1234.56, "EUR", "en", "GB")  # type: ignore[arg-type]


def test_dates_per_locale() -> None:
    d = date(2026, 11, 20)
    assert format_date(d, "fr", "FR") == "20 novembre 2026"
    assert format_date(d, "de", "DE") == "20. November 2026"
    assert format_date(d, "en", "US") == "November 20, 2026"
    assert format_date(d, "en", "GB") == "20 November 2026"
    assert format_date(d, "es", "MX") == "20 de noviembre de 2026"
    assert format_date(d, "pt", "BR") == "20 de novembro de 2026"
    assert format_date(d, "de", "DE", "medium") == "20.11.2026"
    with pytest.raises(ValueError):
        format_date(d, "en", "GB", "weird")


def test_percent_per_locale() -> None:
    assert plain(format_percent(D("0.1215"), "fr", "FR")) == "12,15 %"
    assert format_percent(D("0.08"), "en", "GB") == "8.00%"
    assert format_percent(D("0.08"), "en", "US", 0) == "8%"


def test_locale_choice_and_language_normalisation() -> None:
    assert str(babel_locale("fr", "FR")) == "fr_FR"
    assert str(babel_locale("ES", "mx")) == "es_MX"
    assert str(babel_locale("de", "FR")) == "de"  # Babel knows no de_FR: the language alone
    assert str(babel_locale("", "")) == "en"
    assert str(babel_locale("zz", "ZZ")) == "en"
    assert normalise_language("pt-BR") == "pt"
    assert normalise_language(" FR ") == "fr"
    assert normalise_language("français") == ""


# -------------------------------------------------------- 5 languages × 4 templates


@pytest.mark.parametrize("template", TEMPLATES)
@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_language_and_level(renderer: LetterRenderer, lang: str, template: str) -> None:
    comm = make_comm(lang, COUNTRY[lang], template)
    subject = renderer.subject(comm)
    assert "\n" not in subject and "\r" not in subject
    assert plain(subject).startswith(SUBJECT_START[lang, template])
    assert "C-0042" in subject
    text = flat(renderer.email_text(comm))
    html = flat(renderer.email_html(comm))
    letter = flat(renderer.letter_html(comm))
    for output in (text, html, letter):
        assert TONE[lang, template] in output
        assert TOTAL[lang] in output
        assert INTEREST[lang] in output
        assert COMPENSATION[lang] in output
        assert CREDIT[lang] in output
        assert FEE[lang] in output
        assert DUE_DATE[lang] in output
        assert "INV-1001" in output and "INV-1002" in output and "CN-77" in output
        assert "81" in output and "36" in output
        assert "ECB main refinancing rate + 8 points" in output
    assert GREETING[lang] in text
    assert GREETING[lang].replace("&", "&amp;") in html and GREETING[lang].replace("&", "&amp;") in letter
    assert SENDER.name in letter and "FR76 3000 6000 0112 3456 7890 189" in letter and "AGRIFRPPXXX" in letter
    if template == "final_demand":
        for output in (text, html, letter):
            assert DEADLINE[lang] in output
            assert SUSPENSION[lang] in output
            assert AGENCY[lang] in output
    else:
        assert DEADLINE[lang] not in text


def test_tone_escalates_without_borrowing_later_wording(renderer: LetterRenderer) -> None:
    reminder = renderer.email_text(make_comm(template="reminder"))
    assert "formally" not in reminder and "final demand" not in reminder.lower()
    assert "Kind regards," in reminder
    second = renderer.email_text(make_comm(template="second_reminder"))
    assert "81 days overdue" in second and "within the next few days" in second
    formal = renderer.letter_html(make_comm(template="formal_notice"))
    assert "Statutory late-payment interest of €17.85 has accrued" in formal
    assert "fixed compensation for recovery costs of €40.00" in formal
    assert "Yours faithfully," in formal


def test_formal_notice_without_interest_or_compensation(renderer: LetterRenderer) -> None:
    lines = tuple(replace(line, interest=D("0"), compensation=D("0")) for line in LINES)
    text = renderer.email_text(make_comm(template="formal_notice", lines=lines, interest_basis=""))
    assert "has accrued" not in text and "fixed compensation" not in text.lower()
    assert "Interest" not in text  # no interest column when no item bears interest
    html = renderer.letter_html(make_comm(template="formal_notice", lines=lines))
    assert ">Interest<" not in html and "Statutory late-payment interest" not in html


def test_final_demand_actions(renderer: LetterRenderer) -> None:
    without = renderer.email_text(make_comm(template="final_demand", actions=()))
    assert "may include suspending deliveries" in without and "collection agency" in without
    internal = renderer.email_text(make_comm(template="final_demand", actions=("call", "notify_sales", "Agency")))
    assert [line for line in internal.splitlines() if line.startswith("- ")] == [
        "- hand the claim over to a collection agency"
    ]  # internal actions are never told to the customer
    legal = renderer.letter_html(make_comm(template="final_demand", actions=("legal-action",)))
    assert "<li>start legal proceedings to recover the debt</li>" in legal


def test_level_selects_template_when_template_is_empty(renderer: LetterRenderer) -> None:
    assert [template_for_level(level) for level in (1, 2, 3, 4, 7)] == [
        "reminder",
        "second_reminder",
        "formal_notice",
        "final_demand",
        "final_demand",
    ]
    assert renderer.subject(make_comm(template="", level=5)).startswith("Final demand")
    with pytest.raises(LetterError):
        template_for_level(0)
    for bad in ("../statement", "statement", "Reminder", "final demand"):
        with pytest.raises(LetterError, match="template"):
            renderer.subject(make_comm(template=bad))
    with pytest.raises(LetterError, match="no template nonexistent.j2"):
        renderer.subject(make_comm(template="nonexistent"))


# --------------------------------------------------------- language fallback


@pytest.mark.parametrize("language", ["it", "", "xx", "IT"])
def test_unknown_or_empty_language_falls_back_to_english(renderer: LetterRenderer, language: str) -> None:
    comm = make_comm(language, "IT", "reminder")
    assert renderer.language(comm) == "en"
    assert renderer.subject(comm).startswith("Payment reminder – customer C-0042")
    text = flat(renderer.email_text(comm))
    assert "Dear Smith & Sons," in text and "may simply have been overlooked" in text
    assert "1.234,56 €" in text  # English words, Italian number conventions (Babel en_IT)
    assert "Italy" in renderer.letter_html(comm)


def test_language_is_case_insensitive_and_regional_forms_count(renderer: LetterRenderer) -> None:
    assert renderer.language(make_comm("FR", "FR")) == "fr"
    assert renderer.language(make_comm("pt-BR", "BR")) == "pt"
    brazil = flat(renderer.email_text(make_comm("pt", "BR", "reminder")))
    assert "Prezados Senhores," in brazil and "Atenciosamente," in brazil and "€ 1.234,56" in brazil
    portugal = renderer.email_text(make_comm("pt", "PT", "reminder"))
    assert "Exmos. Senhores," in portugal and "Com os melhores cumprimentos," in portugal
    assert format_money(D("1234.56"), "EUR", "en", "US") in renderer.email_text(make_comm("en", "US", "reminder"))


def test_every_language_has_every_template_and_label() -> None:
    english = tomllib.loads((DUNNING_TEMPLATES_DIR / "en" / "labels.toml").read_text(encoding="utf-8"))

    def keys(data: dict, prefix: str = "") -> set[str]:
        out = set()
        for key, value in data.items():
            out |= keys(value, f"{prefix}{key}.") if isinstance(value, dict) else {prefix + key}
        return out

    assert LetterRenderer(SENDER).languages == tuple(sorted(LANGUAGES))
    for lang in LANGUAGES:
        folder = DUNNING_TEMPLATES_DIR / lang
        labels = tomllib.loads((folder / "labels.toml").read_text(encoding="utf-8"))
        assert keys(labels) == keys(english), lang
        for name in (*TEMPLATES, "statement"):
            source = (folder / f"{name}.j2").read_text(encoding="utf-8")
            assert "{% extends layout %}" in source, (lang, name)


# ------------------------------------------------------ strictness and escaping


def test_missing_variable_fails_loudly(tmp_path: Path) -> None:
    templates = tmp_path / "dunning"
    shutil.copytree(DUNNING_TEMPLATES_DIR, templates)
    (templates / "en" / "reminder.j2").write_text(
        "{% extends layout %}{% block subject %}Hello{% endblock %}{% block greeting %}Hi{% endblock %}"
        "{% block body %}{{ comm.no_such_field }}{% endblock %}{% block closing %}{% endblock %}"
        "{% block sign_off %}{% endblock %}",
        encoding="utf-8",
    )
    (templates / "en" / "second_reminder.j2").write_text(
        "{% extends layout %}{% block subject %}{{ not_passed }}{% endblock %}", encoding="utf-8"
    )
    strict = LetterRenderer(SENDER, templates)
    with pytest.raises(LetterError, match="no_such_field"):
        strict.email_text(make_comm(template="reminder"))
    with pytest.raises(LetterError, match="no_such_field"):
        strict.letter_html(make_comm(template="reminder"))
    with pytest.raises(LetterError, match="not_passed"):
        strict.subject(make_comm(template="second_reminder"))


def test_missing_label_fails_loudly(tmp_path: Path) -> None:
    templates = tmp_path / "dunning"
    shutil.copytree(DUNNING_TEMPLATES_DIR, templates)
    labels = templates / "de" / "labels.toml"
    labels.write_text(
        labels.read_text(encoding="utf-8").replace('total_due = "Zu zahlender Betrag"\n', ""), encoding="utf-8"
    )
    with pytest.raises(LetterError, match="total_due"):
        LetterRenderer(SENDER, templates).email_html(make_comm("de", "DE"))


def test_pdf_never_fetches_files_or_urls(tmp_path: Path) -> None:
    templates = tmp_path / "dunning"
    shutil.copytree(DUNNING_TEMPLATES_DIR, templates)
    letter = templates / "_layout" / "letter.html.j2"
    letter.write_text(
        letter.read_text(encoding="utf-8").replace("<body>", '<body><img src="logo.png">'), encoding="utf-8"
    )
    with pytest.raises(LetterError, match="logo.png"):
        LetterRenderer(SENDER, templates).letter_pdf(make_comm())


def test_no_templates_folder(tmp_path: Path) -> None:
    with pytest.raises(LetterError, match="no dunning templates"):
        LetterRenderer(SENDER, tmp_path)


def test_html_is_escaped_and_text_is_verbatim(renderer: LetterRenderer) -> None:
    comm = make_comm(
        template="final_demand",
        customer_name="<script>alert(1)</script> Smith & Sons",
        interest_basis="rate <b>8</b> & more",
    )
    for html in (renderer.email_html(comm), renderer.letter_html(comm), renderer.statement_html(comm)):
        assert "<script>" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt; Smith &amp; Sons" in html
    assert "rate &lt;b&gt;8&lt;/b&gt; &amp; more" in renderer.letter_html(comm)
    text = renderer.email_text(comm)
    assert "Dear <script>alert(1)</script> Smith & Sons," in text
    assert "&amp;" not in text and "&lt;" not in text


def test_float_amount_is_refused(renderer: LetterRenderer) -> None:
    with pytest.raises(LetterError, match="Decimal"):
        renderer.email_text(make_comm(fee=10.0))  # type: ignore[arg-type]


def test_communication_without_items_is_refused(renderer: LetterRenderer) -> None:
    with pytest.raises(LetterError, match="claims no item"):
        renderer.email_text(make_comm(lines=()))


def test_plain_text_is_wrapped_and_tabulated(renderer: LetterRenderer) -> None:
    text = renderer.email_text(make_comm(template="second_reminder"))
    prose = text.split("Document")[0]
    assert max(len(line) for line in prose.splitlines()) <= 72
    assert "Invoice INV-1001  1 Aug 2026" in text
    assert text.endswith("Customer number: C-0042\n") and "\n\n\n" not in text
    assert text_table(["a", "bb"], [["xxx", "1"], ["y", "22"]], "lr") == "a    bb\n-------\nxxx   1\ny    22"


# ------------------------------------------------------------------ statement


def test_statement_view_running_balance_and_credits() -> None:
    view = StatementView.of(make_comm())
    assert [row.document_id for row in view.rows] == ["INV-1001", "INV-1002", "INV-1010", "INV-0990", "CN-77"]
    assert [row.balance for row in view.rows] == [D("1000.00"), D("1250.00"), D("1550.00"), D("1670.00"), D("1586.71")]
    assert (view.open_items, view.overdue, view.unapplied, view.balance) == (
        D("1670.00"),
        D("1250.00"),
        D("-83.29"),
        D("1586.71"),
    )
    # credits not listed in the statement are added once; no statement at all: the claimed items
    bare = StatementView.of(make_comm(statement=()))
    assert [(row.document_id, row.status) for row in bare.rows] == [
        ("INV-1001", "overdue"),
        ("INV-1002", "overdue"),
        ("CN-77", "unapplied"),
    ]
    assert bare.balance == D("1166.71")


def test_statement_html(renderer: LetterRenderer) -> None:
    html = plain(renderer.statement_html(make_comm("fr", "FR")))
    assert "Relevé de compte – client C-0042 – au 20 novembre 2026" in html
    for phrase in ("Non échu", "En litige", "Non imputé", "Échu", "1 586,71 €", "-83,29 €", "1 670,00 €", "INV-0990"):
        assert phrase in html
    assert "Solde du compte" in html


# ------------------------------------------------------------------ e-mail


def test_email_message_structure_headers_and_reproducibility(renderer: LetterRenderer) -> None:
    comm = make_comm("fr", "FR", "second_reminder")
    raw = renderer.email_message(comm).as_bytes()
    assert renderer.email_message(comm).as_bytes() == raw  # same input, same bytes (PDF included)
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert msg.get_content_type() == "multipart/mixed"
    assert msg["From"] == "Northwind Trading SA <credit@northwind.example>"
    assert msg["To"] == "Smith & Sons <ap@smith-sons.example>"
    assert plain(msg["Subject"]) == "Deuxième rappel – client C-0042 – 2 échéances impayées, 1 234,56 €"
    assert msg["Date"] == "Fri, 20 Nov 2026 08:00:00 +0000"
    assert msg["Message-ID"] == renderer.message_id(comm)
    assert msg["Message-ID"].endswith("@northwind.example>") and "20261120" in msg["Message-ID"]
    alternative = next(part for part in msg.iter_parts() if part.get_content_type() == "multipart/alternative")
    assert [part.get_content_type() for part in alternative.iter_parts()] == ["text/plain", "text/html"]
    attachments = list(msg.iter_attachments())
    assert len(attachments) == 1
    assert attachments[0].get_filename() == "statement_C-0042_2026-11-20.pdf"
    assert attachments[0].get_content().startswith(b"%PDF")
    text = msg.get_body(("plain",)).get_content()
    assert "Vous trouverez en pièce jointe le relevé de votre compte." in text
    assert "1 234,56 €" in plain(msg.get_body(("html",)).get_content())


def test_message_id_changes_with_level_currency_and_date(renderer: LetterRenderer) -> None:
    ids = {
        renderer.message_id(make_comm(**change))
        for change in ({}, {"level": 2}, {"currency": "USD"}, {"as_of": date(2026, 11, 21)}, {"customer_id": "C-0043"})
    }
    assert len(ids) == 5


def test_header_injection_is_neutralised(renderer: LetterRenderer) -> None:
    comm = make_comm(
        template="reminder", customer_name="Evil Corp\r\nBcc: x@y.example", customer_id="C-1\r\nBcc: z@y.example"
    )
    assert "\n" not in renderer.subject(comm) and "\r" not in renderer.subject(comm)
    raw = renderer.email_message(comm, attach_statement=False).as_bytes()
    headers = raw.split(b"\n\n", 1)[0]
    assert b"\nBcc:" not in headers and not headers.startswith(b"Bcc:")
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert msg["Bcc"] is None
    assert msg["To"].addresses[0].display_name == "Evil Corp Bcc: x@y.example"
    assert msg["To"].addresses[0].addr_spec == "ap@smith-sons.example"
    assert "C-1 Bcc: z@y.example" in msg["Subject"]
    assert list(msg.iter_attachments()) == []


def test_unusable_addresses_are_refused(renderer: LetterRenderer) -> None:
    for bad in ("", "not-an-address", "a@b.example\r\nBcc: c@d.example", "a@b.example, <x@y.example>"):
        with pytest.raises(LetterError, match="customer C-0042"):
            renderer.email_message(make_comm(email=bad), attach_statement=False)
    two = renderer.email_message(make_comm(email="ap@a.example; credit@a.example"), attach_statement=False)
    assert [a.addr_spec for a in two["To"].addresses] == ["ap@a.example", "credit@a.example"]
    with pytest.raises(LetterError, match="sender"):
        LetterRenderer(replace(SENDER, email="")).email_message(make_comm(), attach_statement=False)


# --------------------------------------------------------------------- PDF


def test_letter_and_statement_pdf(renderer: LetterRenderer) -> None:
    letter = renderer.letter_pdf(make_comm("de", "DE", "formal_notice", channel="letter"))
    statement = renderer.statement_pdf(make_comm("fr", "FR"))
    assert letter.startswith(b"%PDF") and statement.startswith(b"%PDF")
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext is not installed: PDF text not checked")
    letter_text = plain(
        subprocess.run(
            ["pdftotext", "-", "-"], input=letter, capture_output=True, check=True, timeout=30
        ).stdout.decode("utf-8")
    )
    assert "1.234,56 €" in letter_text and "Förmliche Mahnung" in letter_text and "INV-1002" in letter_text
    statement_text = plain(
        subprocess.run(
            ["pdftotext", "-", "-"], input=statement, capture_output=True, check=True, timeout=30
        ).stdout.decode("utf-8")
    )
    assert "1 586,71 €" in statement_text and "Relevé de compte" in statement_text


# ------------------------------------------------------------------- files


def test_write_files_per_channel(renderer: LetterRenderer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rendered: list[str] = []

    def fake_pdf(html: str, as_of: date) -> bytes:  # PDFs themselves are tested above; keep this test fast
        rendered.append(html)
        return b"%PDF-1.7 fake"

    monkeypatch.setattr(renderer, "_pdf", fake_pdf)
    comms = [
        make_comm(template="reminder", customer_id="C-0042", channel="email"),
        make_comm(template="formal_notice", customer_id="C/../../etc", channel="letter"),
        make_comm(template="reminder", customer_id="C-0099", channel="phone"),
        make_comm(template="second_reminder", customer_id="C-0100", channel="email", email=""),
        make_comm(template="second_reminder", customer_id="C_.._.._etc", channel="LETTER"),
    ]
    written = renderer.write(comms, tmp_path)
    summary = [(w.customer_id, w.channel, w.kind, w.path.relative_to(tmp_path).as_posix()) for w in written]
    unsafe = file_stem(comms[1])
    assert unsafe.startswith("C_______etc-") and unsafe.endswith("_EUR_L3")
    assert file_stem(comms[4]) != unsafe.replace("_L3", "_L2")  # "C/../../etc" and "C_.._.._etc" never share a file
    assert summary[0] == ("C-0042", "email", "email", "emails/C-0042_EUR_L1.eml")
    assert summary[1] == ("C/../../etc", "letter", "letter", f"letters/{unsafe}.pdf")
    assert summary[2] == ("C/../../etc", "letter", "statement", f"statements/{unsafe}.pdf")
    assert summary[3:5] == [
        ("C-0100", "letter", "letter", "letters/C-0100_EUR_L2.pdf"),
        ("C-0100", "letter", "statement", "statements/C-0100_EUR_L2.pdf"),
    ]
    assert written[3].note == "no e-mail address: printed letter instead of e-mail" and written[0].note == ""
    assert len(written) == 7 and not any("C-0099" in w.customer_id for w in written)
    assert sorted(p.relative_to(tmp_path).parts[0] for p in tmp_path.rglob("*") if p.is_file()) == [
        "emails",
        "letters",
        "letters",
        "letters",
        "statements",
        "statements",
        "statements",
    ]
    for w in written:
        assert w.path.is_file() and w.path.resolve().is_relative_to(tmp_path.resolve())
    msg = email.message_from_bytes(written[0].path.read_bytes(), policy=email.policy.default)
    assert len(list(msg.iter_attachments())) == 1
    assert len(rendered) == 7  # 1 attached statement + 3 letters + 3 statements
    with pytest.raises(LetterError, match="two communications"):
        renderer.write([comms[0], comms[0]], tmp_path / "again")
    with pytest.raises(LetterError, match="unknown channel"):
        renderer.write([make_comm(channel="fax")], tmp_path / "fax")


def test_docstring_examples() -> None:
    import doctest

    from workbench.collections import locale
    from workbench.letters import smtp

    for module in (locale, smtp):
        assert doctest.testmod(module).failed == 0, module.__name__
