"""The example collector catches broken examples: pages broken on purpose must be reported.

Each case writes a small Markdown page into a temporary folder and runs it the way
test_examples.py runs the real pages, against the same simulator.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from activecampaign_simulator.server import SimulatorHandle

from tests.docs.collector import CollectError, Failure, collect, run_page


def _run(tmp_path: Path, sim: SimulatorHandle, text: str) -> list[Failure]:
    page = tmp_path / "page.md"
    page.write_text(text, encoding="utf-8")
    workdir = tmp_path / "work"
    workdir.mkdir()
    return run_page(page, base_url=sim.base_url, token=sim.token, workdir=workdir, page="page.md")


PYTHON_PAGE = """\
# A page

```python
from activecampaign_segments import SegmentsClient

client = SegmentsClient("https://ACCOUNT.api-us1.com", api_token="YOUR-API-TOKEN")
page = client.count_history_page("900050")
```

Text between blocks.

```python
assert len(page.records) == 50  # the namespace carries over
client.count_history_page("12345")  # 404: raises NotFoundError
```

```python
raise AssertionError("never reached: the page stopped at the first broken block")
```
"""


def test_a_failing_python_block_is_reported_with_its_line_and_error(
    tmp_path: Path, docs_sim: SimulatorHandle
) -> None:
    failures = _run(tmp_path, docs_sim, PYTHON_PAGE)
    assert len(failures) == 1
    failure = failures[0]
    assert failure.example.line == 12  # the opening fence of the second block
    assert str(failure).startswith("page.md:12: python block: NotFoundError:")
    assert "(block line 2)" in str(failure)  # the line inside the block


@pytest.mark.slow
def test_a_failing_console_command_is_reported_and_exit_markers_are_honoured(
    tmp_path: Path, docs_sim: SimulatorHandle
) -> None:
    text = """\
```console
$ ac-segments latest 4 --format csv
segment_id,recorded_at,...           <- output: not run, not compared
$ false                              <- not an ac-segments line: not run
$ ac-segments history 12345
$ ac-segments history 12345 --limit 1 | cat   # in bash, with pipefail
```

<!-- docs: exit=5 -->
```console
$ ac-segments history 12345
```

<!-- docs: exit=5 -->
```console
$ ac-segments latest 4
```
"""
    failures = _run(tmp_path, docs_sim, text)
    assert [(f.example.line, f.message.splitlines()[0]) for f in failures] == [
        (1, "`ac-segments history 12345` exited 5, expected 0"),
        (
            1,
            "`ac-segments history 12345 --limit 1 | cat   # in bash, with pipefail` exited 5, "
            "expected 0",
        ),
        (15, "`ac-segments latest 4` exited 0, expected 5"),
    ]
    assert "No segment with id" in failures[0].message  # stderr is shown


def test_a_no_run_block_is_skipped(tmp_path: Path, docs_sim: SimulatorHandle) -> None:
    text = """\
<!-- docs: no-run -->
```python
raise SystemExit("this block needs a real warehouse")
```

<!-- docs: no-run -->
```console
$ ac-segments history 12345
```

```python
ran = True
```
"""
    assert _run(tmp_path, docs_sim, text) == []
    examples = collect(text, "page.md")
    assert [(e.kind, e.run) for e in examples] == [
        ("python", False),
        ("console", False),
        ("python", True),
    ]


def test_the_same_blocks_without_markers_fail(tmp_path: Path, docs_sim: SimulatorHandle) -> None:
    # The control for the test above: the skipped blocks are really broken.
    text = """\
```python
raise SystemExit("this block needs a real warehouse")
```
"""
    assert len(_run(tmp_path, docs_sim, text)) == 1


def test_blocks_are_found_where_a_renderer_finds_them() -> None:
    text = """\
1. In a list item:

   ```python
   in_a_list = 1
   ```

~~~python
tilde = 2
~~~

````python
```
four_backticks = 3
````

    indented_code = "not a fenced python block"

```pycon
>>> not_run = 4
```
"""
    examples = collect(text, "page.md")
    assert [(e.line, e.code.strip().splitlines()[-1]) for e in examples] == [
        (3, "in_a_list = 1"),
        (7, "tilde = 2"),
        (11, "four_backticks = 3"),
    ]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("<!-- docs: no-run -->\n\nSome text.\n\n```python\nx = 1\n```\n", "not followed"),
        ("```python\nx = 1\n```\n\n<!-- docs: no-run -->\n", "not followed"),
        ("<!-- docs: skip -->\n```python\nx = 1\n```\n", "unknown docs marker 'skip'"),
    ],
)
def test_a_misplaced_or_misspelt_marker_is_an_error(text: str, problem: str) -> None:
    with pytest.raises(CollectError, match=problem):
        collect(text, "page.md")


def test_the_examples_run_in_the_given_folder_with_the_simulator_settings(
    tmp_path: Path, docs_sim: SimulatorHandle
) -> None:
    text = """\
```python
import os
from pathlib import Path

Path("written-by-the-example.txt").write_text(os.environ["ACTIVECAMPAIGN_API_URL"])
```
"""
    assert _run(tmp_path, docs_sim, text) == []
    assert (tmp_path / "work" / "written-by-the-example.txt").read_text() == docs_sim.base_url
