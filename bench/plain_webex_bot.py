"""The baseline of the end-to-end bench: a plain webex_bot bot, as its README shows one.

A ``webex_bot.models.command.Command`` whose ``execute`` makes the calling-API calls with
httpx (find the location, check the name, generate a password, create the trunk) and returns
the answer for webex_bot to post. Run by bench/e2e.py as its own process against the fake:
the only changes to webex_bot are the two addresses a fake needs (the U2C catalog and the
REST base URL), read from the environment.
"""

from __future__ import annotations

import functools
import os
import re
from typing import Any

import httpx
from webex_bot.models.command import Command
from webex_bot.webex_bot import WebexBot
from webex_bot.websockets import webex_websocket_client as wbx

API = os.environ["TRUNKBOT_API_URL"].rstrip("/") + "/"
ADMIN = os.environ["TRUNKBOT_ADMIN_TOKEN"]
TRUNKS = "telephony/config/premisePstn/trunks"


class CreateTrunk(Command):  # type: ignore[misc]  # untyped library
    def __init__(self) -> None:
        super().__init__(command_keyword="create trunk", help_message="Create a trunk")

    def execute(self, message: str, attachment_actions: Any, activity: Any) -> str:
        name = re.search(r"name=(\S+)", message)
        if name is None:
            return "I need a name."
        with httpx.Client(base_url=API, headers={"Authorization": f"Bearer {ADMIN}"}) as http:
            locations = http.get("telephony/config/locations").json()["locations"]
            location = next(loc for loc in locations if loc["name"] == "Madrid")
            taken = http.get(TRUNKS, params={"name": name[1]}).json()["trunks"]
            if any(t["name"].casefold() == name[1].casefold() for t in taken):
                return f"A trunk named {name[1]} already exists."
            password = http.post(
                f"telephony/config/locations/{location['id']}/actions/generatePassword/invoke",
                json={"generate": ["sip"]},
            ).json()["exampleSipPassword"]
            created = http.post(
                TRUNKS,
                json={
                    "name": name[1],
                    "locationId": location["id"],
                    "password": password,
                    "trunkType": "REGISTERING",
                },
            )
            created.raise_for_status()
        return f"✅ Trunk **{name[1]}** created: {created.json()['id']}"


def main() -> None:
    wbx.DEFAULT_U2C_URL = os.environ["TRUNKBOT_U2C_URL"]
    wbx.WebexAPI = functools.partial(wbx.WebexAPI, base_url=API)
    bot = WebexBot(
        os.environ["TRUNKBOT_BOT_TOKEN"],
        approved_domains=["example.com"],
        bot_name="Plain webex_bot",
        log_level="WARNING",
    )
    bot.add_command(CreateTrunk())
    bot.run()


if __name__ == "__main__":
    main()
