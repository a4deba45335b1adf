# The documentation site (issue 13): `make docs` builds docs/ into site/ with mkdocs --strict,
# so a broken link or anchor, a page missing from the nav, an unresolved reference or a
# docstring that does not render fails it; `make lint` runs it, so CI builds the site on every
# change. The examples in the pages are run by tests/docs/ (part of `make test`).
# mkdocs-material rather than Sphinx + furo: the pages stay plain Markdown, the same dialect as
# the README, which our example tests parse and run, and mkdocstrings renders our Google-style
# docstrings without an reStructuredText layer.
.PHONY: docs

docs: install ## Build the documentation site into site/ (strict: any warning fails)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --clean --site-dir site
