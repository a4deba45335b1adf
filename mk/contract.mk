# Contract suite over HTTP (issue 4): the Schemathesis CLI with the checks of tests/contract/.
#   make contract                                     the bundled simulator, on a free loopback port
#   make contract BASE_URL=https://ACCOUNT.api-us1.com API_TOKEN=...   a real account, <= 5 req/s
# RATE= overrides the rate (0 = no limit), SEGMENT_IDS= aims at given segments, REPORT_DIR= moves
# the JUnit report (default reports/), MAX_EXAMPLES= shortens a run.
# See docs/ci.md for a nightly CI job.
.PHONY: contract

# Handed to tools/contract.py through the environment only: the recipe line never contains the
# token, so neither make's echo nor `ps` can show it.
contract: export BASE_URL := $(BASE_URL)
contract: export API_TOKEN := $(API_TOKEN)
contract: export RATE := $(RATE)
contract: export SEGMENT_IDS := $(SEGMENT_IDS)
contract: export REPORT_DIR := $(REPORT_DIR)
contract: export MAX_EXAMPLES := $(MAX_EXAMPLES)

contract: install ## Contract suite via the Schemathesis CLI: bundled simulator, or BASE_URL=... API_TOKEN=...
	@$(PY) tools/contract.py
