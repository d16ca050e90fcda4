"""`campaignbot demo`, driven as a person would: a real process, its stdin and stdout —
through a pipe, and through a pseudo-terminal (prompt_toolkit's line editor).

Buttons show as ``[#1 English]`` and only ``#N`` presses one; a button that is gone is
answered, not fatal; callback answers show as toasts and alerts; notices print as they
arrive, while nobody types; logs go to data/demo.log; ``--sample`` gives a team to try.
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import struct
import subprocess
import sys
import termios
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from bot.demo.chat import HELP
from bot.i18n import Translator

ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[=>]")
CPR_REQUEST = b"\x1b[6n"  # prompt_toolkit asks where the cursor is; a terminal answers


class DemoProcess:
    """`python -m bot demo …` with its input and output, read as they come."""

    def __init__(self, cwd: Path, *args: str, lang: str = "en_US.UTF-8", tty: bool = False):
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("BOT_", "DATABASE_", "LC_", "LANG", "LOG_"))
        }
        env.update({"DATA_DIR": str(cwd / "data"), "LANG": lang, "PYTHONUNBUFFERED": "1"})
        command = [sys.executable, "-m", "bot", "demo", *args]
        self.tty = tty
        self._output = bytearray()
        self._lock = threading.Lock()
        self._cursor = 0
        if tty:
            master, slave = pty.openpty()
            fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 160, 0, 0))
            env["TERM"] = "xterm-256color"
            self.process = subprocess.Popen(
                command, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=cwd
            )
            os.close(slave)
            self._fd = master
        else:
            self.process = subprocess.Popen(
                command,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=cwd,
            )
            assert self.process.stdout is not None
            self._fd = self.process.stdout.fileno()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        while True:
            try:
                chunk = os.read(self._fd, 65536)
            except OSError:
                return
            if not chunk:
                return
            if self.tty and CPR_REQUEST in chunk:
                os.write(self._fd, b"\x1b[1;1R")
            with self._lock:
                self._output.extend(chunk)

    @property
    def raw(self) -> str:
        with self._lock:
            return self._output.decode("utf-8", "replace")

    @property
    def text(self) -> str:
        """What a person reads: terminal control sequences and carriage returns removed."""
        return ANSI.sub("", self.raw).replace("\r", "")

    def type(self, keys: str) -> None:
        if self.tty:
            os.write(self._fd, keys.encode())
        else:
            assert self.process.stdin is not None
            self.process.stdin.write(keys.encode())
            self.process.stdin.flush()

    def send(self, line: str) -> None:
        self.type(line + ("\r" if self.tty else "\n"))

    def expect(self, pattern: str, timeout: float = 30.0) -> str:
        """Wait for ``pattern`` (a regex) after what was already expected; returns the
        output from there to the end of the match."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            text = self.text
            found = regex.search(text, self._cursor)
            if found is not None:
                seen, self._cursor = text[self._cursor : found.end()], found.end()
                return seen
            if time.monotonic() > deadline or self.process.poll() is not None:
                time.sleep(0.3)  # the last words of a process that ended
                if regex.search(self.text, self._cursor) is None:
                    exit_code = self.process.poll()
                    raise AssertionError(
                        f"{pattern!r} not in the demo's output (exit code {exit_code}):\n"
                        + self.text[self._cursor :][-4000:]
                    )

    def button(self, label: str) -> str:
        """``#N`` for the button labelled ``label`` in the output so far."""
        found = re.findall(rf"\[#(\d+) {re.escape(label)}\]", self.text[: self._cursor])
        assert found, f"no button {label!r} shown"
        return f"#{found[-1]}"

    def quit(self) -> int:
        self.send(":quit")
        return self.process.wait(60)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        if self.tty:
            os.close(self._fd)


@pytest.fixture
def demo(tmp_path: Path):  # type: ignore[no-untyped-def]
    started: list[DemoProcess] = []

    def start(*args: str, **kwargs: object) -> DemoProcess:
        process = DemoProcess(tmp_path, *args, **kwargs)  # type: ignore[arg-type]
        started.append(process)
        return process

    yield start
    for process in started:
        process.close()


def no_logs_in(text: str) -> None:
    assert "Traceback" not in text
    assert not re.search(r"\b(WARNING|ERROR|INFO)\b", text), text[-2000:]


def test_demo_talks_to_the_real_bot_in_the_terminal(demo, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    de = Translator("de")
    chat = demo("--fresh", lang="de_DE.UTF-8")
    banner = chat.expect(re.escape(de("Try /start")), 90)
    # the Mini App's address, signed for the demo user, is printed in the terminal's language
    mini_app = re.search(r"(http://127\.0\.0\.1:\d+/miniapp\S*#tgWebAppData=\S+)", banner)
    assert mini_app is not None, banner
    assert "Mini App" in banner and "Browser" in banner
    assert httpx.get(mini_app.group(1), timeout=30).status_code == 200
    assert de(HELP, log="").splitlines()[1] in banner  # "#N … [#1 English]", in German
    chat.send("/start")
    chat.expect("Willkommen")  # the terminal's language (de) reached the bot
    chat.expect(r"\[#1 English\] \[#2 简体中文\]")  # buttons show their number
    chat.send("#1")
    chat.expect(re.escape(de("edited")))  # pressing #1 chose English and moved on
    chat.expect("Which time zone should I use")
    chat.send("/fx")
    chat.expect("1 CNY = .* ECB")  # the bundled sample feed, served locally
    chat.send(":group")
    joined = de(
        "Now in the group chat “{title}” (you are its admin; Li is a member). "
        "Write commands as /help or /help@{bot}.",
        title="Demo team",
        bot="CampaignPlannerDemoBot",
    )
    assert joined.startswith("Jetzt im Gruppenchat")  # the demo speaks the terminal's language
    chat.expect(re.escape(joined))
    chat.send("/help@CampaignPlannerDemoBot")
    shown = chat.expect("/newcampaign")
    assert de("group “{title}”", title="Demo team") in shown  # which chat it is in
    # the web side (health, metrics, Mini App) runs beside the chat, its address in the log
    listening = re.search(
        r"web side listening on (http://\S+)", (tmp_path / "data" / "demo.log").read_text()
    )
    assert listening is not None
    assert httpx.get(f"{listening.group(1)}/healthz", timeout=30).status_code == 200
    assert chat.quit() == 0
    no_logs_in(chat.text)
    assert (tmp_path / "data" / "demo.sqlite3").exists()
    assert "bot @CampaignPlannerDemoBot ready" in (tmp_path / "data" / "demo.log").read_text()


def test_sample_team_buttons_toasts_alerts_and_stale_buttons(demo, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    chat = demo("--fresh", "--sample")
    chat.expect("Sample team “Sample shop” loaded: channel temu-us-semi, 20 SKUs, campaign #1", 120)
    chat.expect(r"Try /floor TM-001, /plan 1")
    chat.send(":sample")  # idempotent: nothing is added twice
    chat.expect("The sample team “Sample shop” is already there: campaign #1 “Black Friday”")
    # onboarding afterwards keeps the sample team active
    chat.send("/start")
    chat.expect(r"\[#1 ✅ English\]")
    chat.send("#1")
    chat.expect(r"\[#12 Coordinated Universal Time\]")
    chat.send("#12")
    chat.expect(r"\[#1 CNY\]")
    chat.send("#1")
    chat.expect(r"\[#3 20%\]")
    chat.send("20")  # text, not button #20
    chat.expect("Target margin: 20%")

    chat.send("/floor TM-001")
    card = chat.expect("Deepest discount")
    assert "Floor TM-001 · Insulated tumbler 600 ml" in card and "Fulfilment fee: $3.20" in card
    chat.send("/plan 1")
    plan = chat.expect(r"plan-1-black-friday\.csv")
    assert "Plan: Black Friday · #1" in plan and "Enrolled: 15 SKUs" in plan
    assert (tmp_path / "data" / "demo-downloads" / "plan-1-black-friday.xlsx").exists()

    chat.send("/voucher 1 value=3")
    chat.expect(r"A \$3\.00 voucher is safe from orders of \$\d+\.\d\d")
    chat.expect(r"\[#\d+ 💾 Save on the campaign\]")
    chat.send(chat.button("💾 Save on the campaign"))
    chat.expect("⚡ toast: Saved.")  # the callback answer, as Telegram's toast

    # a press on buttons that are gone is answered, and the demo goes on
    chat.send("/sku del TM-020")
    chat.expect(r"\[#1 🗑 Delete\] \[#2 Cancel\]")
    chat.send("#2")
    chat.expect("Nothing was deleted.")
    chat.send("#1")
    chat.expect("This button is no longer available.")
    chat.send("#9")
    chat.expect("This button is no longer available.")

    # a bare number is text: "5" at the minimum-discount question is 5 %, not button #5
    chat.send("/newcampaign")
    chat.expect(r"\[#2 Blank\]")
    chat.send("#2")
    chat.expect(r"\[#1 temu-us-semi\]")
    chat.send("#1")
    chat.expect("campaign's name")
    chat.send("Spring sale")
    # the team keeps UTC, the market New York time: which zone?
    chat.expect(r"\[#1 Market: United States \(New York\) Time\]")
    chat.send("#1")
    for answer in ("2027-03-01", "2027-03-10", "2027-03-15"):
        chat.send(answer)
    chat.expect(r"\[#5 30%\]")
    chat.send("5")
    chat.expect("Which price is the discount measured from")
    chat.send("#1")
    chat.expect(r"\[#1 No subsidy\]")
    chat.send("#1")
    chat.expect(r"Which target margin .*\n.*\n.*\[#4 20%\]")
    chat.send("20")
    summary = chat.expect(r"Target margin: .*")
    assert "Minimum discount: 5% off the list price" in summary, summary
    assert "Target margin: 20% (this campaign)" in summary
    chat.send("/cancel")
    chat.expect("Cancelled.")
    chat.send("#1")  # the flow's last keyboard: the bot refuses it with an alert
    chat.expect("⚠ alert: This button is no longer valid.")

    # Li is a viewer of the sample team: her card offers no edit or delete, and a typed
    # delete is refused
    chat.send(":as li")
    chat.expect("You are now Li.")
    chat.send("/campaign 1")
    card = chat.expect(r"\[#\d+ 📤 导出\]")
    assert "编辑" not in card and "🗑" not in card, card
    chat.send("/campaign 1 delete")
    chat.expect("此操作需要")

    chat.send(":as me")
    chat.send("/campaign 1 delete")
    chat.expect(r"\[#1 🗑 Yes, delete\]")
    chat.send("#1")
    chat.expect("Deleted the campaign Black Friday.")
    chat.send("#1")
    chat.expect("This button is no longer available.")
    chat.send(":file no-such-file.csv")
    chat.expect("Cannot read no-such-file.csv")
    chat.send(":file")
    chat.expect("Write it like this: :file skus.csv")
    chat.send(":bogus")
    chat.expect("Unknown demo command “:bogus”")
    chat.send("/help")
    chat.expect("/cancel leaves any guided step")  # still talking to the bot
    assert chat.quit() == 0

    no_logs_in(chat.text)
    assert "rejected callback data" not in chat.text
    log = (tmp_path / "data" / "demo.log").read_text()
    assert "WARNING bot.handlers.errors: rejected callback data" in log


@pytest.mark.parametrize("tty", [False, True], ids=["pipe", "terminal"])
def test_a_notice_prints_while_nobody_types(demo, tty: bool) -> None:  # type: ignore[no-untyped-def]
    chat = demo("--fresh", tty=tty)
    chat.expect("Try /start", 90)
    chat.send("/channel add temu-us-semi")
    chat.expect("Channel temu-us-semi added")
    chat.send("/reminders deadline=off start=0 end=off summary=off")
    chat.expect("Nothing is queued")
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=12)
    end = start + timedelta(days=2)
    chat.send(
        f"/newcampaign name=Flash channel=temu-us-semi start={start:%Y-%m-%dT%H:%M:%S} "
        f"end={end:%Y-%m-%dT%H:%M:%S} tz=UTC"
    )
    chat.expect("Campaign created")
    if tty:
        chat.expect("private chat >")
        chat.type("/hel")  # half a line typed when the notice arrives
    before_notice = len(chat.raw)
    notice = chat.expect(r"🚀 Flash \(temu-us-semi\) has started", 60)
    assert datetime.now(UTC) >= start  # it came when due, with no input in between
    assert "🤖 private chat · You" in notice
    if tty:  # styled for the terminal: the header in bold magenta
        assert "\x1b[1;35m🤖 private chat · You" in chat.raw[before_notice:]
        chat.send("p")  # the half-typed line was kept: this sends "/help"
        chat.expect("/cancel leaves any guided step")
    else:  # plain text for a pipe
        assert "\x1b[" not in chat.raw
    assert chat.quit() == 0
    no_logs_in(chat.text)
