"""Run the shell examples of docs/ in-process, against the docs' test databases.

A ``console`` block is a session: ``$ command`` lines, each followed by the output it
must print (doctest's ``...`` stands for any text). An ``sh`` block is a list of
commands whose output is not shown. The commands a reader runs against the example
project are the ones run here:

* ``python manage.py NAME ARGS``: ``call_command()``, with what ``manage.py`` prints
  for a ``CommandError``; ``NAME=value`` before it sets an environment variable for
  the command (``DJANGO_SUPERUSER_PASSWORD=...``);
* ``python manage.py runserver``: nothing, since the test Client below stands in for
  the server;
* ``curl [-s] [-i] [-w '%{http_code}'] [-X METHOD] [-H HEADER] [-d DATA] URL``:
  Django's test ``Client``, which serves the request as ``runserver`` would (the
  host is checked against
  ``ALLOWED_HOSTS``); ``$(...)`` is expanded by bash first;
* ``... | grep PATTERN`` keeps the matching lines;
* ``echo $?``: the exit status of the command before.

Any other command fails the example: run it here, or mark the block with
``<!-- skip: next "why it cannot run" -->``.
"""

from __future__ import annotations

import contextlib
import doctest
import io
import os
import re
import shlex
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from sybil import Example

CHECKER = doctest.OutputChecker()
FLAGS = doctest.ELLIPSIS


@dataclass
class Command:
    line: str
    expected: list[str] = field(default_factory=list)


@dataclass
class Result:
    output: str
    status: int = 0


def parse_session(source: str) -> list[Command]:
    """``$ command`` lines (a trailing backslash continues one), each with its output."""
    commands: list[Command] = []
    pending = ""
    for line in source.splitlines():
        if pending:
            pending += " " + line.strip()
        elif line.startswith("$ "):
            pending = line[2:]
        elif commands:
            commands[-1].expected.append(line)
            continue
        elif line.strip():
            raise ValueError(f"output before the first '$ ' command: {line!r}")
        if pending.endswith("\\"):
            pending = pending[:-1].rstrip()
        elif pending:
            commands.append(Command(pending))
            pending = ""
    return commands


def parse_script(source: str) -> list[Command]:
    """Every line that is not blank or a comment is a command; its output is not shown."""
    return [
        Command(line.split("  #")[0].strip())
        for line in source.splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]


def _expand(line: str) -> str:
    """Run each ``$(...)`` in bash, as the reader's shell would."""

    def run(match: re.Match) -> str:
        done = subprocess.run(
            ["bash", "-c", match.group(1)], capture_output=True, text=True, check=True
        )
        return done.stdout.strip()

    return re.sub(r"\$\(([^()]*(?:\([^()]*\)[^()]*)*)\)", run, line)


def manage(args: list[str]) -> Result:
    """``python manage.py ARGS`` as call_command(), printing what manage.py prints."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(*args, stdout=out, stderr=err)
    except CommandError as error:
        err.write(f"CommandError: {error}\n")
        return Result(out.getvalue() + err.getvalue(), error.returncode)
    except SystemExit as exit:
        code = exit.code if isinstance(exit.code, int) else 1
        return Result(out.getvalue() + err.getvalue(), code)
    return Result(out.getvalue() + err.getvalue())


def curl(args: list[str]) -> Result:
    """The curl options the docs use, served by the test Client."""
    method, headers, data, url, include, write_out = None, {}, None, None, False, ""
    words = iter(args)
    for word in words:
        if word == "-s":
            continue
        if word == "-i":
            include = True
        elif word == "-X":
            method = next(words)
        elif word == "-H":
            name, _, value = next(words).partition(":")
            headers[name.strip()] = value.strip()
        elif word == "-w":
            write_out = next(words)
        elif word in ("-d", "--data"):
            data = next(words)
        elif word.startswith("-"):
            raise ValueError(f"curl option {word} is not supported by tests/docs/shell.py")
        else:
            url = word
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    content_type = headers.pop("Content-Type", "application/x-www-form-urlencoded")
    method = method or ("POST" if data is not None else "GET")
    response = Client().generic(
        method,
        path,
        data or "",
        content_type=content_type,
        headers=headers,
        SERVER_NAME=parts.hostname,
        SERVER_PORT=str(parts.port or 80),
    )
    body = response.content.decode()
    if include:
        head = [f"HTTP/1.1 {response.status_code} {response.reason_phrase}"]
        head += [f"{name}: {value}" for name, value in response.items()]
        body = "\n".join(head) + "\n\n" + body
    # -w: what curl writes after the body; only the status code is supported.
    body += write_out.replace("%{http_code}", str(response.status_code)).replace("\\n", "\n")
    return Result(body, 0)


@contextlib.contextmanager
def _environ(values: dict[str, str]) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                del os.environ[name]
            else:
                os.environ[name] = value


def grep(pattern: str, text: str) -> str:
    return "".join(line for line in text.splitlines(True) if re.search(pattern, line))


def run(line: str, last_status: int) -> Result:
    """Run one command line (with ``| grep`` stages)."""
    stages = [shlex.split(stage) for stage in _expand(line).split(" | ")]
    words = stages[0]
    environment = {}
    while words and re.fullmatch(r"[A-Z_]+=.*", words[0]):
        name, _, value = words.pop(0).partition("=")
        environment[name] = value
    if words == ["echo", "$?"]:
        result = Result(f"{last_status}\n")
    elif words[:3] == ["python", "manage.py", "runserver"]:
        result = Result("")
    elif words[:2] == ["python", "manage.py"]:
        with _environ(environment):
            result = manage(words[2:])
    elif words[:1] == ["curl"]:
        result = curl(words[1:])
    else:
        raise ValueError(
            f"tests/docs/shell.py cannot run {line!r}: teach it, or mark the block "
            '<!-- skip: next "why it cannot run" -->'
        )
    for stage in stages[1:]:
        if stage[:1] != ["grep"] or len(stage) != 2:
            raise ValueError(f"only '| grep PATTERN' can follow a command, not {stage}")
        result.output = grep(stage[1], result.output)
    return result


def check(command: Command, result: Result) -> str | None:
    """A failure message when the output is not what the docs show."""
    want = "\n".join(command.expected).rstrip("\n")
    got = result.output.rstrip("\n")
    want_lines = [line.rstrip() for line in want.splitlines()]
    got_lines = [line.rstrip() for line in got.splitlines()]
    want, got = "\n".join(want_lines) + "\n", "\n".join(got_lines) + "\n"
    if CHECKER.check_output(want, got, FLAGS):
        return None
    return f"$ {command.line}\n{CHECKER.output_difference(doctest.Example('', want), got, FLAGS)}"


def evaluate_session(example: Example) -> str | None:
    status = 0
    for command in parse_session(example.parsed):
        result = run(command.line, status)
        status = result.status
        failure = check(command, result)
        if failure:
            return failure
    return None


def evaluate_script(example: Example) -> str | None:
    for command in parse_script(example.parsed):
        result = run(command.line, 0)
        if result.status:
            return f"{command.line!r} exited {result.status}:\n{result.output}"
    return None
