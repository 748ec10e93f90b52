"""The faults, injected one after the other under the load; after each the stack must recover by itself
(no restart by hand): the gateway is ready again and a new write is stored and read back."""

from __future__ import annotations

import os
import secrets
import signal
import threading
import time
from collections.abc import Callable
from contextlib import closing

import httpx

from muistot_tooling.resilience.context import Case, Run, client_address, new_id
from muistot_tooling.resilience.progress import say
from muistot_tooling.resilience.record import is_clean_503

RECOVERY_TIMEOUT = 60.0
OUTAGE_SECONDS = 3.0  # how long a server stays down
MAIL_TIMEOUT = 40.0  # the worker retries a failed mail after 5 s


def _fresh_write(run: Run, client: httpx.Client) -> str:
    """'' when a new memory is stored and read back through the gateway, else what went wrong."""
    assert run.admin is not None
    title = new_id("probe")
    created = client.post(f"/projects/{run.project}/sites/{run.site}/memories", headers=run.admin.headers,
                          json={"title": title, "story": "Toipumisen koe."})
    if created.status_code != 201:
        return f"write {created.status_code}"
    path = created.headers["location"].split("://", 1)[-1].split("/", 1)[1]
    read = client.get(f"/{path}", headers=run.admin.headers)
    return "" if read.status_code == 200 and read.json()["title"] == title else f"read {read.status_code}"


def recovered(run: Run, timeout: float = RECOVERY_TIMEOUT) -> tuple[bool, str]:
    """Wait until the gateway is ready and a write goes through; (True, seconds) or (False, the last problem)."""
    started = time.monotonic()
    problem = "not tried"
    with run.client() as client:
        while time.monotonic() - started < timeout:
            try:
                ready = client.get("/ready")
                problem = f"/ready {ready.status_code}" if ready.status_code != 200 else _fresh_write(run, client)
            except httpx.HTTPError as exc:
                problem = f"{type(exc).__name__}: {exc}"
            if not problem:
                return True, f"recovered in {time.monotonic() - started:.1f} s"
            time.sleep(0.25)
    return False, f"not recovered within {timeout:.0f} s: {problem}"


def _degraded(response: httpx.Response) -> str:
    """'' when a request during an outage is answered the clean way (JSON 503 with Retry-After)."""
    if is_clean_503(response):
        return ""
    return f"{response.request.method} {response.request.url.path} answered {response.status_code} " \
           f"{response.headers.get('content-type')} {response.text[:160]!r}"


def _fault(run: Run, name: str, inject: Callable[[], str], restore: Callable[[], None] | None = None) -> Case:
    """Open the recorder's window, inject (returns '' or what was wrong meanwhile), restore, wait for recovery."""
    say(f"fault: {name}")
    window = run.recorder.open_window(name)
    try:
        during = inject()
    except (httpx.HTTPError, OSError, RuntimeError, ValueError) as exc:
        during = f"{type(exc).__name__}: {exc}"
    finally:
        if restore is not None:
            restore()
    ok, recovery = recovered(run)
    run.recorder.close_window(window)
    passed = ok and not during
    detail = "; ".join(part for part in (during, recovery) if part)
    say(f"  {'survived' if passed else 'FAILED'}: {detail}")
    return Case(name, passed, detail)


# --- servers stopped and started again ---------------------------------------------------------


def redis_outage(run: Run) -> Case:
    def inject() -> str:
        run.redis.stop()
        time.sleep(OUTAGE_SECONDS)
        assert run.admin is not None
        with run.client() as client:
            return _degraded(client.get("/me", headers=run.admin.headers))

    return _fault(run, "Redis stopped and started again", inject, run.redis.start)


def mariadb_outage(run: Run) -> Case:
    def inject() -> str:
        run.mariadb.stop()
        time.sleep(OUTAGE_SECONDS)
        assert run.admin is not None
        with run.client() as client:
            return _degraded(client.post(f"/projects/{run.project}/sites/{run.site}/memories",
                                         headers=run.admin.headers, json={"title": new_id("down"), "story": "x"}))

    return _fault(run, "MariaDB stopped and started again", inject, run.mariadb.start)


def table_lock(run: Run) -> Case:
    """`LOCK TABLES memories WRITE` held past the request deadline: writes answer the JSON 503, and none
    of them is committed once the lock is gone."""
    hold = run.settings.request_timeout + 4
    refused: list[str] = []
    problems: list[str] = []

    def write(title: str) -> None:
        assert run.admin is not None
        with run.client() as client:
            answer = client.post(f"/projects/{run.project}/sites/{run.site}/memories", headers=run.admin.headers,
                                 json={"title": title, "story": "Lukon alla."})
        if is_clean_503(answer):
            refused.append(title)
        else:
            problems.append(_degraded(answer))

    def inject() -> str:
        with closing(run.mariadb.connect()) as connection:
            with connection.cursor() as cursor:
                cursor.execute("LOCK TABLES memories WRITE")
            started = time.monotonic()
            writers = [threading.Thread(target=write, args=(new_id("locked"),)) for _ in range(3)]
            for thread in writers:
                thread.start()
                time.sleep(0.5)
            for thread in writers:
                thread.join(timeout=hold)
            time.sleep(max(0.0, hold - (time.monotonic() - started)))
            with connection.cursor() as cursor:
                cursor.execute("UNLOCK TABLES")
        time.sleep(1.0)
        lock_window = run.recorder.windows[-1].started
        writes = run.load.writes if run.load is not None else []
        refused_by_load = [w.text for w in writes if w.kind == "memory" and w.status == 503
                           and w.sent >= lock_window]
        committed = run.stored("memories", "title", refused + refused_by_load)
        if committed:
            problems.append(f"refused with 503 but committed: {sorted(committed)}")
        if len(refused) != len(writers):
            problems.append(f"{len(writers) - len(refused)} of {len(writers)} locked writes not answered 503")
        return "; ".join(problems)

    return _fault(run, f"table lock held {hold:.0f} s (request deadline {run.settings.request_timeout:.0f} s)",
                  inject)


# --- processes killed --------------------------------------------------------------------------


def _probe_for(run: Run, service: str) -> tuple[str, str, dict[str, str]]:
    assert run.admin is not None
    return {
        "login": ("GET", "/auth/status", run.admin.headers),
        "users": ("GET", "/me", run.admin.headers),
        "admin": ("GET", "/admin/superusers", run.admin.headers),
        "data": ("GET", f"/projects/{run.project}/sites/{run.site}", {}),
    }[service]


def killed_service(run: Run, service: str) -> Case:
    """`kill -9` of one service: its routes answer the JSON 503 with Retry-After (or, once it is back, as
    usual) until the runner has it serving again."""

    def inject() -> str:
        pid = run.stack.pid_of("serve", service)
        if pid is None:
            return f"no {service} process found"
        lines = run.stack.line_count()
        os.kill(pid, signal.SIGKILL)
        if run.stack.wait_line(f"{service} killed by SIGKILL", lines, 10) is None:
            return f"the runner did not see {service} die"
        method, path, headers = _probe_for(run, service)
        problems: list[str] = []
        clean_503s = 0
        with run.client() as client:
            deadline = time.monotonic() + RECOVERY_TIMEOUT
            while time.monotonic() < deadline:
                answer = client.request(method, path, headers=headers)
                if answer.status_code >= 500:
                    if _degraded(answer):
                        problems.append(_degraded(answer))
                    else:
                        clean_503s += 1
                elif answer.status_code >= 300:
                    problems.append(f"{method} {path} answered {answer.status_code}")
                if run.stack.wait_line(f"{service} is serving again", lines, 0) is not None and \
                        answer.status_code < 300:
                    break
                time.sleep(0.2)
            else:
                problems.append(f"{service} not serving again within {RECOVERY_TIMEOUT:.0f} s")
        if run.stack.pid_of("serve", service) in (None, pid):
            problems.append(f"no new {service} process")
        say(f"  {method} {path} answered {clean_503s} JSON 503s with Retry-After while {service} was down")
        return "; ".join(sorted(set(problems)))

    return _fault(run, f"kill -9 of the {service} service", inject)


def _request_link(run: Run, email: str) -> str:
    with run.client() as client:
        answer = client.post("/auth/email", params={"email": email}, headers={"X-Forwarded-For": client_address()})
    return "" if answer.status_code == 204 else f"POST /auth/email answered {answer.status_code}: {answer.text[:160]}"


def _delivered_once(run: Run, email: str) -> str:
    deadline = time.monotonic() + MAIL_TIMEOUT
    while not run.smtp.to(email):
        if time.monotonic() > deadline:
            return f"no mail to {email} within {MAIL_TIMEOUT:.0f} s"
        time.sleep(0.1)
    time.sleep(6.0)  # past the first retry: a second copy would have come by now
    count = len(run.smtp.to(email))
    return "" if count == 1 else f"{count} mails to {email}"


def killed_worker(run: Run) -> Case:
    """`kill -9` of the worker: a login mail asked for meanwhile goes out once it is back, once."""

    def inject() -> str:
        pid = run.stack.pid_of("muistot.cli", "worker")
        if pid is None:
            return "no worker process found"
        lines = run.stack.line_count()
        os.kill(pid, signal.SIGKILL)
        if run.stack.wait_line("worker killed by SIGKILL", lines, 10) is None:
            return "the runner did not see the worker die"
        email = f"worker-{secrets.token_hex(4)}@example.com"
        problem = _request_link(run, email)
        if problem:
            return problem
        if run.stack.wait_line("worker started again", lines, RECOVERY_TIMEOUT) is None:
            return "the worker was not started again"
        return _delivered_once(run, email)

    return _fault(run, "kill -9 of the worker", inject)


def mail_outage(run: Run) -> Case:
    """The SMTP server down while a login mail is asked for: it goes out once the server is back, once."""

    def inject() -> str:
        run.smtp.stop()
        email = f"mailout-{secrets.token_hex(4)}@example.com"
        try:
            problem = _request_link(run, email)
            time.sleep(OUTAGE_SECONDS)  # the worker's first attempt fails
        finally:
            run.smtp.start()
        return problem or _delivered_once(run, email)

    return _fault(run, "mail server down", inject)


def every_fault(run: Run, cases: list[Case]) -> None:
    """Each fault in turn, its outcome appended to `cases` as soon as it is known."""
    faults: list[Callable[[], Case]] = [lambda: redis_outage(run), lambda: mariadb_outage(run),
                                        lambda: table_lock(run)]
    faults += [lambda service=service: killed_service(run, service) for service in ("login", "users", "admin", "data")]
    faults += [lambda: killed_worker(run), lambda: mail_outage(run)]
    for fault in faults:
        cases.append(fault())
