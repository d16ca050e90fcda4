"""`campaignbot demo` in a terminal: no token, no network, buttons pressed by number."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def test_demo_talks_to_the_real_bot_in_the_terminal(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "DATABASE_"))}
    env.update({"DATA_DIR": str(tmp_path / "data"), "LANG": "de_DE.UTF-8"})
    script = "/start\n1\n/fx\n:group\n/help@CampaignPlannerDemoBot\n:quit\n"
    result = subprocess.run(
        [sys.executable, "-m", "bot", "demo"],
        input=script,
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Willkommen" in out  # the terminal's language (de) reached the bot
    assert "[1] English" in out  # buttons are numbered
    assert "(edited)" in out  # pressing [1] chose English and moved on to the next step
    assert "Which time zone should I use" in out
    assert "1 CNY = " in out and "ECB" in out  # the bundled sample feed, served locally
    assert "bot → Demo team" in out and "/newcampaign" in out  # the group chat works
    assert "Traceback" not in out + result.stderr
    assert (tmp_path / "data" / "demo.sqlite3").exists()
