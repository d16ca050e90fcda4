"""The terminal's two ends: reading what the person types, showing what arrives.

In a terminal, prompt_toolkit reads the line (history, ↑, completion of commands)
and ``patch_stdout`` lets a message that arrives meanwhile print above the prompt
without mangling the half-typed line. Anywhere else (a pipe, a test) a plain
line reader does, echoing each line after its prompt so the output reads as a
transcript; messages still print the moment they arrive.
"""

from __future__ import annotations

import asyncio
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Protocol, TextIO

from prompt_toolkit import PromptSession
from prompt_toolkit.completion import CompleteEvent, Completer, Completion
from prompt_toolkit.document import Document
from prompt_toolkit.history import FileHistory, InMemoryHistory
from prompt_toolkit.patch_stdout import patch_stdout


class Console(Protocol):
    ansi: bool
    interactive: bool  # a person at a terminal (else: wait for the bot after each line)

    def running(self) -> AbstractContextManager[None]: ...

    def show(self, text: str) -> None: ...

    async def read(self, prompt: str) -> str | None:
        """The next line, or None when the input ends (EOF, Ctrl-D, Ctrl-C)."""
        ...


class PlainConsole:
    """Lines from any text stream; output to another, flushed at once."""

    interactive = False

    def __init__(self, stdin: TextIO, out: TextIO, *, ansi: bool = False) -> None:
        self.stdin = stdin
        self.out = out
        self.ansi = ansi
        self._lines: asyncio.Queue[str | None] | None = None

    def running(self) -> AbstractContextManager[None]:
        return nullcontext()

    def show(self, text: str) -> None:
        self.out.write(text + "\n")
        self.out.flush()

    async def read(self, prompt: str) -> str | None:
        if self._lines is None:
            self._lines = asyncio.Queue()
            self._start_reader(asyncio.get_running_loop(), self._lines)
        line = await self._lines.get()
        if line is None:
            return None
        self.show(f"{prompt}{line.rstrip(chr(10))}")
        return line

    def _start_reader(
        self, loop: asyncio.AbstractEventLoop, lines: asyncio.Queue[str | None]
    ) -> None:
        # A daemon thread: a read blocked on an idle pipe never holds up the exit.
        def pump() -> None:
            while True:
                try:
                    line = self.stdin.readline()
                except (OSError, ValueError):
                    line = ""
                loop.call_soon_threadsafe(lines.put_nowait, line or None)
                if not line:
                    return

        threading.Thread(target=pump, name="demo-stdin", daemon=True).start()


class CommandCompleter(Completer):
    """Completes the first word: the bot's command menu and the demo's own commands."""

    def __init__(self) -> None:
        self.words: Callable[[], Iterable[str]] = tuple

    def get_completions(
        self, document: Document, complete_event: CompleteEvent
    ) -> Iterator[Completion]:
        text = document.text_before_cursor
        if not text.startswith(("/", ":")) or " " in text:
            return
        for word in self.words():
            if word.startswith(text) and word != text:
                yield Completion(word, start_position=-len(text))


class PromptConsole:
    """A person at a terminal: prompt_toolkit's line editor, output printed above it."""

    interactive = True

    def __init__(self, *, history: Path | None, ansi: bool = True) -> None:
        self.ansi = ansi
        self.completer = CommandCompleter()
        self.session: PromptSession[str] = PromptSession(
            history=FileHistory(str(history)) if history else InMemoryHistory(),
            completer=self.completer,
            complete_while_typing=True,
        )

    def complete_with(self, words: Callable[[], Iterable[str]]) -> None:
        """Where completions come from (the bot's command menu, the demo's commands)."""
        self.completer.words = words

    @contextmanager
    def running(self) -> Iterator[None]:
        with patch_stdout(raw=True):  # raw: our ANSI styles pass through
            yield

    def show(self, text: str) -> None:
        sys.stdout.write(text + "\n")  # the patched stdout: above the prompt
        sys.stdout.flush()

    async def read(self, prompt: str) -> str | None:
        try:
            return await self.session.prompt_async(prompt)
        except (EOFError, KeyboardInterrupt):
            return None
