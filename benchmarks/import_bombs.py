"""Memory and time of checking hostile spreadsheets, for this checkout or another (e.g. main).

    .venv/bin/python benchmarks/import_bombs.py                     # this checkout
    .venv/bin/python benchmarks/import_bombs.py --repo /work/main   # the same files through another checkout

For each file (built by tests/import_bombs.py of THIS checkout) a fresh child process imports the
checkout's app, measures its RSS, runs `demands.importer.parse` on the file, and reports the peak RSS
growth (ru_maxrss after minus RSS before), the time, and what the user is told. A good file of the
same size class is the baseline in the same run. Each child runs under a 6 GB address-space limit so
that a bomb cannot take the machine down; hitting it is reported as "MemoryError".
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
CHILD = r"""
import json, resource, sys, time, os
resource.setrlimit(resource.RLIMIT_AS, (6 * 2**30, 6 * 2**30))
import psutil
from marketplace import create_app
from marketplace.extensions import db
from marketplace.taxonomy.services import load_taxonomy_files

app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "MATCHING_ENABLED": False, "TESTING": True})
data = open(sys.argv[1], "rb").read()
with app.test_request_context():
    db.create_all()
    load_taxonomy_files(db.session)
    from marketplace.demands import importer
    before = psutil.Process().memory_info().rss
    start = time.monotonic()
    try:
        from types import SimpleNamespace
        from marketplace.taxonomy.services import by_code
        org = SimpleNamespace(industry_id=by_code("industry", "C34").id, city_id=by_code("city", "weifang").id)
        preview = importer.parse(data, sys.argv[2], org)
        outcome = f"preview: {preview.total} rows, {len(preview.rows)} valid"
    except importer.ImportFileError as error:
        outcome = f"message: {str(error)[:70]}"
    except MemoryError:
        outcome = "MemoryError"
    except Exception as error:
        outcome = f"error page (500): {type(error).__name__}"
    seconds = time.monotonic() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"before_mb": before / 2**20, "peak_growth_mb": max(0, peak - before) / 2**20, "seconds": seconds, "outcome": outcome}))
"""


def files(folder: Path) -> list[tuple[str, Path, str]]:
    sys.path.insert(0, str(HERE))
    from openpyxl import Workbook

    from tests import import_bombs

    good = Workbook()
    good.active.append(["需求标题*", "需求描述*"])
    for i in range(1000):
        good.active.append([f"需求 {i}", "装配线视觉检测改造。" * 5])
    good_path = folder / "good.xlsx"
    good.save(good_path)
    made = [("1,000 good rows (baseline)", good_path, "good.xlsx")]
    for label, maker, name in [
        ("300 MB shared string", lambda: import_bombs.shared_string_bomb(300), "bomb.xlsx"),
        ("500,000 blank rows", lambda: import_bombs.blank_rows(500_000), "blank.xlsx"),
        ("malformed XML", import_bombs.malformed_xml, "bad.xlsx"),
        ("XML entities (DTD)", import_bombs.entity_bomb, "xxe.xlsx"),
    ]:
        path = folder / name
        path.write_bytes(maker())
        made.append((label, path, name))
    return made


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repo", default=str(HERE))
    parser.add_argument("--python", default=sys.executable)
    args = parser.parse_args()
    repo = Path(args.repo).resolve()
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=repo, capture_output=True, text=True).stdout.strip()
    print(f"checkout {repo} ({commit})")
    with tempfile.TemporaryDirectory() as tmp:
        for label, path, name in files(Path(tmp)):
            answer = subprocess.run([args.python, "-c", CHILD, str(path), name], cwd=repo, capture_output=True, text=True,
                                    timeout=900, env={"HF_HUB_OFFLINE": "1", "PATH": "/usr/bin:/bin", "INSTANCE_PATH": tmp})
            try:
                result = json.loads(answer.stdout.strip().splitlines()[-1])
            except (IndexError, json.JSONDecodeError):
                print(f"{label:<28} {path.stat().st_size / 1024:>8.0f} KB  child died: {answer.stderr.strip().splitlines()[-1:]}")
                continue
            print(f"{label:<28} {path.stat().st_size / 1024:>8.0f} KB  RSS +{result['peak_growth_mb']:>7.1f} MB "
                  f"(from {result['before_mb']:.0f} MB)  {result['seconds']:>6.2f} s  {result['outcome']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
