"""`campaignbot demo`: the real bot in the terminal — no token, no network.

The real Application runs in polling mode against the embedded Bot API
stand-in and a SQLite file; this module plays the Telegram client: what you
type is sent as a message, the bot's replies are printed with their buttons
numbered, and typing a number presses that button.
"""

from __future__ import annotations

import asyncio
import locale
import os
import re
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from importlib import resources
from pathlib import Path
from typing import TextIO

from aiohttp import web

from bot.app import build_application, start_polling, stop_polling
from bot.cli import configure_logging, load_settings
from bot.context import RUNTIME_KEY, Runtime
from bot.db.migrate import upgrade
from bot.services import fx
from bot.telegram_stub import BotApiStub, StubMessage, User
from bot.telegram_stub.world import Chat

DEMO_TOKEN = "1000001:DEMO-TOKEN-NOT-FOR-TELEGRAM"
HELP = """\
Type a message or a command (/start, /help …) as you would in Telegram.
  <number>      press button <number> of the bot's last message
  :group        switch to the group chat "Demo team" (you are its admin; Li is a member)
  :private      back to your private chat with the bot
  :as li|me     act as your colleague Li, or as yourself again
  :file PATH    send a file (e.g. a CSV of SKUs) to the current chat
  :help         this help          :quit   leave (Ctrl-D works too)
Exchange rates in the demo are a bundled sample of the ECB's feed, not live rates.
"""


def _client_language() -> str:
    """The terminal's language, the way a Telegram client would report it."""
    raw = os.environ.get("LC_ALL") or os.environ.get("LANG") or (locale.getlocale()[0] or "en")
    return raw.split(".")[0].replace("_", "-").lower() or "en"


class TerminalChat:
    def __init__(self, stub: BotApiStub, out: TextIO, downloads: Path) -> None:
        self.stub = stub
        self.out = out
        self.downloads = downloads
        self.me = stub.create_user("You", language_code=_client_language(), username="you")
        self.li = stub.create_user("Li", language_code="zh-hans", username="li")
        self.actor: User = self.me
        self.group: Chat | None = None
        self.chat: Chat | User = self.me
        self.last_with_buttons: StubMessage | None = None
        self.seen_versions: dict[tuple[int, int], int] = {}

    def where(self) -> str:
        place = "Demo team" if self.chat is self.group else "private"
        return f"[{self.actor.first_name} @ {place}]"

    async def handle(self, line: str) -> bool:
        """Act on one line of input; False to quit."""
        line = line.strip()
        if not line:
            return True
        if line in (":quit", ":q", ":exit"):
            return False
        if line == ":help":
            self.out.write(HELP)
        elif line == ":group":
            self.chat = self._demo_group()
            self.out.write("Now in the group chat “Demo team”.\n")
        elif line == ":private":
            self.chat = self.actor
            self.out.write("Now in your private chat with the bot.\n")
        elif line.startswith(":as "):
            self.actor = self.li if line.split()[1].lower() == "li" else self.me
            if self.chat is not self.group:
                self.chat = self.actor
            self.out.write(f"You are now {self.actor.first_name}.\n")
        elif line.startswith(":file "):
            path = Path(line[6:].strip())
            try:
                content = await asyncio.to_thread(lambda: path.expanduser().read_bytes())
            except OSError as exc:
                self.out.write(f"Cannot read {path}: {exc.strerror}\n")
                return True
            self.stub.send_document(
                self.actor, filename=path.name, content=content, chat=self._chat_arg()
            )
        elif line.isdigit() and self.last_with_buttons is not None:
            self._press(int(line))
        else:
            self.stub.send_message(self.actor, line, chat=self._chat_arg())
        await self.show_new_activity()
        return True

    def _chat_arg(self) -> Chat | None:
        return self.group if self.chat is self.group else None

    def _demo_group(self) -> Chat:
        if self.group is None:
            self.group = self.stub.create_group(
                "Demo team", members=[self.me, self.li], admins=[self.me]
            )
            self.stub.add_bot_to_group(self.group, by=self.me)
        return self.group

    def _press(self, number: int) -> None:
        assert self.last_with_buttons is not None
        buttons = [b for row in self.last_with_buttons.buttons for b in row]
        if not 1 <= number <= len(buttons):
            self.out.write(f"There is no button {number}.\n")
            return
        self.stub.press_button(self.actor, self.last_with_buttons, text=buttons[number - 1].text)

    async def show_new_activity(self, quiet_for: float = 0.6, at_most: float = 8.0) -> None:
        """Print new and edited bot messages until the bot has been quiet for a moment."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + at_most
        quiet_since = loop.time()
        while loop.time() < deadline:
            if self._print_changes():
                quiet_since = loop.time()
            elif loop.time() - quiet_since >= quiet_for:
                return
            await asyncio.sleep(0.05)

    def _print_changes(self) -> bool:
        changed = False
        chats = [self.me, self.li] + ([self.group] if self.group else [])
        for chat in chats:
            for message in self.stub.messages(chat):
                key = (message.chat_id, message.message_id)
                if self.seen_versions.get(key) == message.version or message.deleted:
                    continue
                self.seen_versions[key] = message.version
                self._print(message, chat)
                changed = True
        return changed

    def _print(self, message: StubMessage, chat: Chat | User) -> None:
        label = "Demo team" if isinstance(chat, Chat) else f"{chat.first_name} (private)"
        edited = " (edited)" if message.edited else ""
        self.out.write(f"\n🤖 bot → {label}{edited}:\n{message.text}\n")
        if message.document is not None:
            self.downloads.mkdir(parents=True, exist_ok=True)
            target = self.downloads / (message.document.file_name or "file.bin")
            target.write_bytes(message.document.content)
            self.out.write(f"📎 {target}\n")
        buttons = [b for row in message.buttons for b in row]
        if buttons:
            self.last_with_buttons = message
            self.out.write("   " + "   ".join(f"[{i}] {b.text}" for i, b in enumerate(buttons, 1)))
            self.out.write("\n")
        self.out.flush()


@asynccontextmanager
async def sample_fx_feed() -> AsyncIterator[str]:
    """Serve the bundled ECB sample on loopback (the demo has no network), dated today
    so it is not shown as stale."""
    sample = resources.files("bot.demo_data").joinpath("ecb-sample.xml").read_text("utf-8")
    today = date.today().isoformat()  # noqa: DTZ011 - the feed's date is a calendar day
    body = re.sub(r"time='\d{4}-\d{2}-\d{2}'", f"time='{today}'", sample)

    async def feed(_request: web.Request) -> web.Response:
        return web.Response(text=body, content_type="text/xml")

    app = web.Application()
    app.router.add_get("/eurofxref-daily.xml", feed)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}/eurofxref-daily.xml"
    finally:
        await runner.cleanup()


async def _demo(fresh: bool, stdin: TextIO, out: TextIO) -> None:
    settings = load_settings(bot_token=DEMO_TOKEN)
    db_path = (settings.data_dir / "demo.sqlite3").resolve()
    if fresh and db_path.exists():
        db_path.unlink()
    async with (
        # one person typing: no flood limits (the tests exercise those), so replies are
        # never held back behind a retry_after while the terminal waits for them
        BotApiStub(
            token=DEMO_TOKEN, bot_username="CampaignPlannerDemoBot", rate_limits=False
        ) as stub,
        sample_fx_feed() as ecb_url,
    ):
        settings = load_settings(
            ecb_url=ecb_url,
            bot_token=DEMO_TOKEN,
            database_url=f"sqlite+aiosqlite:///{db_path}",
            bot_api_base_url=stub.base_url,
            bot_api_file_url=stub.base_file_url,
            log_level="WARNING",
        )
        settings.ensure_data_dir()
        await asyncio.to_thread(upgrade, settings.database_url)
        application = build_application(settings)
        runtime: Runtime = application.bot_data[RUNTIME_KEY]
        await fx.refresh(runtime.uow_factory, ecb_url, runtime.clock.now(), recheck=False)
        await start_polling(application, poll_timeout=5)
        terminal = TerminalChat(stub, out, settings.data_dir / "demo-downloads")
        out.write(f"Campaign planner demo — data in {db_path}\n{HELP}\nTry /start\n")
        out.flush()
        try:
            loop = asyncio.get_running_loop()
            while True:
                out.write(f"{terminal.where()} > ")
                out.flush()
                line = await loop.run_in_executor(None, stdin.readline)
                if not line or not await terminal.handle(line):
                    break
        finally:
            await stop_polling(application)
    out.write("\nBye.\n")


def run_demo(fresh: bool = False, stdin: TextIO | None = None, out: TextIO | None = None) -> int:
    configure_logging(load_settings(log_level="WARNING", bot_token=DEMO_TOKEN))
    try:
        asyncio.run(_demo(fresh, stdin or sys.stdin, out or sys.stdout))
    except KeyboardInterrupt:
        print("\nBye.")
    return 0
