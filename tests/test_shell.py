"""`trunkbot shell` in-process: what it prints, how it answers a card, the bot's questions,
and the terminal's line editing, history and completion (prompt-toolkit on a pipe input)."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator

import pytest
from prompt_toolkit.input import PipeInput, create_pipe_input
from prompt_toolkit.output import DummyOutput

from bot.transports.shell import Shell
from bot.transports.shell_terminal import (
    BOLD,
    NORMAL,
    ShellCompleter,
    TerminalReader,
    terminal_text,
    tidy_card_text,
)
from tests.chat import Chat, make_chat

CAROL = "carol@example.com"  # DEFAULT_POLICY: creates anywhere, a summary card first


@pytest.fixture
async def chat() -> AsyncIterator[Chat]:
    chat = await make_chat()
    yield chat
    await chat.app.aclose()


async def shell_for(chat: Chat, email: str = CAROL) -> tuple[Shell, io.StringIO]:
    out = io.StringIO()
    shell = Shell(router=chat.app.router, email=email, out=out)
    org = await chat.app.services.target_org(None)
    if org:
        shell.org_id = org
    return shell, out


async def lines(shell: Shell, out: io.StringIO, *typed: str) -> str:
    """What the shell printed for these lines (only theirs)."""
    start = out.tell()
    for line in typed:
        await shell.handle_line(line)
    return out.getvalue()[start:]


# -- what it prints ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("markdown", "plain", "bold"),
    [
        ("Creating **lon\\_lgw\\_1** in **London HQ**…", "Creating lon_lgw_1 in London HQ…", None),
        ("ID: `Y2lz_x*y`", "ID: Y2lz_x*y", None),
        ("a \\*\\*not bold\\*\\* \\<@all\\>", "a **not bold** <@all>", None),
        ("**x**", "x", f"{BOLD}x{NORMAL}"),
        ("**open", "open", f"{BOLD}open{NORMAL}"),
    ],
)
def test_terminal_text_has_no_markdown_marks(markdown: str, plain: str, bold: str | None) -> None:
    """The bot's markdown reads as plain text (escapes undone), or ANSI bold on a terminal."""
    assert terminal_text(markdown) == plain
    if bold is not None:
        assert terminal_text(markdown, bold=True) == bold


def test_card_choices_show_titles_not_ids() -> None:
    text = "  • Location [location]: (not chosen)\n      - London HQ = Y2lzY29zcGFyazovL3VzL0xPQ0FUSU9OL2M4YTM3OTYyLTg0ZWQtNWYyYi04OWViLWM4YWZkZjk2OGQyZg\n      - Registering = registering"  # noqa: E501
    assert tidy_card_text(text).splitlines()[1:] == [
        "      - London HQ",
        "      - Registering = registering",
    ]


async def test_replies_carry_no_markdown_nor_internal_ids(chat: Chat) -> None:
    shell, out = await shell_for(chat)
    printed = await lines(
        shell,
        out,
        "create trunk name=lon_lgw_1 location=Madrid",
        "/press Create",
        "create trunk",
        '/submit {"name": "form_1", "location": "Madrid"}',
    )
    assert "Creating registering trunk lon_lgw_1 in Madrid…" in printed
    assert "**" not in printed
    assert "\\_" not in printed
    assert "shell-msg" not in printed
    assert "Y2lzY29zcGFyazovL3VzL0xPQ0FUSU9O" not in printed  # no location IDs in the form
    assert "· (the bot removed its earlier card “Create a Webex Calling trunk”)" in printed


# -- answering cards ----------------------------------------------------------------------------


async def test_a_misspelled_key_keeps_the_card_live(chat: Chat) -> None:
    """/submit with a key the card doesn't have is answered by the shell; the card still works."""
    shell, out = await shell_for(chat)
    await lines(shell, out, "create trunk")
    printed = await lines(shell, out, '/submit {"naem": "lon-9", "location": "Madrid"}')
    assert printed.startswith("· That card has no input `naem` (did you mean `name`?); its inputs")
    assert "`location`" in printed
    assert "the card is still open" in printed
    assert len(printed.strip().splitlines()) == 1
    printed = await lines(shell, out, '/submit {"name": "lon-9", "location": "Madrid"}')
    assert "Create this trunk?" in printed
    assert "already" not in printed


async def test_press_after_a_finished_card_says_so(chat: Chat) -> None:
    shell, out = await shell_for(chat)
    assert "There is no card to answer yet" in await lines(shell, out, "/press Create")
    await lines(shell, out, "create trunk name=fin-1 location=Madrid")
    assert await lines(shell, out, "/press Creat") == (
        "· “Create this trunk?” has no button “Creat”; its buttons are Create, Cancel.\n"
    )
    assert "Trunk fin-1 created" in await lines(shell, out, "/press Create")
    printed = await lines(shell, out, "/press Create")
    assert (
        printed
        == "· The last card, “Trunk fin-1 created”, has no buttons to press: it's finished.\n"
    )
    assert "no such button" not in printed


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ("/submit [1, 2]", "Write the inputs as a JSON object"),
        ("/submit {not json", "Write the inputs as a JSON object"),
        ('/submit {"button": 3}', "Name the button as text"),
        ("/press Certificate-based settings", "only shows or hides fields"),
        ("/frobnicate", "Shell commands: /as EMAIL"),
        ("/as not-an-email", "Shell commands: /as EMAIL"),
    ],
)
async def test_bad_shell_input_is_one_sentence(chat: Chat, line: str, says: str) -> None:
    shell, out = await shell_for(chat)
    await lines(shell, out, "create trunk")
    printed = await lines(shell, out, line)
    assert printed.startswith(f"· {says}") or says in printed
    assert len(printed.strip().splitlines()) == 1
    assert "Traceback" not in printed


# -- the bot's questions ----------------------------------------------------------------------


@pytest.mark.parametrize("answer", ["Paris Office", "2", "paris"])
async def test_ambiguity_is_a_conversation(chat: Chat, answer: str) -> None:
    """“Pa” matches two locations: the bot asks, the next line answers by name or number."""
    shell, out = await shell_for(chat)
    printed = await lines(shell, out, "create trunk name=par-1 location=Pa")
    assert '‹ "Pa" matches 2 calling locations: Palo Alto, Paris Office. Which one?' in printed
    assert "\n  1. Palo Alto\n  2. Paris Office\n" in printed
    assert shell.pending_answers() == ["Palo Alto", "Paris Office"]
    printed = await lines(shell, out, answer)
    assert "Create this trunk?" in printed
    assert "Location: Paris Office" in printed
    assert "I don't know" not in printed
    assert shell.pending_answers() == []
    assert "Trunk par-1 created" in await lines(shell, out, "/press Create")
    assert chat.state.trunk_by_name("par-1") is not None


async def test_as_says_what_the_new_person_may_do(chat: Chat) -> None:
    shell, out = await shell_for(chat)
    from bot.transports import shell_intro

    async def describe(_email: str) -> str:
        return await shell_intro.what_they_may_do(
            chat.app.services.gate.policy, shell.actor, shell.space
        )

    shell.describe_person = describe
    printed = await lines(shell, out, "/as pat@example.com")
    assert "You are now pat@example.com: " in printed
    assert "lets pat@example.com create trunks in London HQ and Paris Office." in printed
    printed = await lines(shell, out, "/as mallory@evil.example")
    assert "gives mallory@evil.example nothing" in printed


# -- /file PATH [text]: a message with a file attached ---------------------------------------


async def test_file_sends_the_file_to_the_bot(chat: Chat, tmp_path: object) -> None:
    """/file PATH is `create trunks` with that file attached; the bot reads it through the
    shell's outbox, as it fetches a message's file from Webex."""
    from pathlib import Path

    from commands.bulk import run

    assert isinstance(tmp_path, Path)
    sites = tmp_path / "my sites.csv"
    sites.write_text("name,location\nfl-1,Madrid\nfl-2,Nowhere\n")
    shell, out = await shell_for(chat)
    printed = await lines(shell, out, f'/file "{sites}" create trunks dry-run')
    assert "1 of 2 rows are ready to create" in printed
    assert "row 3, location" in printed
    assert "Dry run: nothing was created." in printed
    shell.outbox.save_dir = tmp_path / "files"
    good = tmp_path / "good.csv"
    good.write_text("name,location\nfl-3,Madrid\n")
    printed = await lines(shell, out, f"/file {good}")
    assert "Trunks to create: 1" in printed
    await lines(shell, out, "/press Create")
    await run.wait_all()
    printed = out.getvalue()
    assert "✅ Done: 1 created, 0 failed." in printed
    saved = tmp_path / "files" / "good-result.csv"
    assert "📎 good-result.csv (" in printed
    assert f"saved to {saved})" in printed
    assert saved.stat().st_mode & 0o077 == 0
    assert '"fl-3","created"' in saved.read_text()
    assert chat.state.trunk_by_name("fl-3") is not None


@pytest.mark.parametrize(
    ("path", "says"),
    [
        ("nowhere.csv", "nowhere.csv doesn't exist: give the path of a CSV file"),
        (".", ". is a folder, not a file"),
    ],
)
async def test_file_that_cannot_be_read_is_one_sentence(chat: Chat, path: str, says: str) -> None:
    shell, out = await shell_for(chat)
    printed = await lines(shell, out, f"/file {path}")
    assert printed.startswith(f"· {says}")
    assert len(printed.strip().splitlines()) == 1


async def test_the_shell_serves_only_attached_files(chat: Chat, tmp_path: object) -> None:
    """The bot reads a local file only when the person attached it, and checks its size."""
    from pathlib import Path

    from bot.errors import UsageError
    from bot.events import FileTooBig

    assert isinstance(tmp_path, Path)
    other = tmp_path / "other.csv"
    other.write_text("name,location\nx,Madrid\n")
    shell, _ = await shell_for(chat)
    with pytest.raises(UsageError):
        await shell.outbox.fetch_file(other.as_uri(), max_bytes=1000)
    url = shell.attach(str(other))
    with pytest.raises(FileTooBig):
        await shell.outbox.fetch_file(url, max_bytes=5)
    download = await shell.outbox.fetch_file(url, max_bytes=1000)
    assert (download.name, download.content_type) == ("other.csv", "text/csv")


# -- the terminal: editing, history, completion ----------------------------------------------


@pytest.fixture
def pipe() -> object:
    with create_pipe_input() as inp:
        yield inp


def reader(inp: PipeInput, shell: Shell | None = None) -> TerminalReader:
    completer = ShellCompleter(
        commands=lambda: ["create trunk", "help", "list trunks", "show trunk"],
        locations=lambda: ["London HQ", "Madrid", "Paris Office", "Palo Alto"],
        buttons=shell.button_titles if shell else list,
        answers=shell.pending_answers if shell else list,
        people=lambda: ["pat@example.com", "lee@example.com"],
    )
    return TerminalReader(completer, input=inp, output=DummyOutput())


async def typed(read: TerminalReader, inp: PipeInput, *keys: str) -> str | None:
    """Type ``keys`` one burst at a time (completion runs between them), return the line."""
    task = asyncio.create_task(read())
    for burst in keys:
        inp.send_text(burst)
        await asyncio.sleep(0.05)
    return await asyncio.wait_for(task, 5)


async def test_completion_of_commands_and_locations(pipe: PipeInput) -> None:
    read = reader(pipe)
    line = await typed(read, pipe, "cre", "\t", " name=a location=Lon", "\t", "\r")
    assert line == 'create trunk name=a location="London HQ"'
    assert await typed(read, pipe, "create trunk name=b location=Ma", "\t", "\r") == (
        "create trunk name=b location=Madrid"
    )
    assert await typed(read, pipe, "/pr", "\t", "\r") == "/press"
    assert await typed(read, pipe, "/fi", "\t", "\r") == "/file"
    assert await typed(read, pipe, "/as le", "\t", "\r") == "/as lee@example.com"


async def test_history_and_editing(pipe: PipeInput, tmp_path: object) -> None:
    """↑ recalls the last line; ← and Ctrl-A move the cursor; Ctrl-C drops a line; Ctrl-D ends."""
    from pathlib import Path

    assert isinstance(tmp_path, Path)
    history = tmp_path / "state" / "shell_history"
    read = reader(pipe)
    read.history_file = history
    assert await typed(read, pipe, "hlp", "\x1b[D\x1b[D", "e", "\r") == "help"
    assert await typed(read, pipe, "\x1b[A", "\r") == "help"  # arrow keys never reach the line
    assert await typed(read, pipe, "trunks", "\x01", "list ", "\r") == "list trunks"
    assert await typed(read, pipe, "half a line", "\x03") == ""
    assert await typed(read, pipe, "\x04") is None
    assert "list trunks" in history.read_text()


async def test_completion_offers_the_answers_and_buttons(chat: Chat, pipe: PipeInput) -> None:
    shell, out = await shell_for(chat)
    read = reader(pipe, shell)
    await lines(shell, out, "create trunk name=par-2 location=Pa")
    assert await typed(read, pipe, "Pari", "\t", "\r") == "Paris Office"
    await lines(shell, out, "Paris Office")
    assert await typed(read, pipe, "/press Ca", "\t", "\r") == "/press Cancel"
