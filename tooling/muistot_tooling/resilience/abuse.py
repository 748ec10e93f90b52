"""Abuse cases, each a pass/fail check of what an attacker or a careless client observes: forged and
expired identities and tokens, header look-alikes, traversal, hostile text in every text field, oversized
requests, login floods and guesses (the attacker is stopped, the owner is not), and people acting on what
is not theirs."""

from __future__ import annotations

import http.client
import re
import secrets
import time
from collections.abc import Callable
from typing import Any

import httpx

from muistot_tooling.resilience.context import Case, Run, client_address, create_project, create_site
from muistot_tooling.resilience.people import Person, identity_header
from muistot_tooling.resilience.progress import say
from muistot_tooling.resilience.record import is_json_error

HOSTILE = "Robert'); DROP TABLE memories;-- \" OR 1=1 # \\ %_ ` $1 <b>&amp; 😀 𝕳 🇫🇮 𠜎"
CONTROL = {"ESC": "a\x1b[31mb", "NUL": "a\x00b", "C1 CSI": "a\x9bb", "BEL": "a\x07b"}
PASSWORD = "oikea-salasana-1952"  # noqa: S105 (a throw-away account of the run)
MAIL_TIMEOUT = 30.0


def _status(response: httpx.Response) -> str:
    return f"{response.status_code} {response.headers.get('content-type', '')} {response.text[:160]!r}"


def answered(response: httpx.Response, *statuses: int) -> str:
    """'' when the answer is one of `statuses` in the JSON envelope (or a success among them), else why not."""
    if response.status_code not in statuses:
        return f"expected {'/'.join(map(str, statuses))}, got {_status(response)}"
    if response.status_code >= 400 and not is_json_error(response):
        return f"not the JSON envelope: {_status(response)}"
    return ""


class Checks:
    """The cases, collected with their outcome."""

    def __init__(self, run: Run) -> None:
        self.run = run
        self.cases: list[Case] = []

    def check(self, name: str, problem: str) -> None:
        self.cases.append(Case(name, not problem, problem))
        if problem:
            say(f"  abuse FAILED: {name}: {problem}")

    def guarded(self, name: str, probe: Callable[[], str]) -> None:
        try:
            self.check(name, probe())
        except (httpx.HTTPError, KeyError, ValueError, OSError) as exc:
            self.check(name, f"{type(exc).__name__}: {exc}")


# --- identities and tokens ---------------------------------------------------------------------


def identities(checks: Checks, client: httpx.Client, person: Person) -> None:
    run = checks.run
    secret = run.settings.identity_secret
    valid = identity_header(secret, person, superuser=True)
    wrong_key = identity_header(secrets.token_hex(32), person, superuser=True)
    expired = identity_header(secret, person, superuser=True, age=3600)
    users = run.stack.service_url("users")
    checks.guarded("identity header signed with another key, through the gateway",
                   lambda: answered(client.get("/me", headers={"X-Muistot-Identity": wrong_key}), 401))
    checks.guarded("identity header signed with the real key, sent by a client to the gateway",
                   lambda: answered(client.get("/me", headers={"X-Muistot-Identity": valid}), 401))
    checks.guarded("identity header signed with another key, at a service's own port",
                   lambda: answered(httpx.get(f"{users}/me", headers={"X-Muistot-Identity": wrong_key}), 401))
    checks.guarded("expired identity header (real key), at a service's own port",
                   lambda: answered(httpx.get(f"{users}/me", headers={"X-Muistot-Identity": expired}), 401))
    checks.guarded("identity header with a bad signature format, at a service's own port",
                   lambda: answered(httpx.get(f"{users}/me", headers={"X-Muistot-Identity": "a.b.c"}), 401))
    for name in ("X_Muistot_Identity", "x-muistot-identity", "X-MUISTOT-IDENTITY", "X.Muistot.Identity",
                 "X-Muistot_Identity", "X_Muistot-Identity", "Muistot-Identity", "X-Muistot-Identity "):
        header = name.strip()
        checks.guarded(f"look-alike identity header {name!r} (real key) through the gateway",
                       lambda header=header: answered(client.get("/me", headers={header: valid}), 401))
    # Two identity headers: a forged one after the gateway's own.
    checks.guarded("a signed-in request with a second, forged identity header",
                   lambda: _own_identity(client, person, valid))
    checks.guarded("random bearer token", lambda: answered(
        client.get("/me", headers={"Authorization": f"Bearer {secrets.token_urlsafe(32)}"}), 401))
    checks.guarded("malformed Authorization header", lambda: answered(
        client.get("/me", headers={"Authorization": "Bearer " + "!" * 5000}), 401))
    checks.guarded("token of a signed-out session", lambda: _signed_out(client, run.person()))
    checks.guarded("token of a session ended from another device", lambda: _ended_elsewhere(client, run))


def _own_identity(client: httpx.Client, person: Person, forged_superuser: str) -> str:
    """A normal user adding a superuser identity header gets their own identity, not a superuser's."""
    answer = client.get("/admin/superusers", headers=[("Authorization", person.headers["Authorization"]),  # type: ignore[arg-type]
                                                      ("X-Muistot-Identity", forged_superuser)])
    return answered(answer, 403)


def _signed_out(client: httpx.Client, person: Person) -> str:
    out = client.delete("/me", headers=person.headers)
    if out.status_code != 204:
        return f"sign-out answered {_status(out)}"
    return answered(client.get("/me", headers=person.headers), 401)


def _ended_elsewhere(client: httpx.Client, run: Run) -> str:
    person = run.person()
    ended = client.delete(f"/me/sessions/{person.session_id}", headers=person.headers)
    if ended.status_code not in (200, 204):
        return f"ending the session answered {_status(ended)}"
    return answered(client.get("/me/sessions", headers=person.headers), 401)


# --- paths and sizes ---------------------------------------------------------------------------


def _raw_get(run: Run, path: str) -> tuple[int, str, str, bool]:
    """GET with the path exactly as given (no client normalises `..`)."""
    connection = http.client.HTTPConnection("127.0.0.1", run.settings.gateway_port, timeout=15)
    try:
        connection.putrequest("GET", path, skip_accept_encoding=True)
        connection.endheaders()
        response = connection.getresponse()
        routed = response.getheader("x-request-id") is not None
        return response.status, response.getheader("content-type", ""), response.read().decode(errors="replace"), \
            routed
    finally:
        connection.close()


def traversal(checks: Checks) -> None:
    for path in ("/images/../../../../etc/passwd", "/images/..%2f..%2f..%2fetc%2fpasswd",
                 "/images/%2e%2e/%2e%2e/%2e%2e/etc/passwd", "/images/....//....//etc/passwd",
                 "/projects/../admin/superusers", "/images/%252e%252e%252fetc%252fpasswd",
                 "/images/..\\..\\etc\\passwd", "/images/a%00.jpg"):
        def probe(path: str = path) -> str:
            status, content_type, body, routed = _raw_get(checks.run, path)
            if "root:" in body:
                return f"{status}: the file's content came back"
            if not 400 <= status < 500:
                return f"expected a 4xx, got {status} {body[:120]!r}"
            # Traefik refuses encoded slashes, backslashes and NULs, and raw backslashes, before any route
            # applies, with its own 400 (the README's limits table): only a routed answer must be JSON.
            if routed and not content_type.startswith("application/json"):
                return f"{status} is not the JSON envelope: {content_type} {body[:120]!r}"
            return ""
        checks.guarded(f"path traversal {path}", probe)


def sizes(checks: Checks, client: httpx.Client, person: Person) -> None:
    run = checks.run
    memories = f"/projects/{run.project}/sites/{run.site}/memories"
    big = b'{"title": "iso", "story": "' + b"x" * (20 * 1024 * 1024) + b'"}'
    checks.guarded("a 20 MB body", lambda: answered(client.post(memories, content=big, headers={
        **person.headers, "content-type": "application/json"}), 413))
    checks.guarded("a 20 kB query string", lambda: answered(client.get("/projects", params={"q": "x" * 20_000}), 414))
    checks.guarded("a 70 kB header", lambda: answered(client.get("/projects", headers={"X-Filler": "x" * 70_000}), 431))
    checks.guarded("deeply nested JSON", lambda: answered(client.post(memories, content=b"[" * 100_000 + b"]" * 100_000,
                   headers={**person.headers, "content-type": "application/json"}), 422, 400))


# --- text in every field -----------------------------------------------------------------------


def _fields(run: Run, client: httpx.Client, owner: Person, project: str, site: str,
            memory: int) -> list[tuple[str, Callable[[str], httpx.Response], Callable[[], Any]]]:
    """(name, write the value, read it back) for every text field a person can write."""
    base = f"/projects/{project}"
    site_path = f"{base}/sites/{site}"
    memory_path = f"{site_path}/memories/{memory}"
    admin = run.admin
    assert admin is not None

    def info_writer(path: str, key: str) -> Callable[[str], httpx.Response]:
        return lambda value: client.patch(path, headers=admin.headers, json={"info": {
            "lang": "fi", "name": value if key == "name" else "Nimi", key: value}})

    def info_reader(path: str, key: str) -> Callable[[], Any]:
        return lambda: client.get(path, headers=admin.headers, params={"lang": "fi"}).json()["info"][key]

    comment_holder: dict[str, str] = {}

    def write_comment(value: str) -> httpx.Response:
        answer = client.post(f"{memory_path}/comments", headers=owner.headers, json={"comment": value})
        if answer.status_code == 201:
            comment_holder["path"] = re.sub(r"^https?://[^/]+", "", answer.headers["location"])
        return answer

    reported: dict[str, int] = {}

    def write_report(value: str) -> httpx.Response:
        """A report with this reason on a memory of its own, so the export names it unambiguously."""
        created = client.post(f"{site_path}/memories", headers=admin.headers, json={"title": "Ilmianto", "story": "x"})
        reported["memory"] = int(created.headers["location"].rstrip("/").rsplit("/", 1)[1])
        return client.put(f"{site_path}/memories/{reported['memory']}/report", headers=owner.headers,
                          json={"reason": value})

    def read_report() -> Any:
        reports = client.get("/me/export", headers=owner.headers).json()["reports"]
        return next(report["reason"] for report in reports if report.get("memory") == reported["memory"])

    fields: list[tuple[str, Callable[[str], httpx.Response], Callable[[], Any]]] = [
        ("report reason", write_report, read_report)]
    for key in ("name", "abstract", "description"):
        fields.append((f"project {key}", info_writer(base, key), info_reader(base, key)))
        fields.append((f"site {key}", info_writer(site_path, key), info_reader(site_path, key)))
    for key in ("title", "story"):
        fields.append((f"memory {key}", lambda value, key=key: client.patch(memory_path, headers=owner.headers,
                                                                            json={key: value}),
                       lambda key=key: client.get(memory_path, headers=owner.headers).json()[key]))
    fields.append(("comment", write_comment,
                   lambda: client.get(comment_holder["path"], headers=owner.headers).json()["comment"]))
    for key in ("first_name", "last_name", "city"):
        fields.append((f"profile {key}", lambda value, key=key: client.patch("/me", headers=owner.headers,
                                                                             json={key: value}),
                       lambda key=key: client.get("/me", headers=owner.headers).json()[key]))
    fields.append(("username", lambda value: client.post("/me/username", headers=owner.headers,
                                                         params={"username": value}),
                   lambda: client.get("/me", headers=owner.headers).json()["username"]))
    return fields


def texts(checks: Checks, client: httpx.Client, owner: Person) -> None:
    run = checks.run
    assert run.admin is not None
    project = create_project(client, run.admin)
    site = create_site(client, run.admin, project)
    memory = client.post(f"/projects/{project}/sites/{site}/memories", headers=owner.headers,
                         json={"title": "Tekstit", "story": "Alku"})
    if memory.status_code != 201:
        raise ValueError(f"could not create a memory: {_status(memory)}")
    memory_id = int(memory.headers["location"].rstrip("/").rsplit("/", 1)[1])
    for name, write, read in _fields(run, client, owner, project, site, memory_id):
        def stored_verbatim(write: Callable[[str], httpx.Response] = write, read: Callable[[], Any] = read) -> str:
            answer = write(HOSTILE)
            if answer.status_code == 422 and is_json_error(answer):
                return ""
            if answer.status_code not in (200, 201, 204):
                return f"expected 2xx or 422, got {_status(answer)}"
            back = read()
            return "" if back == HOSTILE else f"read back {back!r}"
        checks.guarded(f"SQL metacharacters and 4-byte Unicode in the {name}", stored_verbatim)
        for label, value in CONTROL.items():
            if label != "ESC" and name not in ("memory title", "comment"):
                continue  # every character on two fields, ESC on every field
            checks.guarded(f"{label} in the {name}", lambda write=write, value=value: answered(write(value), 422))


# --- login floods and guesses ------------------------------------------------------------------


def _password_login(client: httpx.Client, username: str, password: str, ip: str) -> httpx.Response:
    return client.post("/auth/password", json={"username": username, "password": password},
                       headers={"X-Forwarded-For": ip})


def logins(checks: Checks, client: httpx.Client) -> None:
    run = checks.run
    owner = run.person(password=PASSWORD)
    attacker, home = client_address(), client_address()
    wrong = [_password_login(client, owner.username, f"arvaus-{n}", attacker) for n in range(8)]
    checks.check("password guesses for one account from one client end in 429 with Retry-After",
                 "" if wrong[-1].status_code == 429 and wrong[-1].headers.get("retry-after") and
                 is_json_error(wrong[-1]) else f"last of 8 guesses: {_status(wrong[-1])}")
    checks.guarded("the owner signs in with the right password from their own network meanwhile",
                   lambda: answered(_password_login(client, owner.username, PASSWORD, home), 200))

    # One client spends an address's mail allowance; the owner still signs in with their password.
    flood = [client.post("/auth/email", params={"email": owner.email}, headers={"X-Forwarded-For": attacker})
             for _ in range(6)]
    checks.check("login-mail requests for one address end in 429",
                 "" if flood[-1].status_code == 429 and is_json_error(flood[-1]) else _status(flood[-1]))
    checks.guarded("after a mail flood the owner still signs in with their password",
                   lambda: answered(_password_login(client, owner.username, PASSWORD, client_address()), 200))

    # Wrong guesses at a login link cost the guesser, not the link.
    checks.guarded("wrong guesses at a login link get 429, the owner's link still works",
                   lambda: _link_guesses(run, client))

    # Failed attempts from one address: that address gets 429, another signs in.
    checks.guarded("failed sign-ins from one IP get 429, a person at another IP signs in",
                   lambda: _ip_flood(run, client, owner))


def _mailed_link(run: Run, email: str, before: int) -> dict[str, str]:
    deadline = time.monotonic() + MAIL_TIMEOUT
    while len(run.smtp.to(email)) <= before:
        if time.monotonic() > deadline:
            raise ValueError(f"no login mail to {email}")
        time.sleep(0.1)
    message = run.smtp.to(email)[before]
    body = message.get_body(preferencelist=("plain",))
    text = str(body.get_content()) if body is not None else ""
    found = re.search(r"#email-login:(\S+)", text)
    if not found:
        raise ValueError("no #email-login: link in the mail")
    return dict(part.split("=", 1) for part in found.group(1).split("&"))


def _link_guesses(run: Run, client: httpx.Client) -> str:
    owner = run.person()
    home, attacker = client_address(), client_address()
    before = len(run.smtp.to(owner.email))
    asked = client.post("/auth/email", params={"email": owner.email}, headers={"X-Forwarded-For": home})
    if asked.status_code != 204:
        return f"asking for a link: {_status(asked)}"
    link = _mailed_link(run, owner.email, before)
    guesses = [client.post("/auth/email/exchange", params={"user": link["user"], "token": secrets.token_urlsafe(24)},
                           headers={"X-Forwarded-For": attacker}) for _ in range(7)]
    if guesses[-1].status_code != 429 or not is_json_error(guesses[-1]):
        return f"7th wrong guess: {_status(guesses[-1])}"
    return answered(client.post("/auth/email/exchange", params=link, headers={"X-Forwarded-For": home}), 200)


def _ip_flood(run: Run, client: httpx.Client, owner: Person) -> str:
    flooder = client_address()
    attempts = run.settings.login_attempts_per_ip + 2
    last = None
    for n in range(attempts):
        last = _password_login(client, f"nobody{n}", "x" * 10, flooder)
    assert last is not None
    if last.status_code != 429 or not is_json_error(last):
        return f"attempt {attempts} from one IP: {_status(last)}"
    return answered(_password_login(client, owner.username, PASSWORD, client_address()), 200)


# --- other people's things ----------------------------------------------------------------------


def ownership(checks: Checks, client: httpx.Client) -> None:
    run = checks.run
    assert run.admin is not None
    owner, stranger, project_admin = run.person(), run.person(), run.person()
    own_project = create_project(client, run.admin, admins=[project_admin.username], auto_publish=False)
    other_project = create_project(client, run.admin, auto_publish=False)
    other_site = create_site(client, run.admin, other_project)
    site = create_site(client, run.admin, own_project)
    client.post(f"/projects/{own_project}/sites/{site}/publish", params={"publish": "true"}, headers=run.admin.headers)
    memory = client.post(f"/projects/{own_project}/sites/{site}/memories", headers=owner.headers,
                         json={"title": "Oma muisto", "story": "Vain minun."})
    if memory.status_code != 201:
        raise ValueError(f"could not create a memory: {_status(memory)}")
    memory_path = re.sub(r"^https?://[^/]+", "", memory.headers["location"])
    checks.guarded("a stranger reads another's unpublished memory",
                   lambda: answered(client.get(memory_path, headers=stranger.headers), 403, 404))
    client.post(f"{memory_path}/publish", params={"publish": "true"}, headers=run.admin.headers)
    comment = client.post(f"{memory_path}/comments", headers=owner.headers, json={"comment": "Oma kommentti"})
    if comment.status_code != 201:
        raise ValueError(f"could not create a comment: {_status(comment)}")
    comment_path = re.sub(r"^https?://[^/]+", "", comment.headers["location"])
    checks.guarded("a stranger edits another's memory",
                   lambda: answered(client.patch(memory_path, headers=stranger.headers, json={"title": "Minun"}),
                                    403, 404))
    checks.guarded("a stranger deletes another's memory",
                   lambda: answered(client.delete(memory_path, headers=stranger.headers), 403, 404))
    checks.guarded("a stranger edits another's comment",
                   lambda: answered(client.patch(comment_path, headers=stranger.headers, json={"comment": "Minun"}),
                                    403, 404))
    checks.guarded("the memory is unchanged after the stranger's attempts",
                   lambda: "" if client.get(memory_path, headers=owner.headers).json()["title"] == "Oma muisto"
                   else "changed")
    checks.guarded("a stranger publishes a memory",
                   lambda: answered(client.post(f"{memory_path}/publish", params={"publish": "true"},
                                                headers=stranger.headers), 403, 404))

    other = f"/projects/{other_project}"
    checks.guarded("a project admin edits their own project (the control case)",
                   lambda: answered(client.patch(f"/projects/{own_project}", headers=project_admin.headers,
                                                 json={"auto_publish": False}), 200, 204))
    attempts: list[tuple[str, Callable[[], httpx.Response]]] = [
        ("edits", lambda: client.patch(other, headers=project_admin.headers, json={"auto_publish": True})),
        ("publishes", lambda: client.post(f"{other}/publish", params={"publish": "false"},
                                          headers=project_admin.headers)),
        ("publishes a site of", lambda: client.post(f"{other}/sites/{other_site}/publish", params={"publish": "true"},
                                                    headers=project_admin.headers)),
        ("adds an admin to", lambda: client.post(f"{other}/admins", params={"username": project_admin.username},
                                                 headers=project_admin.headers)),
        ("deletes", lambda: client.delete(other, headers=project_admin.headers)),
    ]
    for verb, attempt in attempts:
        # A pending site of the other project is not even visible to them: 404 says no more than 403.
        statuses = (403, 404) if verb == "publishes a site of" else (403,)
        checks.guarded(f"an admin of one project {verb} another project",
                       lambda attempt=attempt, statuses=statuses: answered(attempt(), *statuses))
    checks.guarded("a project admin lists the superusers",
                   lambda: answered(client.get("/admin/superusers", headers=project_admin.headers), 403))


def every_case(run: Run) -> list[Case]:
    say("abuse cases")
    checks = Checks(run)
    with run.client(timeout=60) as client:
        groups: list[tuple[str, Callable[[], None]]] = [
            ("identities", lambda: identities(checks, client, run.person())),
            ("traversal", lambda: traversal(checks)),
            ("sizes", lambda: sizes(checks, client, run.person())),
            ("texts", lambda: texts(checks, client, run.person())),
            ("logins", lambda: logins(checks, client)),
            ("ownership", lambda: ownership(checks, client)),
        ]
        for name, group in groups:
            try:
                group()
            except (httpx.HTTPError, KeyError, ValueError, RuntimeError, OSError) as exc:
                checks.check(f"the {name} cases ran to the end", f"{type(exc).__name__}: {exc}")
    passed = sum(case.passed for case in checks.cases)
    say(f"abuse: {passed}/{len(checks.cases)} passed")
    return checks.cases
