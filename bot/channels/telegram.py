"""Telegram: updates arrive by webhook (or long polling), are answered by the ChatService and
sent back as HTML with inline buttons.

The PTB Application is built once in `start()`. In webhook mode the route records each update
in the inbox (keyed by `update_id`, so Telegram's retries are dropped) and answers 200 at
once; the update is processed in the background and crossed off only once its reply was
sent, so an update the bot acknowledged is answered even if the process dies first. Calls
Telegram answers with 429 are waited out, and 5xx or timeouts are sent again after a pause;
an update whose reply still could not be sent is tried again later by the inbox. Suggestion
buttons carry only a short key: the question is read back from the button's own label on
the message, so no per-conversation state has to be kept in memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hmac
import html
import json
import logging
import re
import time
from collections.abc import Callable, Coroutine, Iterable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from telegram import (
    Bot,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Message,
    Update,
)
from telegram.constants import ChatAction, ChatMemberStatus, ChatType, MessageLimit
from telegram.error import BadRequest as TelegramBadRequest
from telegram.error import Forbidden, InvalidToken, NetworkError, RetryAfter, TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from .. import safejson
from ..answer import Answer
from ..errors import BadRequest, ChannelError, PlatformRefused, RateLimited
from ..inbox import Inbox, Outcome
from ..search import Hit
from ..settings import Settings
from ..storage import Delivery
from .common import (
    ERROR_REPLY,
    FEEDBACK_THANKS,
    LOOKUP_EMPTY,
    NON_TEXT_REPLY,
    RATE_LIMITED_REPLY,
    ChatService,
    Reply,
    split_message,
)
from .retry import pause
from .telegram_team import (
    alert_team,
    answered_alert,
    on_close_command,
    on_list_command,
    on_reply_command,
)

log = logging.getLogger(__name__)

CHANNEL = "telegram"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY]
MAX_RETRIES = 3  # RetryAfter (HTTP 429) is waited out and retried by AIORateLimiter
CONCURRENT_UPDATES = 8  # polling: answer several people at once
STOP_GRACE_SECONDS = 5.0
# bot_data key: ids of updates whose reply Telegram did not take (the inbox tries again).
UNDELIVERED = "undelivered_updates"
LOOKUP_FIELD_CHARS = 200
TEAM_MEMBERSHIP_SECONDS = 300.0  # how long a getChatMember answer is trusted
# Telegram's own rule for secret_token (setWebhook).
_SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")
SECRET_REQUIRED = (
    "Set TELEGRAM_WEBHOOK_SECRET to 1-256 characters A-Z, a-z, 0-9, _ or - (Telegram's rule); "
    "the webhook refuses to run without it. Make one with:\n"
    "    python -c 'import secrets; print(secrets.token_urlsafe(32))'"
)

START_TEXT = (
    "Xin chào! Tôi là trợ lý hỏi đáp tự động về chuyển đổi số của tỉnh Lai Châu.\n\n"
    "Tôi trả lời dựa trên các văn bản chính thức và bộ câu hỏi thường gặp, kèm nguồn của "
    "từng câu trả lời, về: VNeID và định danh điện tử; dịch vụ công trực tuyến; thanh toán "
    "không dùng tiền mặt; phòng tránh lừa đảo trên mạng; Bình dân học vụ số; Tổ công nghệ số "
    "cộng đồng; Nghị quyết 57-NQ/TW và Kế hoạch của tỉnh.\n\n"
    "Bạn cứ gõ câu hỏi, ví dụ: “Cách kích hoạt tài khoản VNeID?”. "
    "Gõ /help để xem hướng dẫn. Tôi không bao giờ hỏi mật khẩu hay mã OTP của bạn."
)
HELP_TEXT = (
    "Cách hỏi:\n"
    "• Nhắn riêng cho tôi: gõ câu hỏi rồi gửi, ví dụ: “Làm sao kích hoạt VNeID mức 2?”\n"
    "• Trong nhóm: gõ /hoi kèm câu hỏi, nhắc tên @{username} trong tin nhắn, "
    "hoặc trả lời (reply) tin nhắn của tôi.\n\n"
    "Các lệnh:\n"
    "/hoi <câu hỏi> – hỏi một câu\n"
    "/tracuu <từ khóa> – xem 5 tài liệu phù hợp nhất (dành cho Tổ công nghệ số cộng đồng)\n"
    "/lienhe – nhờ cán bộ hỗ trợ\n"
    "/traloi <số> <nội dung>, /dong <số>, /ve – trả lời, đóng, xem yêu cầu gặp cán bộ "
    "(dành cho Tổ công nghệ số cộng đồng)\n"
    "/help – xem hướng dẫn này\n\n"
    "Sau mỗi câu trả lời, bạn có thể bấm 👍 hoặc 👎 để góp ý, "
    "hoặc bấm một câu hỏi gợi ý để hỏi tiếp."
)
ASK_USAGE = "Bạn vui lòng gõ câu hỏi ngay sau lệnh, ví dụ: /hoi Cách kích hoạt VNeID?"
LOOKUP_USAGE = "Bạn vui lòng gõ từ khóa ngay sau lệnh, ví dụ: /tracuu kích hoạt VNeID"
TEAM_ONLY = (
    "Lệnh /tracuu chỉ dành cho thành viên Tổ công nghệ số cộng đồng. "
    "Bạn cứ gõ câu hỏi, tôi sẽ trả lời nhé."
)
UNKNOWN_COMMAND = "Tôi chưa hiểu lệnh này. Bạn gõ /help để xem các lệnh nhé."
EXPIRED_BUTTON = "Nút này đã hết hạn. Bạn vui lòng gõ lại câu hỏi nhé."
TOKEN_REJECTED = "Telegram rejected TELEGRAM_BOT_TOKEN; check it with @BotFather."
NOT_YOUR_ANSWER = "Chỉ người đã hỏi mới góp ý được cho câu trả lời này."
HANDOVER_BUTTON = "Gặp cán bộ hỗ trợ"
HELPFUL_BUTTON = "👍 Hữu ích"
UNHELPFUL_BUTTON = "👎 Chưa đúng"

# What python-telegram-bot raises on updates of the wrong shape (it trusts their types); a
# date far in the future fails in datetime with OSError or OverflowError.
MALFORMED = (AttributeError, KeyError, TypeError, ValueError, IndexError, OSError, OverflowError)
_CALLBACK = re.compile(r"^([sfh]):(\d{1,18})(?::(\d{1,2}))?$")
_NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


class TelegramChannel:
    """The Telegram adapter: the webhook route and the PTB Application behind it."""

    name = CHANNEL
    reply_window_seconds: float | None = None  # a bot may write to a chat at any time

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.application: Application | None = None
        self.service: ChatService | None = None
        self.inbox: Inbox | None = None
        self.router = APIRouter()
        self.router.add_api_route(
            "/webhook/telegram", self.webhook, methods=["POST"], include_in_schema=False
        )

    async def start(self, service: ChatService) -> None:
        webhook_secret(self.settings)  # without it anyone could post updates: refuse to start
        application = build_application(self.settings, service)
        await _initialize(application)
        await application.start()
        self.application, self.service = application, service
        self.inbox = Inbox.from_settings(self.settings, service.store, CHANNEL, self._answer)
        self.inbox.start()

    async def stop(self, timeout: float = STOP_GRACE_SECONDS) -> None:
        if self.inbox is not None:
            await self.inbox.stop(timeout)
        application, self.application = self.application, None
        if application is not None:
            await application.stop()
            await application.shutdown()

    async def send(self, address: str, text: str) -> None:
        """Send plain text to a chat (a team reply, a reminder), split to Telegram's limit;
        PlatformRefused when Telegram will not take it (the user blocked the bot…)."""
        if self.application is None:
            raise ChannelError("The Telegram channel is not running.")
        try:
            for part in split_message(text, MessageLimit.MAX_TEXT_LENGTH):
                await self.application.bot.send_message(
                    int(address), part, link_preview_options=_NO_PREVIEW
                )
        except (TelegramBadRequest, Forbidden) as exc:
            raise PlatformRefused(f"Telegram refused the message: {exc}") from None
        except TelegramError as exc:
            raise ChannelError(f"Telegram did not take the message: {exc}") from None

    async def webhook(self, request: Request) -> JSONResponse:
        """Check the secret, record the update in the inbox and answer 200 at once; it is
        processed in the background (a retried update is dropped)."""
        secret = self.settings.telegram_webhook_secret
        given = request.headers.get(SECRET_HEADER, "").encode()
        if secret is None or not hmac.compare_digest(given, secret.get_secret_value().encode()):
            raise HTTPException(403, "Invalid or missing secret token.")
        if self.application is None or self.service is None:
            raise HTTPException(503, "The Telegram channel is not running.")
        data, update = _parse_update(await request.body(), self.application.bot)
        assert self.inbox is not None
        sender = update.effective_user
        text = update.message.text if update.message is not None else None
        self.inbox.accept(
            str(update.update_id),
            self.service.store.user_hash(CHANNEL, str(sender.id)) if sender else "-",
            json.dumps(slim_update(data), ensure_ascii=False),
            text,
        )
        return JSONResponse({"ok": True})

    async def _answer(self, delivery: Delivery) -> Outcome:
        """Process a recorded update; ChannelError when Telegram did not take the reply."""
        assert self.application is not None and delivery.address is not None
        update = Update.de_json(json.loads(delivery.address), self.application.bot)
        undelivered: set[int] = self.application.bot_data.setdefault(UNDELIVERED, set())
        try:
            await self.application.process_update(update)
        except MALFORMED as exc:
            # Errors of our handlers go to on_error inside PTB; what escapes is PTB
            # tripping over a malformed update (a message without a chat…).
            log.warning("update %s not processed: %s", update.update_id, type(exc).__name__)
            return "ignored"
        if update.update_id in undelivered:
            undelivered.discard(update.update_id)
            raise ChannelError("Telegram did not take the reply")
        return "sent"


# What an update keeps while it waits in the inbox: what the handlers read, not the names,
# usernames or attachments of the people in it.
_UPDATE_KEYS = ("update_id", "message", "callback_query")
_MESSAGE_KEYS = (
    "message_id",
    "date",
    "chat",
    "from",
    "text",
    "entities",
    "reply_to_message",
    "reply_markup",
    "message_thread_id",
    "is_topic_message",
)
_CALLBACK_KEYS = ("id", "from", "message", "data", "chat_instance")
_PERSON_KEYS = ("id", "is_bot", "type")


def slim_update(data: dict) -> dict:
    """The update with only what answering it needs (PTB still parses it)."""
    slim: dict[str, Any] = {key: data[key] for key in _UPDATE_KEYS if key in data}
    if isinstance(slim.get("message"), dict):
        slim["message"] = _slim_message(slim["message"])
    callback = slim.get("callback_query")
    if isinstance(callback, dict):
        callback = {key: callback[key] for key in _CALLBACK_KEYS if key in callback}
        callback["from"] = _slim_person(callback.get("from"))
        if isinstance(callback.get("message"), dict):
            callback["message"] = _slim_message(callback["message"])
        slim["callback_query"] = callback
    return slim


def _slim_message(message: dict) -> dict:
    slim = {key: message[key] for key in _MESSAGE_KEYS if key in message}
    for key in ("chat", "from"):
        if key in slim:
            slim[key] = _slim_person(slim[key])
    if isinstance(slim.get("reply_to_message"), dict):
        slim["reply_to_message"] = _slim_message(slim["reply_to_message"])
    return slim


def _slim_person(person: Any) -> Any:
    if not isinstance(person, dict):
        return person
    slim = {key: person[key] for key in _PERSON_KEYS if key in person}
    if "is_bot" in slim:
        slim["first_name"] = ""  # required by the Bot API's User
    return slim


def webhook_secret(settings: Settings) -> str:
    """TELEGRAM_WEBHOOK_SECRET, checked as Telegram checks it; ChannelError when unusable."""
    secret = settings.telegram_webhook_secret
    value = secret.get_secret_value() if secret is not None else ""
    if not _SECRET_TOKEN.fullmatch(value):
        raise ChannelError(SECRET_REQUIRED)
    return value


class Team:
    """Who may use the team's commands: the ids in TELEGRAM_TEAM_USER_IDS, and members of
    the team's group TELEGRAM_TEAM_CHAT_ID, as Telegram's getChatMember says (remembered for
    a few minutes, so a busy member does not cost a call per command)."""

    def __init__(
        self,
        user_ids: Iterable[int],
        chat_id: int | None,
        trust_seconds: float = TEAM_MEMBERSHIP_SECONDS,
    ) -> None:
        self._user_ids = frozenset(user_ids)
        self._chat_id = chat_id
        self._trust_seconds = trust_seconds
        self._known: dict[int, tuple[bool, float]] = {}

    async def includes(self, bot: Bot, user_id: int) -> bool:
        if user_id in self._user_ids:
            return True
        if self._chat_id is None:
            return False
        now = time.monotonic()
        known = self._known.get(user_id)
        if known is not None and known[1] > now:
            return known[0]
        try:
            member = await bot.get_chat_member(self._chat_id, user_id)
        except (TelegramBadRequest, Forbidden):
            is_member = False  # not in the group (or the bot is not): a clear no
        except TelegramError as exc:
            log.warning("cannot check team membership now: %s", exc)
            return False  # not remembered: the next try may reach Telegram
        else:
            is_member = member.status in (
                ChatMemberStatus.OWNER,
                ChatMemberStatus.ADMINISTRATOR,
                ChatMemberStatus.MEMBER,
            ) or (
                member.status == ChatMemberStatus.RESTRICTED and getattr(member, "is_member", False)
            )
        if len(self._known) > 10_000:
            self._known = {u: k for u, k in self._known.items() if k[1] > now}
        self._known[user_id] = (is_member, now + self._trust_seconds)
        return is_member


def _parse_update(body: bytes, bot: Bot) -> tuple[dict, Update]:
    """The update's JSON, and the update as PTB reads what the inbox keeps of it."""
    data = safejson.loads(body)
    if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
        raise BadRequest("invalid_request", "A Telegram update needs an integer update_id.")
    try:
        update = Update.de_json(slim_update(data), bot)
        # PTB trusts the types; it keeps user and chat ids in sets, so a list there would fail
        # deep inside process_update (found by Hypothesis).
        ids = [part.id for part in (update.effective_user, update.effective_chat) if part]
    except MALFORMED:
        raise BadRequest("invalid_request", "The body is not a valid Telegram update.") from None
    if not all(isinstance(part_id, int) for part_id in ids):
        raise BadRequest("invalid_request", "Telegram user and chat ids are integers.")
    return data, update


async def _initialize(application: Application) -> None:
    try:
        await application.initialize()  # calls getMe: a wrong token fails here, at startup
    except InvalidToken:
        raise ChannelError(TOKEN_REJECTED) from None
    except TelegramError as exc:
        raise ChannelError(f"Cannot reach the Telegram Bot API: {exc}") from None


def file_base_url(base_url: str) -> str:
    """The Bot API file URL next to a base URL: …/bot → …/file/bot."""
    return re.sub(r"/bot(\{token\})?$", r"/file/bot\1", base_url)


def _token(settings: Settings) -> str:
    if settings.telegram_bot_token is None:
        raise ChannelError("TELEGRAM_BOT_TOKEN is not set; get a token from @BotFather.")
    return settings.telegram_bot_token.get_secret_value()


class RetryingRateLimiter(AIORateLimiter):
    """PTB's rate limiter (flood limits kept, 429s waited out), which also sends a call again
    when Telegram answers 5xx or does not answer in time."""

    def __init__(self, retries: int) -> None:
        super().__init__(max_retries=MAX_RETRIES)
        self._retries = retries

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict | list[dict]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | dict | list[dict]:
        attempt = 1
        while True:
            try:
                return await super().process_request(
                    callback, args, kwargs, endpoint, data, rate_limit_args
                )
            except TelegramBadRequest:
                raise  # the call itself is wrong: sending it again cannot help
            except NetworkError as exc:  # 5xx, timeouts, refused connections
                if attempt > self._retries:
                    raise
                wait = pause(attempt)
                log.warning("Telegram %s failed (%s); sending again in %.1f s", endpoint, exc, wait)
                await asyncio.sleep(wait)
                attempt += 1


def build_application(
    settings: Settings, service: ChatService, polling: bool = False
) -> Application:
    """The PTB Application with every handler; with an Updater only for polling."""
    builder = (
        ApplicationBuilder()
        .token(_token(settings))
        .base_url(settings.telegram_api_base_url)
        .base_file_url(file_base_url(settings.telegram_api_base_url))
        .rate_limiter(RetryingRateLimiter(settings.platform_retries))
        .concurrent_updates(CONCURRENT_UPDATES)
    )
    if not polling:
        builder = builder.updater(None)
    application = builder.build()
    application.bot_data["service"] = service
    application.bot_data["team"] = Team(
        settings.telegram_team_user_ids, settings.telegram_team_chat_id
    )
    application.bot_data["team_chat_id"] = settings.telegram_team_chat_id
    register_handlers(application)
    if settings.telegram_team_chat_id is not None:
        service.on_handover(
            functools.partial(
                alert_team, application.bot, settings.telegram_team_chat_id, service.tickets
            )
        )
    return application


def register_handlers(application: Application) -> None:
    """Wire the commands, messages, buttons and the error handler."""
    new_messages = filters.UpdateType.MESSAGE
    application.add_handler(CommandHandler("start", on_start, filters=new_messages))
    application.add_handler(CommandHandler("help", on_help, filters=new_messages))
    application.add_handler(CommandHandler("hoi", on_ask_command, filters=new_messages))
    application.add_handler(CommandHandler("tracuu", on_lookup, filters=new_messages))
    application.add_handler(CommandHandler("lienhe", on_handover, filters=new_messages))
    application.add_handler(CommandHandler("traloi", on_reply_command, filters=new_messages))
    application.add_handler(CommandHandler("dong", on_close_command, filters=new_messages))
    application.add_handler(CommandHandler("ve", on_list_command, filters=new_messages))
    application.add_handler(MessageHandler(new_messages & filters.TEXT & ~filters.COMMAND, on_text))
    private = new_messages & filters.ChatType.PRIVATE
    application.add_handler(MessageHandler(private & filters.COMMAND, on_unknown_command))
    application.add_handler(MessageHandler(private & ~filters.TEXT, on_non_text))
    application.add_handler(CallbackQueryHandler(on_button))
    application.add_error_handler(on_error)


def _service(context: ContextTypes.DEFAULT_TYPE) -> ChatService:
    return context.bot_data["service"]


def _args(context: ContextTypes.DEFAULT_TYPE) -> str:
    return " ".join(context.args or []).strip()


async def on_start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/start: greeting and what the bot can do."""
    await update.effective_message.reply_text(START_TEXT)


async def on_help(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/help: how to ask, and the commands."""
    await update.effective_message.reply_text(HELP_TEXT.format(username=context.bot.username))


async def on_ask_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/hoi <câu hỏi>: ask, in groups as in private chats."""
    question = _args(context)
    if not question:
        await update.effective_message.reply_text(ASK_USAGE)
        return
    await answer_question(update.effective_message, context, update.effective_user.id, question)


async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A text message: always answered in private chats, in groups only when addressed."""
    message = update.effective_message
    if await answered_alert(update, context):  # the team answering a ticket
        return
    question = message.text or ""
    if message.chat.type != ChatType.PRIVATE:
        question = addressed_question(message, context.bot.id, context.bot.username)
        if question is None:
            return
    await answer_question(message, context, update.effective_user.id, question)


def addressed_question(message: Message, bot_id: int, username: str) -> str | None:
    """The question of a group message meant for the bot (mention stripped), else None."""
    text = message.text or ""
    mention = re.compile(rf"@{re.escape(username)}\b", re.IGNORECASE)
    if mention.search(text):
        return re.sub(r"\s+", " ", mention.sub(" ", text)).strip()
    replied = message.reply_to_message
    if replied is not None and replied.from_user is not None and replied.from_user.id == bot_id:
        return text
    return None


async def on_lookup(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/tracuu <từ khóa>: the top five sources with their sections, no answer text; for
    members of the community tech team only."""
    query = _args(context)
    message = update.effective_message
    team: Team = context.bot_data["team"]
    user = update.effective_user
    if user is None or not await team.includes(context.bot, user.id):
        await message.reply_text(TEAM_ONLY)
        return
    if not query:
        await message.reply_text(LOOKUP_USAGE)
        return
    hits = await _service(context).lookup(query, 5)
    await message.reply_html(format_lookup(query, hits), link_preview_options=_NO_PREVIEW)


async def on_handover(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/lienhe: record a hand-over to a team member."""
    question = _args(context) or None
    service = _service(context)
    message = update.effective_message
    ticket = await service.handover(
        CHANNEL, str(update.effective_user.id), question, address=str(message.chat.id)
    )
    await message.reply_text(service.tickets.receipt(ticket))


async def on_unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.effective_message.reply_text(UNKNOWN_COMMAND)


async def on_non_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Stickers, photos, voice, locations, documents… in a private chat."""
    await update.effective_message.reply_text(NON_TEXT_REPLY)


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """An inline button: a suggested question, 👍/👎, or a request for a person."""
    query = update.callback_query
    match = _CALLBACK.match(query.data or "")
    if match is None:
        await query.answer()
        return
    kind, conversation_id, extra = match.group(1), int(match.group(2)), match.group(3)
    user_id = str(query.from_user.id)
    if kind == "f":
        if not _service(context).feedback(CHANNEL, user_id, conversation_id, extra == "1"):
            # In a group, the buttons under someone else's answer are not this person's to press.
            await query.answer(NOT_YOUR_ANSWER, show_alert=True)
            return
        await query.answer(FEEDBACK_THANKS)
        await _drop_feedback_buttons(query)
    elif kind == "h":
        service = _service(context)
        chat_id = query.message.chat.id
        ticket = await service.handover(CHANNEL, user_id, address=str(chat_id))
        await query.answer()
        await context.bot.send_message(chat_id, service.tickets.receipt(ticket))
    else:
        question = _button_label(query)
        if question is None:
            await query.answer(EXPIRED_BUTTON, show_alert=True)
            return
        await query.answer()
        await answer_question(query.message, context, query.from_user.id, question, quote=False)


def _button_label(query: CallbackQuery) -> str | None:
    """The text of the pressed button, read back from the message that carries it."""
    message = query.message
    markup = message.reply_markup if isinstance(message, Message) else None
    for row in markup.inline_keyboard if markup else ():
        for button in row:
            if button.callback_data == query.data:
                return button.text
    return None


async def _drop_feedback_buttons(query: CallbackQuery) -> None:
    # One vote per answer: remove 👍/👎, keep the suggestions.
    message = query.message
    if not isinstance(message, Message) or message.reply_markup is None:
        return
    rows = [
        row
        for row in message.reply_markup.inline_keyboard
        if not any(str(b.callback_data).startswith("f:") for b in row)
    ]
    try:
        await query.edit_message_reply_markup(InlineKeyboardMarkup(rows) if rows else None)
    except TelegramError as exc:
        log.info("could not remove feedback buttons: %s", exc)


async def answer_question(
    message: Message,
    context: ContextTypes.DEFAULT_TYPE,
    user_id: int,
    question: str,
    quote: bool | None = None,
) -> None:
    """Ask the core and send the answer, split if long, with its buttons on the last part."""
    service = _service(context)
    try:
        service.admit(CHANNEL, str(user_id))
    except RateLimited as exc:
        if exc.first_refusal:  # say it once, not once per message of a flood
            await message.reply_text(RATE_LIMITED_REPLY, do_quote=quote)
        return
    try:
        await context.bot.send_chat_action(message.chat.id, ChatAction.TYPING)
    except TelegramError as exc:  # only a courtesy: never lose the answer over it
        log.info("typing action failed: %s", exc)
    reply = await service.ask(
        CHANNEL, str(user_id), question, admitted=True, address=str(message.chat.id)
    )
    parts = format_answer(reply.answer)
    for n, part in enumerate(parts, start=1):
        await message.reply_html(
            part,
            do_quote=quote,
            allow_sending_without_reply=True,
            link_preview_options=_NO_PREVIEW,
            reply_markup=answer_keyboard(reply) if n == len(parts) else None,
        )


def format_answer(answer: Answer, limit: int = MessageLimit.MAX_TEXT_LENGTH) -> list[str]:
    """An answer as Telegram HTML messages of at most `limit` characters: the escaped text,
    then the "Nguồn: …" line in italics."""
    citation = answer.citation
    body = answer.answer
    if citation:
        body = body[: body.rfind(citation)].rstrip()
    parts = escaped_parts(body, limit) if body.strip() else []
    if citation:
        lines = [f"<i>{part}</i>" for part in escaped_parts(citation, limit - len("<i></i>"))]
        if parts and len(parts[-1]) + 2 + len(lines[0]) <= limit:
            parts[-1] = f"{parts[-1]}\n\n{lines.pop(0)}"
        parts.extend(lines)
    return parts or [html.escape(answer.answer or "…", quote=False)]


def escaped_parts(text: str, limit: int, plain_limit: int | None = None) -> list[str]:
    """Split plain text, then HTML-escape each part, so that no part exceeds `limit`
    even when escaping lengthens it (`&` → `&amp;`)."""
    plain_limit = plain_limit or limit
    parts: list[str] = []
    for piece in split_message(text, plain_limit):
        escaped = html.escape(piece, quote=False)
        if len(escaped) <= limit:
            parts.append(escaped)
        else:
            finer = max(1, plain_limit * limit // len(escaped))
            parts.extend(escaped_parts(piece, limit, finer))
    return parts


def answer_keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    """Suggested questions, then (for questions) a person and 👍/👎. Callback data stays
    far below Telegram's 64-byte limit: a kind, the conversation id and a number."""
    answer, conversation = reply.answer, reply.conversation_id or 0
    rows = [
        [InlineKeyboardButton(question, callback_data=f"s:{conversation}:{n}")]
        for n, question in enumerate(answer.suggestions[:5])
    ]
    if answer.intent == "question":
        if not answer.answered:
            rows.append([InlineKeyboardButton(HANDOVER_BUTTON, callback_data=f"h:{conversation}")])
        rows.append(
            [
                InlineKeyboardButton(HELPFUL_BUTTON, callback_data=f"f:{conversation}:1"),
                InlineKeyboardButton(UNHELPFUL_BUTTON, callback_data=f"f:{conversation}:0"),
            ]
        )
    return InlineKeyboardMarkup(rows) if rows else None


def format_lookup(query: str, hits: list[Hit]) -> str:
    """The /tracuu reply: numbered sources with their sections, as Telegram HTML."""
    if not hits:
        return html.escape(LOOKUP_EMPTY, quote=False)
    lines = [f"Tài liệu phù hợp nhất với “{_clip(query)}”:"]
    for n, hit in enumerate(hits, start=1):
        title = f"<b>{_clip(hit.source.title)}</b>"
        if hit.source.url:
            title = f'<a href="{html.escape(hit.source.url, quote=True)}">{title}</a>'
        section = f" › {_clip(hit.chunk.section)}" if hit.chunk.section else ""
        score = f"{hit.score:.2f}".replace(".", ",")
        lines.append(
            f"{n}. {title}{section}\n    <code>{_clip(hit.source.id)}</code> · độ khớp {score}"
        )
    return "\n".join(lines)


def _clip(text: str) -> str:
    if len(text) > LOOKUP_FIELD_CHARS:
        text = text[: LOOKUP_FIELD_CHARS - 1].rstrip() + "…"
    return html.escape(text, quote=False)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the failure (never the user's id) and apologise to the user when possible."""
    if not isinstance(update, Update):
        log.warning("Telegram error outside an update: %s", context.error)
        return
    user = update.effective_user
    who = _service(context).store.user_hash(CHANNEL, str(user.id)) if user else "-"
    error = context.error
    if isinstance(error, RetryAfter | NetworkError) and not isinstance(error, TelegramBadRequest):
        # Telegram is unreachable or busy: an apology would not get through either. The
        # inbox sends the answer again later.
        log.warning("Telegram update %s not delivered user=%s: %s", update.update_id, who, error)
        context.bot_data.setdefault(UNDELIVERED, set()).add(update.update_id)
        return
    log.error("Telegram update %s failed for user=%s", update.update_id, who, exc_info=error)
    chat = update.effective_chat
    if chat is None:
        return
    if update.callback_query is not None:
        # Stop the button's spinner; it may already have been answered.
        with contextlib.suppress(TelegramError):
            await update.callback_query.answer()
    try:
        await context.bot.send_message(chat.id, ERROR_REPLY)
    except TelegramError as exc:
        log.warning("could not tell the user about the failure: %s", exc)


def _bot(settings: Settings) -> Bot:
    base_url = settings.telegram_api_base_url
    return Bot(_token(settings), base_url=base_url, base_file_url=file_base_url(base_url))


async def set_webhook(settings: Settings, url: str) -> None:
    """Register `url` as the bot's webhook, with the configured secret token."""
    secret = webhook_secret(settings)
    try:
        async with _bot(settings) as bot:
            await bot.set_webhook(url, secret_token=secret, allowed_updates=ALLOWED_UPDATES)
    except InvalidToken:
        raise ChannelError(TOKEN_REJECTED) from None
    except TelegramError as exc:
        raise ChannelError(f"Telegram did not accept the webhook {url}: {exc}") from None


def run_polling(settings: Settings, service_factory: Callable[[], ChatService]) -> None:
    """Answer Telegram by long polling (no public HTTPS needed); blocks until interrupted.
    Starting to poll deletes any webhook, as Telegram allows only one of the two."""
    _token(settings)  # fail fast, before loading the index
    service = service_factory()
    try:
        application = build_application(settings, service, polling=True)
        application.run_polling(allowed_updates=ALLOWED_UPDATES)
    except InvalidToken:
        raise ChannelError(TOKEN_REJECTED) from None
    except TelegramError as exc:
        raise ChannelError(f"Cannot reach the Telegram Bot API: {exc}") from None
    finally:
        service.store.close()
