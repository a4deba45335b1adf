# Contract suite over HTTP: a thin call of `ac-segments contract` (wrapper/activecampaign_segments/
# contract/), the same entry point an installed package has.
#   make contract                                     the bundled simulator, on a free loopback port
#   make contract BASE_URL=https://ACCOUNT.api-us1.com API_TOKEN=...   a real account, <= 5 req/s
# RATE= overrides the rate (0 = no limit), SEGMENT_IDS= aims at given segments, REPORT_DIR= moves
# the JUnit report and drift.json (default reports/), MAX_EXAMPLES= shortens a run, STRICT=1 makes
# findings fail the run, AUDIT_BUDGET= caps the audit's requests (0 turns it off). BASE_URL/API_TOKEN default to ACTIVECAMPAIGN_API_URL/ACTIVECAMPAIGN_API_KEY.
# See docs/contract.md and docs/ci.md.
.PHONY: contract

# The URL and token reach the command through the environment only: the recipe line never holds
# the token, so neither make's echo nor `ps` can show it.
contract: export ACTIVECAMPAIGN_API_URL := $(or $(BASE_URL),$(ACTIVECAMPAIGN_API_URL))
contract: export ACTIVECAMPAIGN_API_KEY := $(or $(API_TOKEN),$(ACTIVECAMPAIGN_API_KEY))

CONTRACT_OPTIONS = --junit $(or $(REPORT_DIR),reports)/contract-junit.xml \
  $(if $(RATE),--rate $(RATE)) $(if $(SEGMENT_IDS),--segment-ids $(SEGMENT_IDS)) \
  $(if $(MAX_EXAMPLES),--max-examples $(MAX_EXAMPLES)) $(if $(filter-out 0,$(STRICT)),--strict) \
  $(if $(AUDIT_BUDGET),--audit-budget $(AUDIT_BUDGET))

contract: install ## Contract suite (ac-segments contract): bundled simulator, or BASE_URL=... API_TOKEN=...
	@$(BIN)/ac-segments contract $(strip $(CONTRACT_OPTIONS))
