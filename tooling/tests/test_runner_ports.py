"""`muistot-dev run`'s plan before it starts anything: instances per service (`MUISTOT_SCALE`), their ports,
the embedded Redis port, and the check that every port is free (real sockets on 127.0.0.1)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from muistot.settings import SERVICES, ConfigError, Settings
from muistot_tooling.runner import PortInUse, ensure_ports_free, stack_ports
from muistot_tooling.testing.ports import free_ports


def settings(tmp_path: Path, **values: object) -> Settings:
    return Settings(_env_file=None, var_dir=tmp_path, **values)


def test_scale_names_instances_per_service_on_ports_ten_apart(tmp_path: Path) -> None:
    scaled = settings(tmp_path, scale="data=3, login=2")
    assert scaled.scale_map == {"data": 3, "login": 2}
    assert scaled.instance_ports("data") == [5614, 5624, 5634]
    assert scaled.instance_ports("login") == [5611, 5621]
    assert scaled.instance_ports("users") == [5612]
    # With the default ports no instance of one service lands on another's.
    every = [port for name in SERVICES for port in settings(tmp_path, scale="login=8,users=8,admin=8,data=8")
             .instance_ports(name)]
    assert len(every) == len(set(every)) == 32


@pytest.mark.parametrize("value", ["data", "data=0", "data=9", "data=two", "nowhere=2", "data=2,data=3", "data=-1"])
def test_malformed_scale_is_a_one_line_config_error(tmp_path: Path, value: str) -> None:
    with pytest.raises(ConfigError, match="MUISTOT_SCALE") as raised:
        settings(tmp_path, scale=value).check()
    assert "\n" not in str(raised.value)


def test_the_default_redis_is_the_embedded_one_on_its_configured_port(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("MUISTOT_REDIS_URL", raising=False)
    monkeypatch.setenv("MUISTOT_EMBEDDED_REDIS_PORT", "7499")
    moved = Settings(_env_file=None, var_dir=tmp_path)
    assert moved.redis_url == "redis://127.0.0.1:7499/0"
    assert moved.cache_redis_url == "redis://127.0.0.1:7499/1"
    # A configured Redis is used as given.
    assert settings(tmp_path, redis_url="redis://db.example:6379/4").redis_url == "redis://db.example:6379/4"


def test_stack_ports_name_every_listener(tmp_path: Path) -> None:
    uses = stack_ports(settings(tmp_path, scale="data=2"), embedded_redis_port=5699)
    assert [(use.port, use.owner) for use in uses] == [
        (5600, "the gateway"), (5690, "the gateway's internal entry point"), (5611, "the login service"),
        (5612, "the users service"), (5613, "the admin service"), (5614, "the data service"),
        (5624, "data instance 2"), (5699, "the embedded Redis")]
    alone = stack_ports(settings(tmp_path), ("data",), gateway=False)
    assert [use.port for use in alone] == [5614]


@pytest.fixture
def listening() -> Iterator[int]:
    """A port someone else is listening on."""
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        yield other.getsockname()[1]


def test_a_port_in_use_stops_the_plan_with_one_line_naming_it(tmp_path: Path, listening: int) -> None:
    gateway, metrics, *services = free_ports(6)
    ports = dict(zip((f"{name}_port" for name in SERVICES), services, strict=False))
    free = settings(tmp_path, gateway_port=gateway, metrics_port=metrics, **ports)
    ensure_ports_free(stack_ports(free))
    with pytest.raises(PortInUse) as raised:
        ensure_ports_free(stack_ports(free.model_copy(update={"data_port": listening})))
    assert str(raised.value) == (f"port {listening} (the data service, MUISTOT_DATA_PORT) is already in use on "
                                 "127.0.0.1: stop what listens there or choose another port")
    with pytest.raises(PortInUse, match=f"port {listening} \\(the embedded Redis, MUISTOT_EMBEDDED_REDIS_PORT\\)"):
        ensure_ports_free(stack_ports(free, embedded_redis_port=listening))


def test_two_parts_of_the_stack_on_one_port_are_refused(tmp_path: Path) -> None:
    clash = settings(tmp_path, scale="login=2", users_port=5621)
    with pytest.raises(PortInUse, match=r"port 5621 is set for both login instance 2 .* and the users service"):
        ensure_ports_free(stack_ports(clash))
