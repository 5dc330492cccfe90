"""Locust sessions browsing the riskgrid demo the way a browser does (for ``load_test.py``).

Each user logs in through the /login form (an account from ``LT_ACCOUNTS``, a JSON list of
``[username, password]``; empty: log-in is off) and loads its start page as a browser does: the
page's HTML (its scripts and styles once, then from the browser's cache), ``/_dash-layout`` with
the page as ``Referer``, ``/_dash-dependencies``, the pages router when the layout's
``_pages_content`` is empty, and every ``/geojson/`` URL the JSON names (once: they are cached a
week). Then, every ``LT_THINK`` seconds (``MIN,MAX``), it changes the month (the callback with an
input ``*-month.value``), follows a link of the page (mostly a drill-down: a new page load), or
goes home; a wall account (start page ``/wall``) fires its interval and selector callbacks.
Bodies are built from ``/_dash-dependencies`` and the props in the layout and responses; the
callbacks they trigger (an output that is another callback's input) are posted too. Each
response must be 200 (callbacks: JSON with ``response``); anything else is a failure. Every
request's time goes to ``LT_RAW`` (JSON) when locust quits.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import time
from typing import Any
from urllib.parse import urlsplit

from locust import HttpUser, between, events, task

ACCOUNTS: list[list[str]] = json.loads(os.environ.get("LT_ACCOUNTS") or "[]")
THINK = [float(x) for x in (os.environ.get("LT_THINK") or "1,3").split(",")]
RAW: list[tuple[str, float, bool, float]] = []
STATIC = ("/_dash-component-suites/", "/assets/", "/_favicon")
_next_account = itertools.count()
ASSET = re.compile(r'<(?:script|link)\b[^>]*?\b(?:src|href)="(/[^"]+)"')
LINK_PREFIXES = ("/unit/", "/grid/", "/household/", "/problems/", "/sites")


@events.request.add_listener
def _record(name: str, response_time: float, exception: Any = None, **_: Any) -> None:
    RAW.append((name, response_time, exception is None, time.time()))


@events.quitting.add_listener
def _dump(**_: Any) -> None:
    if os.environ.get("LT_RAW"):
        with open(os.environ["LT_RAW"], "w", encoding="utf-8") as fh:
            json.dump(RAW, fh)


def outputs_of(output: str, *, keep_hash: bool = False) -> list[tuple[str, str]]:
    """``..a.b...c.d..`` or ``a.b`` -> ``[(id, prop)]``, the ``@hash`` of allow_duplicate off
    (``keep_hash``: kept, as the browser sends it in a request's ``outputs``)."""
    parts = output[2:-2].split("...") if output.startswith("..") else [output]
    pairs = [(p.rsplit(".", 1)[0], p.rsplit(".", 1)[1]) for p in parts]
    return pairs if keep_hash else [(i, prop.split("@", 1)[0]) for i, prop in pairs]


def walk(node: Any, found: dict[str, Any], kinds: dict[str, str], strings: set[str]) -> None:
    """Props of every component with a string id (``found["id.prop"]``), component types, and
    every ``/geojson/`` string, anywhere in a layout or response."""
    if isinstance(node, dict):
        props = node.get("props")
        if "type" in node and isinstance(props, dict) and isinstance(props.get("id"), str):
            kinds[props["id"]] = node["type"]
            for key, value in props.items():
                found[f"{props['id']}.{key}"] = value
        for value in node.values():
            walk(value, found, kinds, strings)
    elif isinstance(node, list):
        for value in node:
            walk(value, found, kinds, strings)
    elif isinstance(node, str) and node.startswith("/geojson/") and "{" not in node:
        strings.add(node)


class Browser(HttpUser):
    wait_time = between(THINK[0], THINK[-1])

    def on_start(self) -> None:
        self.cached: set[str] = set()  # static files and geojson: the browser's cache
        self.deps: list[dict[str, Any]] = []
        self.props: dict[str, Any] = {}
        self.kinds: dict[str, str] = {}
        self.page = "/"
        self.home = "/"
        if ACCOUNTS:
            username, password = ACCOUNTS[next(_next_account) % len(ACCOUNTS)]
            self.home = self.login(username, password) or "/"
        self.load(self.home)

    # ------------------------------------------------------------------ requests
    def login(self, username: str, password: str) -> str | None:
        with self.client.get("/login", name="login", catch_response=True) as r:
            token = re.search(r'name="csrf" value="([^"]+)"', r.text or "")
            if r.status_code != 200 or not token:
                r.failure(f"login form: {r.status_code}")
                return None
        data = {"username": username, "password": password, "csrf": token.group(1), "next": ""}
        with self.client.post(
            "/login", data=data, name="login", allow_redirects=False, catch_response=True
        ) as r:
            where = r.headers.get("Location", "")
            if r.status_code != 302 or "/login" in where:
                r.failure(f"log-in refused: {r.status_code} {where}")
                return None
            return urlsplit(where).path + (f"?{urlsplit(where).query}" if "?" in where else "")

    def get_json(self, method: str, path: str, name: str, key: str = "", **kw: Any) -> Any:
        """JSON of a 200 response (holding ``key`` when given), else a failure and None."""
        headers = {"Referer": self.client.base_url + self.page}
        with self.client.request(
            method, path, name=name, headers=headers, catch_response=True, **kw
        ) as r:
            try:
                body = r.json() if r.status_code == 200 else None
            except ValueError:
                body = None
            if body is None or (key and (not isinstance(body, dict) or key not in body)):
                sent = json.dumps(kw.get("json", {}).get("inputs"), ensure_ascii=False)
                r.failure(f"{r.status_code} {self.page} {sent[:200]}: {(r.text or '')[:200]!r}")
                return None
            return body

    def fetch_cached(self, paths: set[str], name: str) -> None:
        for path in sorted(paths - self.cached):
            with self.client.get(path, name=name, catch_response=True) as r:
                if r.status_code != 200 or not r.content:
                    r.failure(f"{r.status_code}")
            self.cached.add(path)

    def load(self, page: str) -> None:
        """A page opened by its address: HTML, layout, dependencies, router, geojson."""
        self.page = page
        with self.client.get(page, name="page", allow_redirects=False, catch_response=True) as r:
            if r.status_code != 200 or "_dash-config" not in (r.text or ""):
                where = r.headers.get("Location", "")
                r.failure(f"{r.status_code} {page} {where} {(r.text or '')[:200]!r}")
                return
            html = r.text
        assets = set(ASSET.findall(html))
        self.fetch_cached({a for a in assets if a.startswith(STATIC)}, "static")
        self.fetch_cached({a for a in assets if a.startswith("/geojson/")}, "geojson")
        layout = self.get_json("GET", "/_dash-layout", "layout")
        deps = self.get_json("GET", "/_dash-dependencies", "dependencies")
        if layout is None or not isinstance(deps, list):
            return
        self.deps, self.props, self.kinds = deps, {}, {}
        self.absorb(layout)
        if not self.props.get("_pages_content.children"):
            self.route()

    def absorb(self, node: Any) -> set[str]:
        """Take in a layout or a callback's ``response``; fetch its geojson; fire the server
        callbacks of new components that run on first render. Returns the ``id.prop`` the
        response set. Every dcc.Location holds the page's address, as in the browser."""
        found: dict[str, Any] = {}
        top: dict[str, Any] = {}
        geo: set[str] = set()
        before = set(self.kinds)
        if isinstance(node, dict) and "props" not in node:  # a callback's response
            for ident, values in node.items():
                for prop, value in values.items():
                    top[f"{ident}.{prop}"] = value
        walk(node, found, self.kinds, geo)
        self.props.update(found)
        self.props.update(top)
        self.set_location()
        self.fetch_cached(geo, "geojson")
        new = set(self.kinds) - before
        for d in self.deps:
            ids = {i["id"] for i in d["inputs"]}
            if not d.get("prevent_initial_call") and ids & new and self.usable(d):
                self.fire(d, [], "initial callback", 2)
        return set(top)

    def set_location(self) -> None:
        parts = urlsplit(self.page)
        for ident, kind in self.kinds.items():
            if kind == "Location":
                self.props[f"{ident}.pathname"] = parts.path
                self.props[f"{ident}.search"] = f"?{parts.query}" if parts.query else ""
                self.props[f"{ident}.href"] = self.client.base_url + self.page

    def route(self) -> None:
        """Dash's pages router: the callback whose output holds ``_pages_content``."""
        for d in self.deps:
            if not d.get("clientside_function") and "_pages_content" in d["output"]:
                self.fire(d, self.location_inputs(d), "router")
                return

    def usable(self, d: dict[str, Any]) -> bool:
        """A server callback whose inputs are all on the page (no pattern-matching ids)."""
        ids = [i["id"] for i in d["inputs"] + d["state"]]
        on_page = all(isinstance(i, str) and i in self.kinds and i[0] != "{" for i in ids)
        return on_page and not d.get("clientside_function")

    def location_inputs(self, d: dict[str, Any]) -> list[str]:
        return [f"{i['id']}.{i['property']}" for i in d["inputs"]]

    def fire(
        self, d: dict[str, Any], changed: list[str], name: str, depth: int = 0
    ) -> dict[str, Any] | None:
        """POST one callback as the renderer does, take in its answer, then the callbacks it
        triggers (chained) and a navigation it asks for (``rg-nav.href``: in-app, the router)."""

        def values(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
            keys = [(i, f"{i['id']}.{i['property']}") for i in items]
            return [
                {"id": i["id"], "property": i["property"]}
                | ({"value": self.props[k]} if k in self.props else {})
                for i, k in keys
            ]

        outputs = [{"id": i, "property": p} for i, p in outputs_of(d["output"], keep_hash=True)]
        body = {
            "output": d["output"],
            "outputs": outputs if d["output"].startswith("..") else outputs[0],
            "inputs": values(d["inputs"]),
            "state": values(d["state"]),
            "changedPropIds": changed,
        }
        path = "/_dash-update-component"
        answer = self.get_json("POST", path, name, "response", json=body)
        if answer is None:
            return None
        response = answer["response"]
        updated = self.absorb(response)
        nav = (response.get("rg-nav") or {}).get("href")
        if isinstance(nav, str):
            self.navigate(nav)
            return response
        if depth < 2:
            for other in self.deps:
                inputs = set(self.location_inputs(other))
                if other is not d and inputs & updated and self.usable(other):
                    self.fire(other, sorted(inputs & updated), "chained callback", depth + 1)
        return response

    def navigate(self, href: str) -> None:
        """A callback-nav link: the browser stays, the pages router renders the new page."""
        parts = urlsplit(href)
        self.page = parts.path + (f"?{parts.query}" if parts.query else "")
        self.set_location()
        self.route()

    # ------------------------------------------------------------------ behaviour
    def links(self) -> list[str]:
        hrefs: set[str] = set()
        for key, value in self.props.items():
            if key.endswith(".children") or key.endswith(".figure"):
                text = json.dumps(value)
                hrefs.update(re.findall(r'"href": "(/[^"]*)"', text))
        return sorted(h for h in hrefs if h.startswith(LINK_PREFIXES) and h != self.page)

    def change(self, suffix: str, name: str) -> bool:
        """Pick another value of a dropdown whose id ends with ``suffix`` and fire its callback."""
        for d in self.deps:
            for i in d["inputs"]:
                key = f"{i['id']}.{i['property']}"
                if not (key.endswith(suffix) and self.usable(d)):
                    continue
                options = self.props.get(f"{i['id']}.options") or []
                values = [o["value"] if isinstance(o, dict) else o for o in options]
                choices = [v for v in values if v != self.props.get(key)]
                if not choices:
                    return False
                self.props[key] = random.choice(choices)
                self.fire(d, [key], name)
                return True
        return False

    @task
    def step(self) -> None:
        if not self.deps:  # the last page load failed: open the start page again
            self.load(self.home)
            return
        if urlsplit(self.page).path.startswith("/wall"):
            self.wall_step()
            return
        action = random.choices(["month", "drill", "link", "home"], [4, 3, 1, 1])[0]
        if action == "month" and self.change("-month.value", "month callback"):
            return
        links = self.links()
        code = re.sub(r"\D", "", urlsplit(self.page).path)
        deeper = [h for h in links if len(re.sub(r"\D", "", urlsplit(h).path)) > len(code)]
        if action == "drill" and deeper:
            self.load(random.choice(deeper))
        elif action in ("drill", "link") and links:
            self.load(random.choice(links))
        else:
            self.load(self.home)

    def wall_step(self) -> None:
        """The wall: an interval tick (refresh or tour), sometimes another unit, rarely a reload."""
        action = random.choices(["tick", "select", "reload"], [6, 2, 1])[0]
        if action == "select" and self.change("-select.value", "wall callback"):
            return
        ticks = [
            d
            for d in self.deps
            if self.usable(d) and any(self.kinds.get(i["id"]) == "Interval" for i in d["inputs"])
        ]
        if action == "reload" or not ticks:
            self.load(self.page)
            return
        d = random.choice(ticks)
        timer = next(i for i in d["inputs"] if self.kinds.get(i["id"]) == "Interval")
        key = f"{timer['id']}.{timer['property']}"
        self.props[key] = int(self.props.get(key) or 0) + 1
        self.fire(d, [key], "wall callback")
