"""Trunkbot's cards in Microsoft's Adaptive Cards renderer, in a real headless Chromium.

The page (``harness.html`` + ``harness.js``) loads the ``adaptivecards`` npm package (pinned
in ``package.json``) and markdown-it from ``node_modules`` over ``file://``: no server, no
internet. It renders at target version 1.3 with Webex's limits (interactive, 5 actions).
Python drives it with Playwright against the system Chromium (never ``playwright install``).

    async with CardBrowser() as browser:
        assert await browser.validation_errors(card) == []
        data = await browser.submit(card, fill={"name": "lon-1", "location": loc_id})
        # data == {"trunkbot": {"nonce": …, "action": "review"}, "name": "lon-1", …}:
        # what a Webex client posts as the attachment action's ``inputs``
        await browser.screenshot(card, "form.png")

For more control, :meth:`CardBrowser.render` returns a :class:`RenderedCard` to fill in,
click and inspect step by step. When Chromium or the npm packages are missing,
:func:`missing` says what to run (``.ci/install-chromium.sh``).
"""

from __future__ import annotations

import importlib.util
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from playwright.async_api import Browser, Page, Playwright

HERE = Path(__file__).resolve().parent
HARNESS = HERE / "harness.html"
NODE_MODULES = HERE / "node_modules"
REQUIRED_FILES = (
    NODE_MODULES / "adaptivecards" / "dist" / "adaptivecards.min.js",
    NODE_MODULES / "markdown-it" / "dist" / "markdown-it.min.js",
)
CHROMIUM = Path(os.environ.get("TRUNKBOT_CHROMIUM", "/usr/bin/chromium"))
# On a machine without internet Chromium hangs on its background services unless told not
# to use them.
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
TIMEOUT_MS = 5_000  # a card renders in milliseconds; a stuck step fails fast
INSTALL_HINT = "run .ci/install-chromium.sh (as root) to install Chromium and the npm packages"


def missing() -> str | None:
    """Why the browser tests can't run here, or None when they can."""
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing: {INSTALL_HINT}"
    for path in REQUIRED_FILES:
        if not path.exists():
            return f"{path.relative_to(HERE)} is missing: {INSTALL_HINT}"
    if importlib.util.find_spec("playwright") is None:
        return "the playwright Python package is missing: pip install -e '.[test]'"
    return None


class SubmitBlocked(AssertionError):
    """The renderer refused to run the action: some inputs failed its validation."""

    def __init__(self, title: str, invalid: Sequence[Mapping[str, str]]) -> None:
        self.invalid = [dict(i) for i in invalid]
        ids = ", ".join(i["id"] for i in self.invalid) or "none reported"
        super().__init__(f"the renderer refused {title!r}; invalid inputs: {ids}")


@dataclass
class Executed:
    """One action the renderer executed: its type, title and (for a submit) the data."""

    type: str
    title: str
    data: dict[str, Any] | None = field(default=None)


class RenderedCard:
    """A card rendered in the page: fill it in, click its buttons, look at it."""

    def __init__(self, page: Page) -> None:
        self.page = page

    def _control(self, input_id: str) -> Any:
        return self.page.locator(f'[data-input-id="{input_id}"]')

    async def fill(self, input_id: str, value: str | bool) -> None:
        """Set input ``input_id`` the way a person would: type into a text field, pick a
        choice (by its value), tick or untick a toggle (``True``/``False`` or its value)."""
        info = await self.page.evaluate("id => trunkbotCards.inputInfo(id)", input_id)
        control = self._control(input_id)
        if info["kind"] == "Input.ChoiceSet":
            await control.select_option(value=str(value))
        elif info["kind"] == "Input.Toggle":
            checked = value if isinstance(value, bool) else value == info["valueOn"]
            await control.set_checked(checked)
        else:
            await control.fill(str(value))

    async def fill_all(self, values: Mapping[str, str | bool]) -> None:
        for input_id, value in values.items():
            await self.fill(input_id, value)

    async def value(self, input_id: str) -> str:
        """What the control shows now (a text, the chosen value, "on"/"" for a toggle)."""
        control = self._control(input_id)
        if await control.get_attribute("type") == "checkbox":
            return "on" if await control.is_checked() else ""
        return await control.input_value()

    async def click(self, title: str) -> Executed:
        """Press the button titled ``title``; the action the renderer executed, or
        :class:`SubmitBlocked` when its input validation refused."""
        before = len(await self.page.evaluate("trunkbotCards.executed()"))
        await self.page.get_by_role("button", name=title, exact=True).click()
        executed = await self.page.evaluate("trunkbotCards.executed()")
        if len(executed) == before:
            raise SubmitBlocked(title, await self.invalid_inputs())
        last = executed[-1]
        return Executed(type=last["type"], title=last["title"], data=last.get("data"))

    async def invalid_inputs(self) -> list[dict[str, str]]:
        """Inputs the renderer considers invalid now (id and the errorMessage it shows)."""
        result: list[dict[str, str]] = await self.page.evaluate("trunkbotCards.invalidInputs()")
        return result

    async def is_visible(self, element_id: str) -> bool:
        """Whether element ``element_id`` is shown."""
        visible: bool = await self.page.evaluate("id => trunkbotCards.isVisible(id)", element_id)
        return visible

    async def text(self) -> str:
        """The card's text as a person sees it."""
        return await self.page.inner_text("#card")

    async def html(self) -> str:
        return await self.page.inner_html("#card")

    async def screenshot(self, path: str | Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        await self.page.locator("#card").screenshot(path=str(path), animations="disabled")
        return path


class CardBrowser:
    """Headless Chromium with the harness page open; one page, one card at a time."""

    def __init__(self) -> None:
        self._playwright: Playwright | None = None
        self._browser: Browser | None = None
        self._page: Page | None = None
        self.console: list[str] = []  # the page's console messages, for failing tests

    async def __aenter__(self) -> CardBrowser:
        reason = missing()
        if reason:
            raise RuntimeError(reason)
        from playwright.async_api import async_playwright

        self._playwright = await async_playwright().start()
        try:
            self._browser = await self._playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=list(CHROMIUM_ARGS), timeout=30_000
            )
            self._page = await self._browser.new_page(viewport={"width": 640, "height": 1600})
            self._page.set_default_timeout(TIMEOUT_MS)
            self._page.on("console", lambda m: self.console.append(f"{m.type}: {m.text}"))
            self._page.on("pageerror", lambda e: self.console.append(f"pageerror: {e}"))
            await self._page.goto(HARNESS.as_uri())
            await self._page.wait_for_function("window.trunkbotCards !== undefined")
        except BaseException:
            await self.__aexit__(None, None, None)
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._browser is not None:
            await self._browser.close()
        if self._playwright is not None:
            await self._playwright.stop()
        self._browser = self._playwright = self._page = None

    @property
    def page(self) -> Page:
        if self._page is None:
            raise RuntimeError("use CardBrowser as `async with CardBrowser() as browser`")
        return self._page

    async def renderer_version(self) -> str:
        """The newest schema version the loaded renderer knows (we target 1.3)."""
        version: str = await self.page.evaluate("trunkbotCards.version")
        return version

    async def validation_errors(self, card: Mapping[str, Any]) -> list[str]:
        """Every event of parsing and validating ``card`` at 1.3, and every property the
        renderer doesn't know at 1.3; empty for a good card."""
        errors: list[str] = await self.page.evaluate(
            "card => trunkbotCards.validate(card)", _plain_json(card)
        )
        return errors

    async def render(self, card: Mapping[str, Any]) -> RenderedCard:
        await self.page.evaluate("card => trunkbotCards.render(card)", _plain_json(card))
        return RenderedCard(self.page)

    async def submit(
        self,
        card: Mapping[str, Any],
        fill: Mapping[str, str | bool] | None = None,
        click: str = "Review",
        *,
        press: Sequence[str] = (),
    ) -> dict[str, Any]:
        """Render ``card``, press the buttons in ``press`` (e.g. "Certificate-based
        settings"), fill in ``fill`` (input id → value), click ``click``, and return the
        submitted data: the action's ``data`` merged with the inputs, exactly what a Webex
        client posts as ``inputs``. Raises :class:`SubmitBlocked` if the renderer refuses.
        """
        rendered = await self.render(card)
        for title in press:
            await rendered.click(title)
        await rendered.fill_all(fill or {})
        executed = await rendered.click(click)
        if executed.data is None:
            raise AssertionError(f"{click!r} is a {executed.type}, not a submit action")
        return executed.data

    async def screenshot(
        self,
        card: Mapping[str, Any],
        path: str | Path,
        fill: Mapping[str, str | bool] | None = None,
    ) -> Path:
        """A PNG of ``card`` as rendered (after filling in ``fill``)."""
        rendered = await self.render(card)
        await rendered.fill_all(fill or {})
        return await rendered.screenshot(path)


def _plain_json(card: Mapping[str, Any]) -> Any:
    """The card as JSON would carry it (a Mapping → dict; fails on anything not JSON)."""
    return json.loads(json.dumps(card))
