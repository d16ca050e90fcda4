"""A minimal PTB bot run as a separate process against the stand-in.

Usage: python -m tests.stub.echo_bot_process TOKEN BASE_URL BASE_FILE_URL
"""

from __future__ import annotations

import sys

from telegram import Update
from telegram.ext import ApplicationBuilder, CommandHandler, ContextTypes


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    await update.effective_message.reply_text(" ".join(context.args or []) or "(nothing)")


def main() -> None:
    token, base_url, base_file_url = sys.argv[1:4]
    app = ApplicationBuilder().token(token).base_url(base_url).base_file_url(base_file_url).build()
    app.add_handler(CommandHandler("echo", echo))
    app.run_polling(poll_interval=0, timeout=1, allowed_updates=Update.ALL_TYPES)


if __name__ == "__main__":
    main()
