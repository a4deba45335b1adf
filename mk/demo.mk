# `make demo`: the README's first command (issue 5). Everything it needs comes from
# `install`; the simulator runs on a free loopback port and is stopped at the end.

.PHONY: demo

demo: install ## Start the simulator, show latest counts, a history table and a plot (demo/segment-4.png)
	$(PY) demo/run_demo.py
