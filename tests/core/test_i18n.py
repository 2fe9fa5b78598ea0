"""The UI speaks zh-hans (default) and English, with complete catalogues."""

import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings

PO = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


@pytest.mark.django_db
def test_login_page_in_both_languages(client):
    assert "登录" in client.get("/accounts/login/").content.decode()
    english = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Sign in" in english
    assert "登录" not in english


@pytest.mark.django_db
def test_language_switch_changes_every_page(role_client):
    client = role_client("order_clerk")
    page = client.get("/crm/customers/").content.decode()
    assert "客户等级" in page
    assert "销售渠道" in page  # navigation
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/crm/customers/"})
    assert response.status_code == 302
    page = client.get("/crm/customers/").content.decode()
    assert "Sales channels" in page
    assert "tier" in page
    assert "客户等级" not in page
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert "欢迎" in client.get("/").content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(("language", "word"), [("zh-hans", "订单专员"), ("en", "order clerk")])
def test_home_names_the_role_in_the_users_language(role_client, language, word):
    body = role_client("order_clerk").get("/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert word in body


@pytest.mark.django_db
def test_role_called_warehouse_reads_as_the_glossary_says(role_client):
    assert "仓库管理员" in role_client("warehouse").get("/").content.decode()


def _entries(text: str):
    """(msgid, msgstrs, flags) of every entry of a .po file, header skipped."""
    entries, flags, current = [], "", None
    for line in [*text.splitlines(), ""]:
        if line.startswith("#,"):
            flags = line
        elif line.startswith(("msgid ", "msgctxt ")) and (current is None or current["done"]):
            if current is not None:
                entries.append(current)
            current = {"msgid": "", "msgstr": [], "flags": flags, "done": False, "key": None}
            flags = ""
        if current is None:
            continue
        if line.startswith("msgid "):
            current["key"] = "msgid"
            current["msgid"] = line[6:].strip('"')
        elif line.startswith("msgstr"):
            current["key"] = "msgstr"
            current["msgstr"].append(line.split(" ", 1)[1].strip('"'))
            current["done"] = True
        elif line.startswith('"') and current["key"] == "msgstr":
            current["msgstr"][-1] += line.strip('"')
        elif line.startswith('"') and current["key"] == "msgid":
            current["msgid"] += line.strip('"')
    if current is not None:
        entries.append(current)
    return [e for e in entries if e["msgid"]]


def test_zh_hans_catalogue_is_complete():
    entries = _entries(PO.read_text(encoding="utf-8"))
    assert len(entries) > 150
    untranslated = [e["msgid"] for e in entries if not all(e["msgstr"])]
    fuzzy = [e["msgid"] for e in entries if "fuzzy" in e["flags"]]
    assert untranslated == []
    assert fuzzy == []


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="needs gettext's msgfmt")
def test_compiled_catalogue_matches_the_source(tmp_path):
    compiled = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "--check", "-o", str(compiled), str(PO)], check=True)
    assert compiled.read_bytes() == PO.with_suffix(".mo").read_bytes(), "run make messages"
