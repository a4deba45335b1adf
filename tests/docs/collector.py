"""Find the code examples of a Markdown page and run them, so a broken example fails a test.

The rules (COMMON.md, "Documentation pages"; docs/contributing.md says the same to writers):

- every ```python block runs, in page order, in one namespace per page;
- in a ```console block every line starting with ``$ ac-segments `` runs and must exit 0, or
  N when the block is preceded by ``<!-- docs: exit=N -->``; other ``$`` lines (make, pip,
  export) and output lines are not run. A line with a pipe or a redirection runs in bash; a
  plain command runs in-process through Typer's test runner (the app the console script
  runs), which saves an interpreter start per line;
- ``<!-- docs: no-run -->`` before a block skips it;
- the literal ``https://ACCOUNT.api-us1.com`` and ``YOUR-API-TOKEN`` are replaced by the URL
  and token of the server the examples run against, which also reach the examples as
  ``ACTIVECAMPAIGN_API_URL`` / ``ACTIVECAMPAIGN_API_KEY``;
- everything runs in a given working directory, so files the examples write land there.

Markdown is parsed with markdown-it-py (CommonMark), so fences inside lists, longer fences
and ``~~~`` fences are found exactly as a renderer finds them.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import re
import shlex
import subprocess
import sys
import traceback
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from activecampaign_segments import _limiter
from markdown_it import MarkdownIt

URL_PLACEHOLDER = "https://ACCOUNT.api-us1.com"
TOKEN_PLACEHOLDER = "YOUR-API-TOKEN"
COMMAND_PREFIX = "$ ac-segments "
PYTHON_LANGUAGES = frozenset({"python", "py"})
CONSOLE_LANGUAGES = frozenset({"console"})
COMMAND_TIMEOUT = 120.0

_MARKER = re.compile(r"<!--\s*docs:\s*(.*?)\s*-->", re.DOTALL)
_EXIT = re.compile(r"exit=(\d+)")
# Characters that make a command line a shell's business rather than a plain argv.
_SHELL_CHARACTERS = frozenset("|&;<>()$`*?~")
_MAY_PRECEDE_BLOCK = frozenset({"bullet_list_open", "ordered_list_open", "list_item_open"})


class CollectError(ValueError):
    """A page whose markers cannot be applied (a typo, or a marker before no code block)."""


@dataclass(frozen=True)
class Example:
    """One runnable code block of a page."""

    page: str  # the page's path as shown in messages
    line: int  # 1-based line of the opening fence
    kind: str  # "python" or "console"
    code: str
    run: bool = True
    exit_status: int = 0

    @property
    def where(self) -> str:
        return f"{self.page}:{self.line}"

    def commands(self) -> list[str]:
        """The ``ac-segments`` command lines of a console block (``\\`` continuations joined)."""
        commands: list[str] = []
        lines = iter(self.code.splitlines())
        for line in lines:
            if not line.startswith(COMMAND_PREFIX):
                continue
            command = line[2:]
            while command.endswith("\\"):
                command = command[:-1] + next(lines, "")
            commands.append(command)
        return commands


@dataclass(frozen=True)
class Failure:
    """An example that did not do what the page promises."""

    example: Example
    message: str

    def __str__(self) -> str:
        return f"{self.example.where}: {self.example.kind} block: {self.message}"


def _marker_options(text: str, where: str) -> tuple[bool, int]:
    """``(run, exit_status)`` from a marker's text (``no-run`` or ``exit=N``)."""
    if text == "no-run":
        return False, 0
    match = _EXIT.fullmatch(text)
    if match:
        return True, int(match.group(1))
    raise CollectError(f"{where}: unknown docs marker {text!r} (expected no-run or exit=N)")


def collect(text: str, page: str) -> list[Example]:
    """The python and console blocks of a Markdown page, with their markers applied."""
    tokens = MarkdownIt("commonmark").parse(text)
    examples: list[Example] = []
    pending: tuple[bool, int, int] | None = None  # run, exit status, marker line
    for token in tokens:
        if token.type == "html_block":
            match = _MARKER.fullmatch(token.content.strip())
            if match:
                line = token.map[0] + 1 if token.map else 0
                run, status = _marker_options(match.group(1), f"{page}:{line}")
                pending = (run, status, line)
                continue
        if token.type in ("fence", "code_block") and token.map is not None:
            language = token.info.split()[0].lower() if token.info.strip() else ""
            run, status = (True, 0) if pending is None else pending[:2]
            pending = None
            if language in PYTHON_LANGUAGES | CONSOLE_LANGUAGES:
                kind = "python" if language in PYTHON_LANGUAGES else "console"
                examples.append(Example(page, token.map[0] + 1, kind, token.content, run, status))
            continue
        # Only the opening tags of a list or list item may sit between a marker and its
        # block; any content in between means the marker is misplaced.
        if pending is not None and token.type not in _MAY_PRECEDE_BLOCK:
            raise CollectError(f"{page}:{pending[2]}: docs marker not followed by a code block")
    if pending is not None:
        raise CollectError(f"{page}:{pending[2]}: docs marker not followed by a code block")
    return examples


def substitute(code: str, base_url: str, token: str) -> str:
    """The example with the URL and token placeholders replaced."""
    return code.replace(URL_PLACEHOLDER, base_url).replace(TOKEN_PLACEHOLDER, token)


@contextlib.contextmanager
def _process_state(env: Mapping[str, str], workdir: Path) -> Iterator[None]:
    """Environment, working directory and root logger as the examples expect, then restored."""
    saved_env = dict(os.environ)
    saved_cwd = Path.cwd()
    root = logging.getLogger()
    saved_handlers, saved_level = list(root.handlers), root.level
    for name in [k for k in os.environ if k.startswith("ACTIVECAMPAIGN_")]:
        del os.environ[name]  # the reader's own settings (another account, a store path)
    os.environ.update(env)
    os.chdir(workdir)
    try:
        yield
    finally:
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_env)
        # An example's logging.basicConfig() must not outlive the page.
        root.handlers[:] = saved_handlers
        root.setLevel(saved_level)


def _run_python(example: Example, code: str, namespace: dict[str, object]) -> str | None:
    """Execute one python block; the error (traceback from the example's frames) or None."""
    try:
        compiled = compile(code, example.where, "exec")
        exec(compiled, namespace)  # running the docs' examples is the point
    except SystemExit as exc:
        if exc.code in (None, 0):
            return None
        return f"SystemExit({exc.code!r})"
    except Exception as exc:
        frames = traceback.extract_tb(exc.__traceback__)
        own = [f for f in frames if f.filename == example.where] or frames[-1:]
        where = ", ".join(f"line {f.lineno}" for f in own)
        return f"{type(exc).__name__}: {exc} (block {where})\n" + "".join(
            traceback.format_exception(exc)
        )
    return None


def _shell_env(env: Mapping[str, str]) -> dict[str, str]:
    # The user's own ActiveCampaign settings (another account, a store path) must not
    # leak into the examples; the interpreter's bin folder puts `ac-segments` on PATH.
    base = {k: v for k, v in os.environ.items() if not k.startswith("ACTIVECAMPAIGN_")}
    base.update(env)
    base["PATH"] = str(Path(sys.executable).parent) + os.pathsep + base.get("PATH", "")
    return base


def _needs_shell(command: str) -> bool:
    """Whether a command line uses the shell (a pipe, a redirection, a variable, ...)."""
    try:
        words = shlex.split(command, comments=True)
    except ValueError:
        return True
    return any(char in command for char in _SHELL_CHARACTERS) or not words


def _run_in_shell(command: str, env: Mapping[str, str], workdir: Path) -> tuple[int, str, str]:
    done = subprocess.run(
        ["bash", "-o", "pipefail", "-c", command],
        cwd=workdir,
        env=_shell_env(env),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT,
        check=False,
    )
    return done.returncode, done.stdout, done.stderr


def _run_in_process(command: str, env: Mapping[str, str], workdir: Path) -> tuple[int, str, str]:
    # The same Typer app the console script runs, without starting an interpreter per line
    # (about a second each, most of it imports).
    from activecampaign_segments.cli import app
    from typer.testing import CliRunner

    args = shlex.split(command, comments=True)[1:]  # without "ac-segments"
    with _process_state(env, workdir):
        result = CliRunner().invoke(app, args, prog_name="ac-segments", input="")
    stderr = result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        stderr += "".join(traceback.format_exception(result.exception))
    return result.exit_code, result.stdout, stderr


def _run_console(example: Example, env: Mapping[str, str], workdir: Path) -> list[str]:
    """Run each ``ac-segments`` line of a console block; one problem string per bad command.

    A line that needs a shell runs in bash (with pipefail, so a failing ``ac-segments`` in a
    pipe counts); a plain command runs in-process through Typer's test runner.
    """
    problems: list[str] = []
    for command in example.commands():
        try:
            if _needs_shell(command):
                status, stdout, stderr = _run_in_shell(command, env, workdir)
            else:
                status, stdout, stderr = _run_in_process(command, env, workdir)
        except subprocess.TimeoutExpired:
            problems.append(f"`{command}` did not finish in {COMMAND_TIMEOUT:.0f} s")
            continue
        if status != example.exit_status:
            problems.append(
                f"`{command}` exited {status}, expected {example.exit_status}\n"
                f"stdout: {stdout[-2000:]}\nstderr: {stderr[-2000:]}"
            )
    return problems


def run_page(
    path: Path, *, base_url: str, token: str, workdir: Path, page: str | None = None
) -> list[Failure]:
    """Run every runnable example of the page at ``path``; the failures, in page order.

    Python blocks share one namespace; the first failing python block ends the page's
    python run (later blocks build on it), console blocks all run.
    """
    name = page or path.as_posix()
    examples = collect(path.read_text(encoding="utf-8"), name)
    with _fresh_rate_limiters():
        return _run_examples(examples, base_url=base_url, token=token, workdir=workdir)


@contextlib.contextmanager
def _fresh_rate_limiters() -> Iterator[None]:
    """Each page starts with the process-wide rate limiters of a fresh process.

    A reader runs each page as a program of its own; without this, an example that lowers
    the shared per-host rate (``--rps 2``) would slow every page after it.
    """
    with _limiter._registry_lock:
        saved = dict(_limiter._registry)
        _limiter._registry.clear()
    try:
        yield
    finally:
        with _limiter._registry_lock:
            _limiter._registry.clear()
            _limiter._registry.update(saved)


def _run_examples(
    examples: list[Example], *, base_url: str, token: str, workdir: Path
) -> list[Failure]:
    env = {
        "ACTIVECAMPAIGN_API_URL": base_url,
        "ACTIVECAMPAIGN_API_KEY": token,
        # The dlt page's pipelines: no telemetry, and dlt's own folders in the page's
        # temp folder rather than the reader's ~/.dlt (or /var/dlt as root).
        "RUNTIME__DLTHUB_TELEMETRY": "false",
        "DLT_DATA_DIR": str(workdir / ".dlt-data"),
        "DLT_PROJECT_DIR": str(workdir),
    }
    namespace: dict[str, object] = {"__name__": "__main__"}
    failures: list[Failure] = []
    python_broken = False
    for example in examples:
        if not example.run:
            continue
        code = substitute(example.code, base_url, token)
        if example.kind == "python":
            if python_broken:
                continue
            with _process_state(env, workdir):
                problem = _run_python(example, code, namespace)
            if problem is not None:
                failures.append(Failure(example, problem))
                python_broken = True
        else:
            substituted = dataclasses.replace(example, code=code)
            failures += [Failure(example, p) for p in _run_console(substituted, env, workdir)]
    return failures
