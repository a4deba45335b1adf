"""Benchmarks for activecampaign-segments (``make bench``; never run as timed tests).

Each benchmark module exposes ``run(quick: bool) -> list[Figure]``; ``python -m bench`` runs them
in one process, prints one table per benchmark and writes every figure of that one run to
``bench/results.json``.
"""
