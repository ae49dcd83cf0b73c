"""The benchmark: `python -m bench --help`; figures and the machine they came from in BENCHMARKS.md."""
