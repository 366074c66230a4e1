"""WebexHttp reads a response's cookies only when it sets some: the client's jar still
gets every cookie Webex sets and sends it back, and keeps the ones it already held."""

from __future__ import annotations

import httpx

from bot.webex.http import WebexHttp

BASE = "https://webexapis.test/v1"


async def _token() -> str:
    return "ADMIN-TOKEN-for-cookies"


async def test_cookies_set_by_webex_are_kept_and_sent_back() -> None:
    seen: list[str | None] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("cookie"))
        if request.url.path.endswith("/first"):
            return httpx.Response(200, json={}, headers={"Set-Cookie": "affinity=node7; Path=/"})
        return httpx.Response(200, json={})

    async with httpx.AsyncClient(base_url=BASE, transport=httpx.MockTransport(answer)) as client:
        client.cookies.set("held", "before", domain="webexapis.test")
        jar = client.cookies.jar
        http = WebexHttp(client, _token)
        await http.get_json("/first")
        await http.get_json("/second")
        assert client.cookies.jar is jar
        assert client.cookies.get("affinity") == "node7"
    assert seen[0] == "held=before"
    assert seen[1] is not None
    assert sorted(seen[1].split("; ")) == ["affinity=node7", "held=before"]


async def test_a_response_without_set_cookie_leaves_the_jar_as_it_was() -> None:
    transport = httpx.MockTransport(lambda _request: httpx.Response(200, json={"ok": True}))
    async with httpx.AsyncClient(base_url=BASE, transport=transport) as client:
        http = WebexHttp(client, _token)
        assert await http.get_json("/people/me") == {"ok": True}
        assert list(client.cookies.jar) == []
