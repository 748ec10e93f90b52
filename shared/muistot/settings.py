"""Configuration from `MUISTOT_*` environment variables (and an optional `.env` file)."""

from __future__ import annotations

import ipaddress
import re
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import unquote, urlsplit, urlunsplit

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from muistot.providers import OidcProvider, check_unique, parse_providers, production_problem

DEV_IDENTITY_SECRET = "dev-only-identity-secret-change-me-0123456789"  # noqa: S105 (refused in prod)
# Secrets this repository publishes as examples (the default above, `.env.example`, the Kubernetes dev overlay):
# anyone can read them, so production refuses them, and anything that reads like a placeholder.
PUBLISHED_SECRETS = frozenset({
    DEV_IDENTITY_SECRET,
    "change-me-to-a-random-value-of-32-or-more-characters",
    "dev-cluster-identity-secret-not-for-production",
    "change-me-muistot-db-password",
    "change-me-root-db-password",
    "muistot-dev-password",
})
PLACEHOLDER_WORDS = ("change-me", "changeme", "change_me", "not-for-production", "dev-only", "placeholder",
                     "example", "secret", "password")
# A random secret of 32+ characters has far more distinct characters than this.
MIN_DISTINCT_CHARACTERS = 12
SERVICES = ("login", "users", "admin", "data")
EMBEDDED_REDIS_PORT = 5699
# `MUISTOT_SCALE`: instance n (from 1) of a service listens on its port + INSTANCE_PORT_STEP × (n − 1), so the
# default service ports (5611–5614, one apart) never collide with one another's extra instances.
INSTANCE_PORT_STEP = 10
MAX_INSTANCES = 8
# `/segment(/segment)*`: unreserved URL characters only, so the prefix is safe in rules and regexps.
ROOT_PATH_PATTERN = re.compile(r"^(/[A-Za-z0-9_~-][A-Za-z0-9._~-]*)+$")


class ConfigError(Exception):
    """A setting is unusable; the message is one line meant for an operator."""


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MUISTOT_", env_file=".env", extra="ignore")

    env: Literal["dev", "test", "prod"] = "dev"
    var_dir: Path = Path("var")

    database_url: str = ""
    db_pool_size: int = Field(10, ge=1)
    db_pool_timeout: float = Field(10.0, gt=0)
    db_connect_timeout: float = Field(3.0, gt=0)
    # Every wait is bounded, each bound inside the next: a statement waits at most db_lock_timeout for a
    # lock and runs at most db_statement_timeout (MariaDB; 0 turns it off); a request is cancelled and
    # rolled back after request_timeout; the gateway gives up on a service after gateway_timeout.
    db_lock_timeout: int = Field(5, ge=1)
    db_statement_timeout: float = Field(10.0, ge=0)
    request_timeout: float = Field(20.0, ge=0)
    gateway_timeout: float = Field(30.0, gt=0)

    # The default is the embedded Redis `make run` starts (fakeredis on embedded_redis_port), so every
    # `muistot` command run beside it with the same settings (`session create`, `superuser grant`) reaches it.
    redis_url: str = ""
    embedded_redis_port: int = Field(EMBEDDED_REDIS_PORT, ge=1, le=65535)
    session_redis_url: str = ""
    cache_redis_url: str = ""
    redis_prefix: str = ""
    redis_timeout: float = Field(2.0, gt=0)
    redis_pool_size: int = Field(32, ge=1)

    identity_secret: str = DEV_IDENTITY_SECRET
    identity_ttl: int = Field(60, ge=5, le=3600)
    session_idle_seconds: int = Field(960, ge=30)
    session_max_seconds: int = Field(30 * 24 * 3600, ge=60)

    public_url: str = "http://localhost:3000"
    mail_url: str = ""
    mail_sender: str = "Muistotkartalla <do-not-reply@muistotkartalla.fi>"
    files_url: str = ""
    # Uploaded images: accepted formats (detected from the content) and the largest decoded size.
    image_types: str = "jpeg,png"
    max_image_bytes: int = Field(10 * 1024 * 1024, ge=1024)
    # The most pixels an upload may have (read from its header before decoding; Pillow's own bomb limit is
    # 89 million), and how many uploads one process decodes at once: together they bound its memory.
    max_image_pixels: int = Field(25_000_000, ge=1)
    image_workers: int = Field(2, ge=1)
    # The longest request line (414) and request head, line and headers together (431), a service accepts.
    max_url_bytes: int = Field(16 * 1024, ge=1024)
    max_header_bytes: int = Field(64 * 1024, ge=4096)
    # Anonymous GET responses of the data service are cached this long (seconds; 0 turns it off).
    cache_ttl: int = Field(60, ge=0)

    languages: str = "fi,en"
    default_language: str = "fi"

    cors_origins: str = "*"
    # Path prefix the whole API is served under through the gateway (`/api`); empty serves it at `/`.
    root_path: str = ""
    trusted_proxies: str = "127.0.0.1/32,::1/128"

    bcrypt_cost: int = Field(12, ge=4, le=16)
    password_min_length: int = Field(8, ge=1)
    # Login abuse limits (0 turns a limit off); they ban the client, never the victim. /auth/email and
    # /auth/register count requests per client IP and per e-mail address, per minute; exchange, confirm and
    # password count *failed* attempts per client IP, per minute (successes never count).
    login_limit_per_ip: int = Field(60, ge=0)
    login_limit_per_address: int = Field(3, ge=0)
    login_attempts_per_ip: int = Field(30, ge=0)
    # Failed password logins per account and client in 15 minutes before that client gets 429 for that account.
    login_password_failures: int = Field(5, ge=0)
    # Wrong guesses one client may make at one login link or registration code (then 429 for it); the link
    # stays valid for its owner.
    login_token_attempts: int = Field(5, ge=1)
    # Wrong guesses from anyone after which a registration code (6 digits) is dead.
    login_code_max_guesses: int = Field(100, ge=1)
    # Setting a first password or changing the e-mail address without the current password needs a sign-in
    # (link, code or password) at most this many seconds old; older sessions must sign in again.
    reauth_seconds: int = Field(15 * 60, ge=60)
    # Optional external username generator (`GET <url>/` → {"value": name}); the built-in one otherwise.
    namegen_url: str = ""
    # How long the worker retries a mail that has no expiry of its own (a login link has 10 minutes).
    mail_max_age_seconds: int = Field(24 * 3600, ge=60)
    # The worker's lease on the mail it holds, renewed while it works: after a crash, its mail goes out this
    # much later through another (or the restarted) worker.
    mail_lease_seconds: float = Field(10.0, ge=2)

    # OpenID Connect providers to sign in with (a JSON list; see `muistot.providers`). None by default.
    oidc_providers: Annotated[list[OidcProvider], NoDecode] = []
    # The gateway's public address (scheme, host, port), to which MUISTOT_ROOT_PATH is added: the base of the
    # callback URL providers send people back to. Empty: taken from each request, like `Location` headers.
    api_url: str = ""

    # Moderation: an item with more than this many uncleared reports is hidden until a moderator decides.
    report_hide_threshold: int = Field(10, ge=1)
    # Let any signed-in user create a project (they become its admin); otherwise superusers only.
    any_user_creates_projects: bool = False
    # Comments switched off: the data service mounts no comment routes and `include_comments` nests none.
    disable_comments: bool = False

    log_level: str = "INFO"
    log_json: bool = True

    gateway_port: int = 5600
    login_port: int = 5611
    users_port: int = 5612
    admin_port: int = 5613
    data_port: int = 5614
    metrics_port: int = 5690
    # `make run` instances per service, e.g. "data=2,login=2" (services not named run once).
    scale: str = ""
    # Where the gateway-side helpers (/docs specs, aggregate /ready) reach each service; empty means
    # 127.0.0.1 and the port above (compose and Kubernetes set their service names here).
    login_url: str = ""
    users_url: str = ""
    admin_url: str = ""
    data_url: str = ""

    @field_validator("database_url", "redis_url", "session_redis_url", "cache_redis_url", "mail_url",
                     "files_url", "public_url")
    @classmethod
    def _strip(cls, value: str) -> str:
        return value.strip()

    @field_validator("root_path", "api_url")
    @classmethod
    def _strip_words(cls, value: str) -> str:
        return value.strip()

    @field_validator("oidc_providers", mode="before")
    @classmethod
    def _providers_from_json(cls, value: object) -> object:
        return parse_providers(value)

    @field_validator("oidc_providers")
    @classmethod
    def _unique_providers(cls, value: list[OidcProvider]) -> list[OidcProvider]:
        return check_unique(value)

    @field_validator("disable_comments", mode="before")
    @classmethod
    def _set_means_on(cls, value: object) -> object:
        # The original switched comments off when the variable was set at all; only an explicit
        # false, 0, no or off (or an empty value) keeps them on.
        if isinstance(value, str):
            return value.strip().lower() not in ("", "0", "false", "no", "off")
        return value

    @model_validator(mode="after")
    def _fill_defaults(self) -> Settings:
        var = self.var_dir.resolve()
        if not self.redis_url:
            self.redis_url = f"redis://127.0.0.1:{self.embedded_redis_port}/0"
        if not self.database_url:
            self.database_url = f"sqlite+aiosqlite:///{var}/muistot.sqlite3"
        if not self.mail_url:
            self.mail_url = f"file://{var}/mail"
        if not self.files_url:
            self.files_url = f"file://{var}/files"
        if not self.session_redis_url:
            self.session_redis_url = self.redis_url
        if not self.cache_redis_url:
            self.cache_redis_url = _next_redis_db(self.redis_url)
        return self

    @property
    def language_list(self) -> list[str]:
        return _split(self.languages)

    @property
    def cors_origin_list(self) -> list[str]:
        return _split(self.cors_origins)

    @property
    def trusted_proxy_networks(self) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
        return [ipaddress.ip_network(net, strict=False) for net in _split(self.trusted_proxies)]

    def oidc_provider(self, name: str) -> OidcProvider | None:
        return next((provider for provider in self.oidc_providers if provider.name == name), None)

    @property
    def public_api_url(self) -> str:
        """MUISTOT_API_URL with the root path, no trailing slash; empty when taken from requests."""
        return self.api_url.rstrip("/") + self.root_path if self.api_url else ""

    def port_of(self, service: str) -> int:
        return int(getattr(self, f"{service}_port"))

    @property
    def scale_map(self) -> dict[str, int]:
        """`MUISTOT_SCALE` as {service: instances}; raises ConfigError when it is malformed."""
        scale: dict[str, int] = {}
        for part in _split(self.scale):
            name, sep, count = part.partition("=")
            name = name.strip()
            if not sep or name not in SERVICES or not count.strip().isdigit():
                raise ConfigError(f"MUISTOT_SCALE must look like data=2,login=2 (services: {', '.join(SERVICES)}), "
                                  f"not {self.scale!r}")
            if name in scale:
                raise ConfigError(f"MUISTOT_SCALE names {name} twice")
            scale[name] = int(count)
            if not 1 <= scale[name] <= MAX_INSTANCES:
                raise ConfigError(f"MUISTOT_SCALE: {name} must have 1 to {MAX_INSTANCES} instances, not {count}")
        return scale

    def instances(self, service: str) -> int:
        return self.scale_map.get(service, 1)

    def instance_ports(self, service: str) -> list[int]:
        """The ports of every `make run` instance of `service`, the first on its own `MUISTOT_<SERVICE>_PORT`."""
        first = self.port_of(service)
        return [first + INSTANCE_PORT_STEP * index for index in range(self.instances(service))]

    def check(self) -> None:
        """Reject unusable configurations with a one-line message (run at start-up)."""
        _ = self.scale_map
        for name in ("database_url",):
            scheme = urlsplit(getattr(self, name)).scheme
            if scheme not in ("sqlite+aiosqlite", "mysql+aiomysql", "mariadb+aiomysql", "sqlite", "mysql",
                              "mariadb"):
                raise ConfigError(f"MUISTOT_DATABASE_URL has an unsupported scheme {scheme!r}; use "
                                  "mysql+aiomysql://user:pass@host:3306/db or sqlite+aiosqlite:///path")
        for name in ("redis_url", "session_redis_url", "cache_redis_url"):
            url = urlsplit(getattr(self, name))
            if url.scheme not in ("redis", "rediss", "unix") or (url.scheme != "unix" and not url.hostname):
                raise ConfigError(f"MUISTOT_{name.upper()} is not a redis:// URL: {_redact(getattr(self, name))}")
        if urlsplit(self.mail_url).scheme not in ("smtp", "smtps", "file", "log"):
            raise ConfigError("MUISTOT_MAIL_URL must be smtp://, smtps://, file:///dir or log://")
        if urlsplit(self.files_url).scheme not in ("file", "s3"):
            raise ConfigError("MUISTOT_FILES_URL must be file:///dir or s3://bucket")
        if self.root_path and not ROOT_PATH_PATTERN.match(self.root_path):
            raise ConfigError(f"MUISTOT_ROOT_PATH must be empty or like /api (segments of letters, digits, "
                              f"'-', '_', '.', '~'; no trailing slash), not {self.root_path!r}")
        if self.api_url:
            api = urlsplit(self.api_url)
            if api.scheme not in ("http", "https") or not api.hostname or api.path not in ("", "/") \
                    or api.query or api.fragment:
                raise ConfigError("MUISTOT_API_URL must be the gateway's public address, like "
                                  "https://api.example.org (no path: MUISTOT_ROOT_PATH is added to it)")
        if self.default_language not in self.language_list:
            raise ConfigError("MUISTOT_DEFAULT_LANGUAGE must be one of MUISTOT_LANGUAGES")
        try:
            _ = self.trusted_proxy_networks
        except ValueError as exc:
            raise ConfigError(f"MUISTOT_TRUSTED_PROXIES: {exc}") from None
        self._check_time_limits()
        if self.env == "prod":
            if len(self.identity_secret) < 32 or looks_published(self.identity_secret) \
                    or len(set(self.identity_secret)) < MIN_DISTINCT_CHARACTERS:
                raise ConfigError("MUISTOT_IDENTITY_SECRET must be set to a random value of 32+ characters "
                                  "when MUISTOT_ENV=prod (not an example or placeholder value; e.g. "
                                  "`openssl rand -hex 32`)")
            for name in ("database_url", "redis_url", "session_redis_url", "cache_redis_url", "mail_url"):
                password = urlsplit(getattr(self, name)).password
                if password and looks_published(unquote(password)):
                    raise ConfigError(f"MUISTOT_{name.upper()} has an example or placeholder password; "
                                      "set a real one when MUISTOT_ENV=prod")
            for provider in self.oidc_providers:
                problem = production_problem(provider, looks_published)
                if problem:
                    raise ConfigError(f"MUISTOT_OIDC_PROVIDERS: {problem} (refused when MUISTOT_ENV=prod)")
            if "*" in self.cors_origin_list:
                raise ConfigError("MUISTOT_CORS_ORIGINS must list the frontend origins when MUISTOT_ENV=prod")

    def _check_time_limits(self) -> None:
        """Each bound must end inside the next, or a request could be committed after its answer."""
        if self.request_timeout and self.request_timeout >= self.gateway_timeout:
            raise ConfigError("MUISTOT_REQUEST_TIMEOUT must be shorter than MUISTOT_GATEWAY_TIMEOUT")
        limit = self.request_timeout or self.gateway_timeout
        if self.db_lock_timeout >= limit:
            raise ConfigError("MUISTOT_DB_LOCK_TIMEOUT must be shorter than MUISTOT_REQUEST_TIMEOUT")
        if self.db_statement_timeout >= limit:
            raise ConfigError("MUISTOT_DB_STATEMENT_TIMEOUT must be shorter than MUISTOT_REQUEST_TIMEOUT")

    @property
    def normalized_database_url(self) -> str:
        """The URL with its async driver filled in (mysql:// → mysql+aiomysql://)."""
        scheme, sep, rest = self.database_url.partition("://")
        scheme = {"mysql": "mysql+aiomysql", "mariadb": "mysql+aiomysql", "mariadb+aiomysql": "mysql+aiomysql",
                  "sqlite": "sqlite+aiosqlite"}.get(scheme, scheme)
        return f"{scheme}{sep}{rest}"


def looks_published(secret: str) -> bool:
    """True for a secret the repository publishes, or one that reads like a placeholder for one."""
    folded = secret.strip().lower()
    return secret in PUBLISHED_SECRETS or any(word in folded for word in PLACEHOLDER_WORDS)


def _next_redis_db(url: str) -> str:
    """The cache lives in the logical database after the session one, unless configured."""
    parts = urlsplit(url)
    path = parts.path.strip("/")
    try:
        db = int(path) if path else 0
    except ValueError:
        return url
    return urlunsplit((parts.scheme, parts.netloc, f"/{db + 1}", parts.query, parts.fragment))


def _redact(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return urlunsplit((parts.scheme, netloc, *parts[2:]))
    return url


def redact_url(url: str) -> str:
    return _redact(url)


@lru_cache
def get_settings() -> Settings:
    return Settings()
