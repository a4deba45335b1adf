# Benchmarks (issue 6 and issue 3's in-process benchmark); never part of `make test`.
.PHONY: bench

bench: install ## Run the benchmarks, print their tables, write bench/results.json
	$(PY) -m bench
