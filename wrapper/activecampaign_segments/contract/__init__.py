"""The contract suite, shipped: does a server honour the document and the pager's rules?

``ac-segments contract`` (needs the ``contract`` extra) runs it against a server, ActiveCampaign
itself included, or the bundled simulator. Modules, each with one job:

- `received`: what the server received, decoded from the request as sent;
- `semantics`: the rules the document cannot express, as plain functions;
- `drift`: what an answer carries that the document does not describe;
- `verdicts`: failures vs findings, the drift report and the JUnit additions;
- `hooks`: the Schemathesis checks and hooks (imports Schemathesis);
- `known_data`: real ids and cursors for the case generator;
- `audit`, `audit_run`: the audit across answers (rules and plan without I/O; the budgeted
  driver);
- `runner`: settings, pre-flight probe, the Schemathesis process, the summary and exit status;
- `resources`, `settings`: the shipped files and the environment variables.

Nothing here reaches into the client's internals: the runner takes the client's URL rules from
``_config.normalise_base_url`` and probes the server with plain httpx (an answer that breaks the
document must reach the suite as a failure, not stop it before it starts).
"""
