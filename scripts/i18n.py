"""Translation catalogs, one per area: marketplace/translations/<area>/zh_CN/LC_MESSAGES/messages.po.

  python scripts/i18n.py update [AREA ...]   extract strings and merge them into the catalogs
  python scripts/i18n.py compile             compile every catalog to .mo (the build does this)
  python scripts/i18n.py check               list untranslated or fuzzy entries; exit 1 if any

Area "core" covers marketplace/*.py, templates/*.html, templates/_macros and templates/errors;
every other area is marketplace/<area>/ plus templates/<area>/.
"""
from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "marketplace"
TEMPLATES = ROOT / "templates"
CATALOGS = PACKAGE / "translations"
LOCALES = ("zh_CN",)
KEYWORDS = ["-k", "_l", "-k", "lazy_gettext", "-k", "lazy_ngettext:1,2", "-k", "_n:1,2"]
NOT_AREAS = {"matching", "translations", "__pycache__"}


def areas() -> list[str]:
    found = ["core"]
    for path in sorted(PACKAGE.iterdir()):
        if path.is_dir() and (path / "__init__.py").exists() and path.name not in NOT_AREAS:
            found.append(path.name)
    return found


def sources(area: str) -> list[Path]:
    if area == "core":
        paths = [p for p in PACKAGE.glob("*.py")] + [p for p in TEMPLATES.glob("*.html")]
        paths += [TEMPLATES / "_macros", TEMPLATES / "errors"]
    else:
        paths = [PACKAGE / area, TEMPLATES / area]
    return [p for p in paths if p.exists()]


def pybabel(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", *args], check=True, cwd=ROOT,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def update(area: str) -> None:
    paths = sources(area)
    if not paths:
        return
    with tempfile.TemporaryDirectory() as tmp:
        pot = Path(tmp) / f"{area}.pot"
        pybabel("extract", "-F", "babel.cfg", "--no-location", "--sort-output", *KEYWORDS, "-o", str(pot),
                *[str(p.relative_to(ROOT)) for p in paths])
        for locale in LOCALES:
            po = CATALOGS / area / locale / "LC_MESSAGES" / "messages.po"
            if po.exists():
                pybabel("update", "-i", str(pot), "-d", str(CATALOGS / area), "-l", locale, "--no-fuzzy-matching",
                        "--ignore-obsolete")
            else:
                pybabel("init", "-i", str(pot), "-d", str(CATALOGS / area), "-l", locale)
    print(f"updated {area}")


# Babel parses "zh_CN" as zh_Hans_CN, and gettext then looks for zh_Hans_CN/ and zh/ only, so
# each zh_CN catalog is also compiled under the name Babel asks for.
COMPILED_ALIASES = {"zh_CN": ("zh_Hans_CN",)}


def compile_all() -> None:
    for po in sorted(CATALOGS.glob("*/*/LC_MESSAGES/messages.po")):
        locale = po.parents[1].name
        pybabel("compile", "-d", str(po.parents[2]), "-l", locale)
        for alias in COMPILED_ALIASES.get(locale, ()):
            target = po.parents[2] / alias / "LC_MESSAGES" / "messages.mo"
            target.parent.mkdir(parents=True, exist_ok=True)
            pybabel("compile", "-i", str(po), "-o", str(target), "-l", locale)


def check() -> int:
    """Untranslated entries, and the same source string translated differently in two areas
    (Flask-Babel merges the catalogs, so only one of the two would ever be shown)."""
    problems = 0
    seen: dict[str, tuple[str, str]] = {}
    for po in sorted(CATALOGS.glob("*/*/LC_MESSAGES/messages.po")):
        with po.open("rb") as handle:
            catalog = read_po(handle)
        for message in catalog:
            if not message.id:
                continue
            strings = message.string if isinstance(message.string, (list, tuple)) else [message.string]
            if message.fuzzy or not all(strings):
                problems += 1
                print(f"{po.relative_to(ROOT)}: untranslated{' (fuzzy)' if message.fuzzy else ''}: {message.id!r}")
                continue
            key = str(message.id)
            area = po.parents[2].name
            if key in seen and seen[key][1] != str(message.string):
                problems += 1
                print(f"{area} and {seen[key][0]} translate {key!r} differently: {message.string!r} / {seen[key][1]!r}")
            seen.setdefault(key, (area, str(message.string)))
    return 1 if problems else 0


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("update", "compile", "check"):
        print(__doc__)
        return 2
    if argv[0] == "update":
        for area in argv[1:] or areas():
            update(area)
        return 0
    if argv[0] == "compile":
        compile_all()
        return 0
    return check()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
