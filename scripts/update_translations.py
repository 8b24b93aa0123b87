"""Refresh the Chinese catalogue: run makemessages, fill each new message from the
translations waiting in locale/pending/*.tsv (msgid<TAB>msgstr per line; \\n for a newline),
drop fuzzy guesses and obsolete entries, compile.

Several people may run it at once, so run it under a lock:
    flock locale/.lock .venv/bin/python scripts/update_translations.py
It prints the messages still without a translation."""

import subprocess
import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "locale/zh_Hans/LC_MESSAGES/django.po"


def pending() -> dict[str, str]:
    translations: dict[str, str] = {}
    for path in sorted((ROOT / "locale/pending").glob("*.tsv")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if "\t" in line:
                msgid, msgstr = line.split("\t", 1)
                translations[msgid.replace("\\n", "\n")] = msgstr.replace("\\n", "\n")
    return translations


def main() -> int:
    subprocess.run(
        [
            sys.executable,
            "manage.py",
            "makemessages",
            "-l",
            "zh_Hans",
            "--no-location",
            "--ignore=.venv",
            "--ignore=node_modules",
            "--ignore=var",
            "--ignore=bench",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    catalogue = polib.pofile(str(PO))
    waiting = pending()
    missing = []
    for entry in list(catalogue):
        if entry.obsolete:
            catalogue.remove(entry)
            continue
        if entry.fuzzy:
            entry.flags.remove("fuzzy")
            entry.msgstr = ""
            entry.previous_msgid = None
        if entry.msgid in waiting:
            if entry.msgid_plural:  # Chinese has one plural form: the singular's line fills it
                entry.msgstr_plural = {0: waiting[entry.msgid]}
            else:
                entry.msgstr = waiting[entry.msgid]
        if not entry.msgstr and not any(entry.msgstr_plural.values()):
            missing.append(entry.msgid)
    catalogue.save(str(PO))
    catalogue.save_as_mofile(str(PO.with_suffix(".mo")))
    for msgid in missing:
        print(f"untranslated: {msgid!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
