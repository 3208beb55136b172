"""Write a synthetic BEIR folder of a given size, for timing `flask matching evaluate`.

    .venv/bin/python benchmarks/synthetic_beir.py /tmp/beir-3k --docs 3000 --queries 1000
    time .venv/bin/flask matching evaluate /tmp/beir-3k --json

Texts are English sentences recombined from a small manufacturing vocabulary, so the figures
it gives are about speed only, never about quality.
"""
from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

SUBJECTS = ["casting", "weld seam", "gearbox", "diesel engine", "injection mould", "paint line", "boiler", "CNC spindle",
            "conveyor", "warehouse", "press line", "silicone reactor", "textile loom", "PCB assembly", "packaging line"]
PROBLEMS = ["surface defects", "unplanned downtime", "high energy bills", "late deliveries", "scrap rate", "vibration",
            "manual inspection misses", "overstock", "safety incidents", "unstable process parameters", "emissions"]
METHODS = ["computer vision", "predictive maintenance", "advanced planning and scheduling", "energy analytics",
           "digital twin", "anomaly detection", "demand forecasting", "an industrial language model", "edge AI cameras"]


def sentence(rng: random.Random) -> str:
    return (f"Our {rng.choice(SUBJECTS)} suffers from {rng.choice(PROBLEMS)}; we want {rng.choice(METHODS)} "
            f"to reduce {rng.choice(PROBLEMS)} on the {rng.choice(SUBJECTS)}.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder")
    parser.add_argument("--docs", type=int, default=3000)
    parser.add_argument("--queries", type=int, default=1000)
    args = parser.parse_args()
    rng = random.Random(7)
    folder = Path(args.folder)
    (folder / "qrels").mkdir(parents=True, exist_ok=True)
    with open(folder / "corpus.jsonl", "w", encoding="utf-8") as out:
        for i in range(args.docs):
            text = " ".join(sentence(rng) for _ in range(rng.randint(3, 8)))
            out.write(json.dumps({"_id": f"d{i}", "title": f"{rng.choice(METHODS)} for {rng.choice(SUBJECTS)}", "text": text}) + "\n")
    with open(folder / "queries.jsonl", "w", encoding="utf-8") as out:
        for i in range(args.queries):
            out.write(json.dumps({"_id": f"q{i}", "text": sentence(rng)}) + "\n")
    with open(folder / "qrels" / "dev.tsv", "w", encoding="utf-8") as out:
        out.write("query-id\tcorpus-id\tscore\n")
        for i in range(args.queries):
            for doc in rng.sample(range(args.docs), 3):
                out.write(f"q{i}\td{doc}\t{rng.randint(1, 2)}\n")
    print(f"wrote {args.docs} documents and {args.queries} queries to {folder}")


if __name__ == "__main__":
    main()
