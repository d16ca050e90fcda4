"""The terminal chat: a Telegram client for two people (you and your colleague Li)
and one group, played in a terminal against the stand-in.

What you type goes to the bot as a message, except ``#N`` (press button N of the
last message with buttons in this chat) and the demo's own ``:commands``. A
background task prints every new, edited or deleted bot message and every
callback answer the moment it arrives — in the chats the current person can see;
another person's private messages wait until you switch to them. No exception
ends the chat: it is reported in one line (details in the log) and the chat goes on.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable, Iterable
from datetime import date
from pathlib import Path

from bot.db.uow import UnitOfWorkFactory
from bot.demo.console import Console
from bot.demo.render import Place, inline_buttons, render_answer, render_message
from bot.demo.sample import SampleError, SampleLoader, SampleReport
from bot.domain.errors import N_
from bot.i18n import Translator
from bot.telegram_stub import BotApiStub, DriverError, StubMessage, User
from bot.telegram_stub.world import Chat

log = logging.getLogger(__name__)

GROUP_TITLE = "Demo team"
PRESS = re.compile(r"#\s*(\d{1,4})")
DEMO_COMMAND = re.compile(r":([A-Za-z]+)\b\s*(.*)", re.DOTALL)
USAGE = {"as": ":as li | :as me", "file": ":file skus.csv"}
DEMO_WORDS = (":group", ":private", ":as li", ":as me", ":file ", ":sample", ":help", ":quit")
HELP = N_(
    "Type messages and commands (/start, /help …) as you would in Telegram.\n"
    "  #N          press button N of the last message with buttons: [#1 English]\n"
    "  :group      go to the group chat “Demo team” (you are its admin; Li is a member)\n"
    "  :private    back to the private chat with the bot\n"
    "  :as li|me   act as your colleague Li, or as yourself again\n"
    "  :file PATH  send a file (a CSV or XLSX of SKUs) to this chat\n"
    "  :sample     load the sample team: a channel, 20 SKUs, a Black Friday campaign\n"
    "  :help       this help          :quit  leave (Ctrl-D too)\n"
    "Messages appear as they arrive; ⚡ marks a toast, ⚠ an alert. Exchange rates are a "
    "bundled sample of the ECB's feed. Logs: {log}"
)


class TerminalChat:
    def __init__(
        self,
        stub: BotApiStub,
        console: Console,
        translator: Translator,
        *,
        downloads: Path,
        log_path: Path,
        uow_factory: UnitOfWorkFactory,
        today: Callable[[], date],
        client_language: str,
    ) -> None:
        self.stub = stub
        self.console = console
        self._ = translator
        self.downloads = downloads
        self.log_path = log_path
        self.uow_factory = uow_factory
        self.today = today
        self.me = stub.create_user("You", language_code=client_language, username="you")
        self.li = stub.create_user("Li", language_code="zh-hans", username="li")
        self.actor: User = self.me
        self.group: Chat | None = None
        self.in_group = False
        self.keyboards: dict[int, int] = {}  # chat id → last message shown with buttons
        self.held: dict[int, dict[int, StubMessage]] = {}  # other people's private chats
        self.muted: set[int] = set()  # chats whose messages are not shown (sample loading)
        self.quiet_queries: set[str] = set()  # presses whose answers are not shown
        self._answers_seen = 0
        self._inbox: list[StubMessage] = []  # changes taken from the stub, not yet shown

    # -- where we are ------------------------------------------------------------------------

    def current_chat(self) -> Chat:
        if self.in_group and self.group is not None:
            return self.group
        return self.stub.private_chat(self.actor)

    def prompt(self) -> str:
        _ = self._
        place = _("group “{title}”", title=GROUP_TITLE) if self.in_group else _("private chat")
        return f"{self.actor.first_name} › {place} > "

    def completions(self) -> Iterable[str]:
        group = self.group if self.in_group else None
        commands = [f"/{name}" for name, _text in self.stub.menu_for(self.actor, group)]
        return [*commands, *DEMO_WORDS]

    def visible(self, chat_id: int) -> bool:
        if self.group is not None and chat_id == self.group.id:
            return True
        return chat_id == self.stub.private_chat(self.actor).id

    def place(self, chat_id: int, thread_id: int | None) -> Place:
        chat = self.stub.chat(chat_id)
        if not chat.is_group:
            return Place("private", chat.user.first_name if chat.user else str(chat_id))
        topic = chat.topics.get(thread_id) if chat.is_forum and thread_id else None
        return Place("group", chat.title or str(chat_id), topic)

    # -- input ---------------------------------------------------------------------------------

    async def handle(self, line: str) -> bool:
        """Act on one line of input; False to leave. Never raises."""
        text = line.strip()
        if not text:
            return True
        try:
            command = DEMO_COMMAND.fullmatch(text)
            if command is not None:
                return await self._demo_command(command.group(1).lower(), command.group(2))
            press = PRESS.fullmatch(text)
            if press is not None:
                self._press(int(press.group(1)))
            else:
                self.stub.send_message(self.actor, text, chat=self._group_arg())
        except Exception as exc:
            self.report(exc)
        return True

    async def _demo_command(self, name: str, rest: str) -> bool:
        _ = self._
        if name in ("quit", "q", "exit"):
            return False
        if name == "help":
            self.say(_(HELP, log=self.log_path))
        elif name == "group":
            self.in_group = True
            self._join_group()
            self.say(
                _(
                    "Now in the group chat “{title}” (you are its admin; Li is a member). "
                    "Write commands as /help or /help@{bot}.",
                    title=GROUP_TITLE,
                    bot=self.stub.bot_username,
                )
            )
        elif name == "private":
            self.in_group = False
            self.say(_("Now in the private chat with the bot."))
        elif name == "as" and rest.strip().lower() in ("li", "me", "you"):
            self.actor = self.li if rest.strip().lower() == "li" else self.me
            if self.actor is self.me:
                self.say(_("You are yourself again."))
            else:
                self.say(_("You are now {name}.", name=self.actor.first_name))
            self._show_held()
        elif name == "file" and rest.strip():
            await self._send_file(rest.strip())
        elif name == "sample":
            await self.load_sample()
        elif name in USAGE:
            self.say(_("Write it like this: {usage}", usage=USAGE[name]))
        else:
            self.say(_("Unknown demo command “:{name}”. :help lists them.", name=name))
        return True

    def _group_arg(self) -> Chat | None:
        return self.group if self.in_group else None

    def _join_group(self) -> None:
        if self.group is None:
            self.group = self.stub.create_group(
                GROUP_TITLE, members=[self.me, self.li], admins=[self.me]
            )
            self.stub.add_bot_to_group(self.group, by=self.me)

    async def _send_file(self, where: str) -> None:
        path = Path(where)
        try:
            content = await asyncio.to_thread(lambda: path.expanduser().read_bytes())
        except OSError as exc:
            self.say(self._("Cannot read {path}: {reason}", path=path, reason=exc.strerror))
            return
        chat = self._group_arg()
        # in a group the bot (privacy mode) sees a file only as a reply to one of its messages
        reply_to = None
        if chat is not None:
            mine = [m for m in self.stub.messages(chat) if not m.deleted]
            reply_to = mine[-1] if mine else None
        self.stub.send_document(
            self.actor, filename=path.name, content=content, chat=chat, reply_to=reply_to
        )

    def _press(self, number: int) -> None:
        _ = self._
        chat = self.current_chat()
        message_id = self.keyboards.get(chat.id)
        if message_id is None:
            self.say(_("There are no buttons to press in this chat yet."))
            return
        message = self.stub.message(chat.id, message_id)
        buttons = [] if message.deleted else [b for r in inline_buttons(message.raw) for b in r]
        if not buttons:
            self.say(_("This button is no longer available."))
            return
        if not 1 <= number <= len(buttons):
            self.say(
                _(
                    "There is no button #{number}: the last message with buttons has #1 to "
                    "#{last}.",
                    number=number,
                    last=len(buttons),
                )
            )
            return
        button = buttons[number - 1]
        if button.url is not None:
            self.say(_("This button opens {url}", url=button.url))
            return
        self.stub.press_button(self.actor, message, data=button.callback_data)

    # -- the sample team -------------------------------------------------------------------

    async def load_sample(self) -> SampleReport | None:
        _ = self._
        owner, viewer = self.actor, self.li if self.actor is self.me else self.me
        loader = SampleLoader(
            self.stub, self.uow_factory, owner, viewer, self.today(), self.quiet_queries.add
        )
        self.say(_("Loading the sample team…"))
        chats = {self.stub.private_chat(owner).id, self.stub.private_chat(viewer).id}
        self.flush()
        self.muted |= chats
        try:
            report = await loader.load()
        except SampleError as exc:
            self.say(_("The sample team could not be loaded: {reason}", reason=exc))
            return None
        except Exception as exc:
            self.report(exc)
            return None
        finally:
            self.flush()  # what the loader's commands answered is not shown
            self.muted -= chats
        skus = _.ngettext("{n} SKU", "{n} SKUs", report.skus)
        enrolled = _.ngettext("{n} SKU", "{n} SKUs", report.enrolled)
        if report.already_there:
            self.say(
                _(
                    "The sample team “{team}” is already there: campaign #{id} “{campaign}”, "
                    "{skus}.",
                    team=report.team,
                    id=report.campaign_id,
                    campaign=report.campaign,
                    skus=skus,
                )
            )
            if not report.active:
                self.say(_("It is not your active team: /team switch selects it."))
        else:
            self.say(
                _(
                    "Sample team “{team}” loaded: channel {channel}, {skus}, campaign "
                    "#{id} “{campaign}” with {enrolled} enrolled; {viewer} is a viewer in it.",
                    team=report.team,
                    channel=report.channel,
                    skus=skus,
                    id=report.campaign_id,
                    campaign=report.campaign,
                    enrolled=enrolled,
                    viewer=viewer.first_name,
                )
            )
        self.say(
            _(
                "Try /floor TM-001, /plan {id} or /voucher {id} value=3.",
                id=report.campaign_id,
            )
        )
        return report

    # -- output --------------------------------------------------------------------------------

    def say(self, text: str) -> None:
        self.console.show(text)

    def report(self, exc: BaseException) -> None:
        """One line for the person; the traceback goes to the log."""
        log.error("demo: %s", exc, exc_info=exc)
        if isinstance(exc, DriverError):
            self.say(self._("That did not work: {reason}", reason=exc))
        else:
            self.say(
                self._(
                    "The demo hit an error ({error}); it goes on. Details: {log}",
                    error=f"{type(exc).__name__}: {exc}",
                    log=self.log_path,
                )
            )

    async def watch(self) -> None:
        """Print what arrives, as it arrives, until cancelled."""
        notifier = self.stub.world.notifier
        while True:
            try:
                await notifier.wait_for(self._news, timeout=5.0)
                self.flush()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.report(exc)
                await asyncio.sleep(0.5)

    def _news(self) -> bool | None:
        """The watcher's probe: collects changes (the stub's feed has one cursor)."""
        self._inbox.extend(self.stub.changes())
        if self._inbox or len(self.stub.callback_answers) > self._answers_seen:
            return True
        return None

    def flush(self) -> None:
        """Print new callback answers and new, edited or deleted bot messages."""
        answers = self.stub.callback_answers[self._answers_seen :]
        self._answers_seen += len(answers)
        for answer in answers:
            if answer.query_id in self.quiet_queries:
                continue
            text = render_answer(answer.text, answer.show_alert, self._, ansi=self.console.ansi)
            if text is not None:
                self.say(text)
        self._inbox.extend(self.stub.changes())
        inbox, self._inbox = self._inbox, []
        for message in inbox:
            if message.chat_id in self.muted:
                continue
            if self.visible(message.chat_id):
                self._show(message)
            else:
                self.held.setdefault(message.chat_id, {})[message.message_id] = message

    def _show_held(self) -> None:
        for chat_id in list(self.held):
            if self.visible(chat_id):
                for message in self.held.pop(chat_id).values():
                    self._show(message)

    def _show(self, message: StubMessage) -> None:
        saved = None
        if (message.document is not None or message.photo is not None) and not message.deleted:
            saved = self._save(message)
        place = self.place(message.chat_id, message.thread_id)
        self.say(
            "\n" + render_message(message, place, self._, ansi=self.console.ansi, saved_file=saved)
        )
        if message.buttons and not message.deleted:
            self.keyboards[message.chat_id] = message.message_id

    def _save(self, message: StubMessage) -> str | None:
        if message.document is not None:
            name = Path(message.document.file_name or f"file-{message.message_id}.bin").name
            content = message.document.content
        else:  # a photo (a chart): named after its message, Telegram keeps no file name
            assert message.photo is not None
            name, content = (
                f"photo-{message.chat_id}-{message.message_id}.png",
                message.photo.content,
            )
        try:
            self.downloads.mkdir(parents=True, exist_ok=True)
            target = self.downloads / name
            target.write_bytes(content)
        except OSError as exc:
            log.warning("could not save %s: %s", name, exc)
            return None
        return str(target)

    async def settle(self, quiet_for: float = 0.6, at_most: float = 15.0) -> None:
        """Wait until the bot has taken every update and been quiet for a moment (used
        when the input is not a person, so each line meets the bot's latest answer)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + at_most
        marker = self._activity()
        quiet_since = loop.time()
        while loop.time() < deadline:
            await asyncio.sleep(0.05)
            now, current = loop.time(), self._activity()
            if current != marker or self.stub.world.updates:
                marker, quiet_since = current, now
            elif now - quiet_since >= quiet_for:
                break
        self.flush()

    def _activity(self) -> tuple[int, int]:
        return len(self.stub.requests), len(self.stub.callback_answers)
