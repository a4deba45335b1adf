# `make update-spec` (issue 10): take a new ActiveCampaign document in one command.
#   make update-spec SPEC=path/to/count-history.json      a file (JSON or YAML)
#   make update-spec SPEC=https://.../count-history.json  an https:// URL (timeout, size cap)
#   make update-spec SPEC=... KEEP=1                      keep a change that fails only the type check
# Prints the change report (also reports/spec-changes.md); see docs/spec-updates.md.
.PHONY: update-spec

# Handed over in the environment, so a URL's `&` or `?` needs no shell quoting in the recipe.
update-spec: export SPEC := $(SPEC)
update-spec: export KEEP := $(KEEP)

update-spec: install ## Take a new upstream document: SPEC=PATH_OR_HTTPS_URL [KEEP=1]; prints the change report
	@$(PY) tools/update_spec.py
