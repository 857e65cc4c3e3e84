"""The Dutch catalogue is complete and its compiled .mo matches the .po (run `make messages` after edits)."""

from __future__ import annotations

import gettext
from pathlib import Path

import polib

import dsmrhub

CATALOGUE = Path(dsmrhub.__file__).parent / "locale" / "nl" / "LC_MESSAGES"


def test_every_message_has_a_dutch_translation():
    po = polib.pofile(str(CATALOGUE / "django.po"))
    assert len(po) > 100
    assert po.untranslated_entries() == []
    assert po.fuzzy_entries() == []
    assert po.obsolete_entries() == [] or all(entry.obsolete for entry in po.obsolete_entries())


def test_the_compiled_catalogue_matches_the_po_file():
    po = polib.pofile(str(CATALOGUE / "django.po"))
    with open(CATALOGUE / "django.mo", "rb") as compiled:
        mo = gettext.GNUTranslations(compiled)
    for entry in po.translated_entries():
        if entry.msgid_plural:
            assert mo.ngettext(entry.msgid, entry.msgid_plural, 1) == entry.msgstr_plural[0]
            assert mo.ngettext(entry.msgid, entry.msgid_plural, 5) == entry.msgstr_plural[1]
        elif entry.msgctxt:
            assert mo.pgettext(entry.msgctxt, entry.msgid) == entry.msgstr
        else:
            assert mo.gettext(entry.msgid) == entry.msgstr, entry.msgid
