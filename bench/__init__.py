"""Benchmarks (not tests): what each read-model sync mode costs, as ratios against
baselines measured in the same run. `python -m bench --help`; see bench/README.md."""
