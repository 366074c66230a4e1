"""`create trunk`, as a person would type it, against the sandbox through the real router."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import pytest

from tests.chat import Chat, delivery_of, make_chat, result_of
from webexfake.calling import SandboxState, seeded_id

LONDON = seeded_id("LOCATION", "London HQ")
TYPED = "Str0ngTypedPw#42"


@pytest.fixture
async def chat() -> AsyncIterator[Chat]:
    chat = await make_chat()
    yield chat
    await chat.app.aclose()


async def test_registering_trunk_in_a_direct_space(chat: Chat) -> None:
    """The happy path: one POST with exactly the right body, and everything to configure:
    the result (text and card), then 1:1 and without a card the password and the gateway
    configuration, the only message that holds the password."""
    replies = await chat.say('create trunk name=lon-lgw-1 location="London HQ"')
    assert [r.markdown.split("\n")[0] for r in replies[:2]] == [
        "Creating registering trunk **lon-lgw-1** in **London HQ**…",
        "✅ Trunk **lon-lgw-1** created in **London HQ** (registering, Cisco CUBE local gateway).",
    ]
    (post,) = chat.trunk_posts()
    password = post.pop("password")
    assert post == {"name": "lon-lgw-1", "locationId": LONDON, "trunkType": "REGISTERING"}
    trunk = chat.state.trunk_by_name("lon-lgw-1")
    assert trunk is not None
    result = result_of(replies)
    done = result.markdown
    assert f"ID: `{trunk.id}`" in done
    for label in ("Line/port", "SIP user name", "Outbound proxy", "OTG/DTG", "Registrar domain"):
        assert f"• {label}: `" in done
    assert "• Password: in my next message, shown only there" in done
    assert result.card is not None
    delivery = delivery_of(replies)
    assert replies.index(delivery) == replies.index(result) + 1  # right after the result
    assert delivery.room_id == "room-direct"
    assert f"Password (shown only here): `{password}`" in delivery.markdown
    assert "Gateway configuration for trunk **lon-lgw-1**" in delivery.markdown
    assert [r for r in replies if password in r.markdown or password in str(r.card)] == [delivery]


async def test_password_comes_from_generate_password(chat: Chat) -> None:
    """password=auto asks Webex for one, and that is the one sent in the create body."""
    await chat.say("create trunk name=auto-1 location=Madrid password=auto")
    (gen,) = chat.state.calls("POST", "/actions/generatePassword/invoke")
    assert gen.path.endswith(
        f"/locations/{seeded_id('LOCATION', 'Madrid')}/actions/generatePassword/invoke"
    )
    assert chat.trunk_posts()[0]["password"]


async def test_certificate_based_trunk(chat: Chat) -> None:
    """A certificate-based trunk sends every SBC field, as Webex spells them."""
    replies = await chat.say(
        "create trunk name=sbc-1 location='Paris Office' type=certificate "
        'device="Oracle ACME SBC" address=sbc9.sbc.example.com domain=sbc.example.com '
        "port=5061 max-calls=200 dual-identity=yes"
    )
    answer = result_of(replies).markdown
    assert answer.startswith("✅ Trunk **sbc-1** created in **Paris Office** (certificate-based")
    (post,) = chat.trunk_posts()
    password = post.pop("password")
    delivery = delivery_of(replies)  # the password alone: no IOS-XE for an SBC
    assert delivery.markdown == f"Password (shown only here): `{password}`"
    assert post == {
        "name": "sbc-1",
        "locationId": seeded_id("LOCATION", "Paris Office"),
        "trunkType": "CERTIFICATE_BASED",
        "deviceType": "Oracle ACME SBC",
        "address": "sbc9.sbc.example.com",
        "domain": "sbc.example.com",
        "port": 5061,
        "maxConcurrentCalls": 200,
        "dualIdentitySupportEnabled": True,
    }
    validations = chat.state.calls("POST", "/validate/invoke")
    validations += chat.state.calls("POST", "/fqdnValidation/invoke")
    assert len(validations) == 1  # Webex's own check of address and domain, once


@pytest.mark.parametrize(
    "location",
    ["London HQ", "london hq", LONDON, "Lond"],
    ids=["name", "name-any-case", "id", "unique-prefix"],
)
async def test_location_by_name_or_id(chat: Chat, location: str) -> None:
    """A location may be named, in any case, partly, or given by its ID."""
    result_of(await chat.say(f'create trunk name=x-1 location="{location}"'))
    assert chat.trunk_posts()[0]["locationId"] == LONDON


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (
            "create trunk name=par-1",
            "I need a **location** to create a trunk.",
        ),
        (
            "create trunk name=par-1 location=Pa",
            '"Pa" matches 2 calling locations: **Palo Alto**, **Paris Office**. Which one?',
        ),
        (
            "create trunk name=par-1 location=Atlantis",
            "I can't find a calling location",
        ),
        (
            "create trunk name=par-1 location=Warehouse",
            "I can't find a calling location",
        ),
        (
            "create trunk name=x location='London HQ' colour=blue",
            "I don't know `colour`.",
        ),
        (
            "create trunk name=x location='London HQ' port=99999 type=certificate",
            "`port` must be a whole number from 1 to 65535.",
        ),
        (
            "create trunk name=sbc-1 location='Paris Office' type=certificate",
            "A certificate-based trunk also needs **device**",
        ),
        (
            "create trunk name=sbc-1 location='Paris Office' type=certificate "
            "device='AudioCodes SBC' address=a.sbc.example.com domain=sbc.example.com "
            "port=5061 max-calls=900",
            "`max-calls` must be from 10 to 500 for AudioCodes SBC.",
        ),
        (
            "create trunk name=sbc-1 location='Paris Office' type=certificate "
            "device='AudioCodes SBC' address=a.unverified.example domain=unverified.example "
            "port=5061 max-calls=100",
            "The domain **unverified.example** isn't verified in this organization",
        ),
        (
            "create trunk name=sbc-1 location='Paris Office' type=certificate device='Ribbon SBC' "
            "address=sbc1.sbc.example.com domain=sbc.example.com port=5061 max-calls=100",
            "The address **sbc1.sbc.example.com** is already used by another trunk.",
        ),
    ],
    ids=[
        "missing-location",
        "ambiguous-location",
        "unknown-location",
        "not-calling-enabled",
        "unknown-key",
        "port-out-of-range",
        "certificate-fields-missing",
        "max-calls-over-device-limit",
        "unverified-domain",
        "address-in-use",
    ],
)
async def test_problems_answered_once_and_nothing_created(
    chat: Chat, message: str, expected: str
) -> None:
    """Each problem gets its sentence, one reply, and no trunk is created."""
    replies = await chat.say(message)
    assert len(replies) == 1, [r.markdown for r in replies]
    text = replies[0].markdown
    assert expected in text or expected in text.replace("\\", ""), text
    assert chat.trunk_posts() == []


@pytest.mark.parametrize("status", [409, 400], ids=["409", "400"])
@pytest.mark.parametrize("name", ["London-LGW-1", "london-lgw-1"], ids=["same", "other-case"])
async def test_duplicate_name_is_webex_answer_naming_the_trunk(
    chat: Chat, status: int, name: str
) -> None:
    """No lookup before the create: Webex's refusal of the create is the name check (409 or
    400, its status is undocumented), answered with one sentence naming the existing trunk;
    nothing new exists and the refusal is the request's answer for good."""
    chat.state.duplicate_name_status = status
    before = len(chat.state.trunks)
    answer = await chat.answer(f"create trunk name={name} location='London HQ'")
    # A 409 says so itself; a 400 is explained by the one lookup, which names it as Webex has it
    named = name if status == 409 else "London-LGW-1"
    assert answer.startswith(
        f"❌ A trunk named **{named}** already exists in this organization. Pick another name."
    ), answer
    assert "Traceback" not in answer
    assert len(chat.state.trunks) == before
    assert len(chat.trunk_posts()) == 1
    # Without a 400 to explain, the trunk list is never read for a create.
    lookups = chat.state.calls("GET", "/premisePstn/trunks")
    assert len(lookups) == (1 if status == 400 else 0)


async def test_a_create_reads_no_trunk_list(chat: Chat) -> None:
    """A create makes three calling requests: generate a password, create, read it back
    (locations come from the cache, filled by an earlier command)."""
    await chat.answer("create trunk name=warm-1 location=Madrid")
    before = len(chat.state.calls())
    assert result_of(await chat.say("create trunk name=fast-1 location=Madrid"))
    calling = [c for c in chat.state.calls()[before:] if "/telephony/" in c.path]
    assert [(c.method, c.path.rsplit("/", 1)[-1]) for c in calling] == [
        ("POST", "invoke"),
        ("POST", "trunks"),
        ("GET", calling[-1].path.rsplit("/", 1)[-1]),
    ], calling


async def test_webex_refusal_carries_description_and_tracking_id(chat: Chat) -> None:
    """When Webex refuses, the person sees Webex's words and its tracking ID."""
    answer = await chat.answer(
        "create trunk name=sbc-2 location='Paris Office' type=certificate device='AudioCodes SBC' "
        "address=a.unverified.example domain=unverified.example port=5061 max-calls=100"
    )
    assert "Webex said:" in answer
    assert "(Webex tracking ID `ROUTER_" in answer


NOT_CREATED = "didn't go through (Webex had a problem), and Webex has no trunk by that name"
STATUS_SENTENCES = {
    400: "❌ Webex refused the request as it stands.",
    401: "❌ Webex didn't accept the bot's admin credentials.",
    403: "❌ The bot's Webex admin account lacks the permission for this",
    404: "❌ Webex couldn't find that.",
    405: "❌ Webex doesn't allow that operation.",
    409: "❌ A trunk named **st-1** already exists in this organization. Pick another name.",
    410: "❌ Webex says that no longer exists.",
    415: "❌ Webex didn't accept the format of the bot's request.",
    423: "❌ Webex has this temporarily locked. Try again in a minute.",
    428: "❌ Webex wants a precondition the bot can't provide.",
    429: "❌ Webex is rate-limiting us right now. Try again in a minute.",
    500: "❌ Creating trunk **st-1** " + NOT_CREATED,
    502: "❌ Creating trunk **st-1** " + NOT_CREATED,
    503: "❌ Creating trunk **st-1** " + NOT_CREATED,
    504: "❌ Creating trunk **st-1** " + NOT_CREATED,
}


@pytest.mark.parametrize(
    ("status", "sentence"), STATUS_SENTENCES.items(), ids=[str(s) for s in STATUS_SENTENCES]
)
async def test_every_status_of_the_table_has_its_sentence(
    chat: Chat, status: int, sentence: str
) -> None:
    """Whatever Webex answers to the create, the person gets its sentence, Webex's words and
    the tracking ID — and no trunk exists."""
    chat.state.faults.add(
        "status",
        method="POST",
        path_suffix="/premisePstn/trunks",
        status=status,
        times=None,
        retry_after="1",
        description=f"Injected {status}",
    )
    answer = await chat.answer("create trunk name=st-1 location=Madrid")
    assert answer.startswith(sentence), answer
    assert f"Webex said: “Injected {status}”" in answer
    assert "(Webex tracking ID `ROUTER_" in answer
    assert chat.state.trunk_by_name("st-1") is None
    posts = len(chat.state.calls("POST", "/premisePstn/trunks"))
    assert posts == (4 if status in (423, 429) else 1)


async def test_rate_limited_then_created(chat: Chat) -> None:
    """A 429 is waited out (Retry-After honoured) and the trunk is created once."""
    chat.state.faults.add(
        "status", method="POST", path_suffix="/premisePstn/trunks", status=429, retry_after="7"
    )
    answer = result_of(await chat.say("create trunk name=rl-1 location=Madrid")).markdown
    assert answer.startswith("✅ Trunk **rl-1** created")
    assert 7 in chat.slept
    assert len(chat.state.calls("POST", "/premisePstn/trunks")) == 2
    assert len([t for t in chat.state.trunks.values() if t.name == "rl-1"]) == 1


async def test_timeout_after_commit_is_reported_as_created(chat: Chat) -> None:
    """Webex committed but never answered: we find the trunk by name, and POST only once."""
    chat.state.faults.add("timeout_after", method="POST", path_suffix="/premisePstn/trunks")
    answer = result_of(await chat.say("create trunk name=mad-1 location=Madrid")).markdown
    assert answer.startswith("✅ Webex was slow, but the trunk was created: **mad-1**")
    assert "No need to retry" in answer
    assert len(chat.state.calls("POST", "/premisePstn/trunks")) == 1


@pytest.mark.parametrize("fault", ["timeout_before", "reset"])
async def test_no_answer_before_commit_is_reported_as_not_created(chat: Chat, fault: str) -> None:
    """Webex never got it: we say clearly that nothing was created."""
    chat.state.faults.add(fault, method="POST", path_suffix="/premisePstn/trunks")
    answer = await chat.answer("create trunk name=mad-2 location=Madrid")
    assert "nothing was created" in answer
    assert chat.state.trunk_by_name("mad-2") is None
    assert len(chat.state.calls("POST", "/premisePstn/trunks")) <= 1


@pytest.mark.parametrize(
    ("person", "location", "expected"),
    [
        (
            "mallory@evil.example",
            "London HQ",
            "You're not allowed to create trunks. Ask your Webex Calling admins",
        ),
        (
            "pat@example.com",
            "Madrid",
            "You may create trunks only in **London HQ** and **Paris Office**.",
        ),
        (
            "olga@example.com",
            "Madrid' org='Y2lzY29zcGFyazovL3VzL09SR0FOSVpBVElPTi9lbHNld2hlcmU",
            "You may not create trunks in the organization "
            "`Y2lzY29zcGFyazovL3VzL09SR0FOSVpBVElPTi9lbHNld2hlcmU`.",
        ),
        (
            "outsider@example.com",
            "Madrid",
            "You're not allowed to create trunks.",
        ),
    ],
    ids=["unlisted-person", "wrong-location", "wrong-target-org", "person-from-another-org"],
)
async def test_refusals_are_answers(chat: Chat, person: str, location: str, expected: str) -> None:
    """Refused people get one sentence, and Webex is never asked to create anything."""
    answer = await chat.answer(f"create trunk name=r-1 location='{location}'", person=person)
    assert answer.startswith(expected), answer
    assert chat.trunk_posts() == []


async def test_unlisted_person_learns_nothing_about_locations(chat: Chat) -> None:
    """The first refusal comes before any Webex call, so nothing about the org leaks."""
    await chat.say("create trunk name=r-1 location=Pa", person="mallory@evil.example")
    assert chat.state.calls("GET") == []


async def test_typed_password_in_group_space_is_refused_before_webex(chat: Chat) -> None:
    """A password typed in a group space is refused, and Webex is never called."""
    answer = await chat.answer(
        f"create trunk name=g-1 location=Madrid password={TYPED}", space="group"
    )
    assert answer.startswith("I won't take a password in a group space")
    assert TYPED not in answer
    assert chat.state.requests == []


async def test_group_space_gets_no_password_but_a_private_delivery(chat: Chat) -> None:
    """In a group space the result is in the thread; the password goes 1:1 only."""
    replies = await chat.say("create trunk name=g-2 location=Madrid", space="group")
    password = chat.trunk_posts()[0]["password"]
    public = [r for r in replies if not r.private]
    private = [r for r in replies if r.private]
    assert all(str(password) not in r.markdown for r in public)
    assert all(r.parent_id == "msg-in-0" for r in public)
    assert "I've sent you its password and gateway settings in a 1:1 space." in public[-1].markdown
    (delivery,) = private
    assert delivery.room_id is None
    assert delivery.to_person_email == "alice@example.com"
    assert str(password) in delivery.markdown


async def test_typed_password_in_direct_space_is_used_and_never_echoed(
    chat: Chat, caplog: pytest.LogCaptureFixture
) -> None:
    """A password typed 1:1 goes to Webex as is, and appears in no reply and no log line."""
    caplog.set_level(logging.DEBUG)
    replies = await chat.say(f"create trunk name=t-1 location=Madrid password={TYPED}")
    assert chat.trunk_posts()[0]["password"] == TYPED
    assert chat.state.calls("POST", "/actions/generatePassword/invoke") == []
    assert all(TYPED not in r.markdown for r in replies)
    assert TYPED not in caplog.text


async def test_refused_password_is_never_echoed(
    chat: Chat, caplog: pytest.LogCaptureFixture
) -> None:
    """A password Webex refuses (25015) is not repeated in the reply or the logs."""
    caplog.set_level(logging.DEBUG)
    bad = "Refused?Pass1"
    answer = await chat.answer(f"create trunk name=t-2 location=Madrid password={bad}")
    assert bad not in answer
    assert bad not in caplog.text


async def test_generated_password_never_logged(
    chat: Chat, caplog: pytest.LogCaptureFixture
) -> None:
    """The generated password shows up only in the 1:1 reply, never in a log record."""
    caplog.set_level(logging.DEBUG)
    await chat.say("create trunk name=t-3 location=Madrid", space="group")
    password = str(chat.trunk_posts()[0]["password"])
    assert password not in caplog.text
    for record in caplog.records:
        assert password not in str(record.__dict__)


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("help", "Here's what you can do:"),
        ("please don't create trunk name=x location=Madrid", "I don't know the command"),
        ("create trunkz name=x", "I don't know the command"),
        ("", "Type `help`"),
        ("create trunk", "Create a Webex Calling trunk"),
    ],
    ids=["help", "not-at-start", "not-the-command-word", "empty", "bare-command"],
)
async def test_what_is_and_is_not_a_command(chat: Chat, message: str, expected: str) -> None:
    """Only a message that starts with the command words is a command."""
    answer = await chat.answer(message)
    assert expected in answer
    assert chat.trunk_posts() == []


async def test_help_for_someone_not_in_the_policy(chat: Chat) -> None:
    """help answers even an unlisted person, saying how to get access."""
    answer = await chat.answer("help", person="mallory@evil.example")
    assert "you're not on it yet" in answer


async def test_mention_is_stripped_in_group_spaces(chat: Chat) -> None:
    """In a group space the bot's name in front of the command is not part of it."""
    replies = await chat.say("Trunkbot create trunk name=g-3 location=Madrid", space="group")
    assert replies[1].markdown.startswith("✅ Trunk **g-3** created")


async def test_bots_are_ignored(chat: Chat) -> None:
    """A message from a bot (including this one) gets no reply: no loops."""
    assert await chat.say("create trunk name=b-1 location=Madrid", is_bot=True) == []


async def test_user_text_cannot_inject_markdown(chat: Chat) -> None:
    """Names are escaped: no <@all>, no links."""
    answer = await chat.answer("create trunk name=x location='<@all> [click](http://evil)'")
    assert "<@all>" not in answer
    assert "[click](" not in answer


async def test_unexpected_error_gets_an_incident_id(
    chat: Chat, caplog: pytest.LogCaptureFixture
) -> None:
    """A bug is answered with an incident id, never a traceback."""

    async def boom(*_: object, **__: object) -> None:
        raise RuntimeError("secret internals")

    chat.app.services.calling.find_location = boom  # type: ignore[method-assign]
    answer = await chat.answer("create trunk name=x location=Madrid")
    assert answer.startswith("❌ Something went wrong on my side (incident `")
    assert "secret internals" not in answer
    assert "command.crashed" in caplog.text


async def test_replies_fit_in_a_webex_message() -> None:
    """A reply listing many locations stays under 7,439 bytes."""
    state = SandboxState.seeded()
    for i in range(400):
        state.add_location(f"Branch office number {i:03d} with a long name")
    chat = await make_chat(state)
    for reply in await chat.say("create trunk name=x location=Atlantis"):
        assert len(reply.markdown.encode()) < 7439
