"""The matcher: hybrid dense + Chinese-aware lexical + structured ranking with reasons.

Pure Python (no Flask, no ORM). Entry points: embeddings.get_encoder, ranker.Matcher,
evaluate.run, benchmark.main.
"""
