"""The model's Markdown looks right in Slack and Telegram, and never breaks either's markup."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from slack_sdk.models.blocks import Block

from bot.slack_render import render_slack
from bot.telegram_render import render_telegram
from bot.telegram_sender import TelegramSender
from orchestrator.canonical import Field_, Post
from orchestrator.outbound import Destination
from tests.fakes.slack_blocks import block_errors
from tests.fakes.telegram_html import parse_html
from tests.helpers import make_settings
from tests.telegram_support import OPERATOR, fake_telegram

MODEL_ANSWER = """## Trip to Lisbon

Here's what I found for **Tuesday**:

1. **Flight** — TAP 1357, departs 08:40
   - seat *12A* (window)
   - fare class `Y_FLEX`
2. **Hotel** — [Memmo Alfama](https://memmo.example/alfama?from=2&to=5)

| item | cost |
|------|------|
| flight | €180 |
| hotel & tax | €420 |

```python
total = 180 + 420  # < 1000 & within budget
```

> Budget note: snake_case_words and 2 * 3 stay as written; <b>not html</b> & <!channel>.
"""


def slack_text(post: Post) -> str:
    blocks = render_slack(post)["blocks"]
    return "\n".join(b["text"]["text"] for b in blocks if b["type"] == "section" and "text" in b)


def test_model_answer_in_slack_mrkdwn() -> None:
    """Bold, links, nested lists, tables, code and quotes become mrkdwn; &, <, > are escaped."""
    text = slack_text(Post(text=MODEL_ANSWER))
    assert text.startswith("*Trip to Lisbon*\n\nHere's what I found for *Tuesday*:")
    assert "1. *Flight* — TAP 1357" in text
    assert "    ◦ seat *12A* (window)" in text  # a single * is bold, as in the core's texts
    assert "`Y_FLEX`" in text
    assert "<https://memmo.example/alfama?from=2&amp;to=5|Memmo Alfama>" in text
    assert "```\nitem        | cost\n" in text and "hotel &amp; tax | €420" in text
    assert "total = 180 + 420  # &lt; 1000 &amp; within budget" in text
    assert "> Budget note: snake_case_words and 2 * 3 stay as written;" in text
    assert "&lt;b&gt;not html&lt;/b&gt; &amp; &lt;!channel&gt;" in text
    assert "**" not in text and "<!channel>" not in text


def test_model_answer_in_telegram_html() -> None:
    """The same answer as Telegram HTML the Bot API accepts: b, i, code, pre, a."""
    (message,) = render_telegram(Post(text=MODEL_ANSWER))
    html = message.text
    parse_html(html)
    assert "<b>Trip to Lisbon</b>" in html and "for <b>Tuesday</b>:" in html
    assert "seat <b>12A</b>" in html and "<code>Y_FLEX</code>" in html
    assert '<a href="https://memmo.example/alfama?from=2&amp;to=5">Memmo Alfama</a>' in html
    assert '<pre><code class="language-python">total = 180 + 420  # &lt; 1000' in html
    assert "&lt;b&gt;not html&lt;/b&gt; &amp; &lt;!channel&gt;" in html
    assert message.plain.startswith("Trip to Lisbon\n\nHere's what I found for Tuesday:")


def test_long_code_block_splits_into_fenced_pieces() -> None:
    """A code fence longer than a section or a message is cut into whole fenced blocks."""
    code = "\n".join(f"line_{i} = {i} < {i + 1} & True" for i in range(600))
    post = Post(text=f"Intro\n\n```\n{code}\n```\n\nOutro")
    sections = [b["text"]["text"] for b in render_slack(post)["blocks"] if "text" in b]
    assert all(len(s) <= 3000 for s in sections) and len(sections) > 3
    assert all(s.count("```") % 2 == 0 for s in sections)
    messages = render_telegram(post)
    assert len(messages) > 1 and all(len(m.text) <= 4096 for m in messages)
    shown = "\n".join(parse_html(m.text) for m in messages)
    assert all(f"line_{i} = {i} < {i + 1} & True" in shown for i in (0, 299, 599))


def test_telegram_counts_utf16_like_the_bot_api() -> None:
    """Emoji count twice (UTF-16), so a long emoji line still fits in 4096 units."""
    post = Post(text="🙂" * 5000)
    for message in render_telegram(post):
        visible = parse_html(message.text)
        assert len(visible.encode("utf-16-le")) // 2 <= 4096


def test_telegram_refused_entities_fall_back_to_plain_text() -> None:
    """When Telegram answers "can't parse entities", the same text goes out without markup."""
    with fake_telegram() as tg:
        tg.fail_next("sendMessage", 400, description="Bad Request: can't parse entities: x")
        sender = TelegramSender(
            make_settings(TELEGRAM_BOT_TOKEN="1:T", TELEGRAM_API_URL=tg.base_url)
        )
        try:
            sender.send(Post(text="Pay **€5** & <go>"), Destination(str(OPERATOR)), key="k1")
        finally:
            sender.close()
        (message,) = tg.messages(OPERATOR)
    assert message["text"] == "Pay €5 & <go>" and not message.get("parse_mode")


# -- properties ---------------------------------------------------------------------------
PIECES = st.sampled_from(
    ["**", "*", "_", "__", "~~", "`", "```", "\n", "\n\n", "- ", "1. ", "  ", "# ", "> ", "|",
     "| a | b |\n|---|---|\n", "[x](https://e.com/?a=1&b=2)", "<", ">", "&", "&amp;", "<@U1>",
     "word", "snake_case", "é", "🙂", " ", "\\", "](", "![i](https://e.com/i.png)", "<b>"]
)  # fmt: skip
MARKDOWN = st.lists(st.one_of(PIECES, st.text(max_size=8)), max_size=60).map("".join)


def sections(post: Post) -> Iterator[str]:
    for block in render_slack(post)["blocks"]:
        if block["type"] == "section" and "text" in block:
            yield block["text"]["text"]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(MARKDOWN, st.integers(min_value=1, max_value=40))
def test_any_markdown_renders_within_limits(source: str, repeat: int) -> None:
    """Whatever the text: Slack blocks pass slack_sdk's limits with no raw < or & outside our
    own links and entities; every Telegram message parses and fits 4096 units."""
    post = Post(text=source * repeat, sections=[Field_(label="Why", value=source)])
    rendered = render_slack(post)
    assert block_errors(rendered["blocks"]) == [] and len(rendered["blocks"]) <= 50
    for block in rendered["blocks"]:
        Block.parse(block).validate_json()
    for text in sections(post):
        assert len(text) <= 3000
        bare = re.sub(r"<https?://[^|<>\s]+\|[^<>]*>|&(amp|lt|gt);", "", text)
        assert "<" not in bare and ">" not in bare.replace("> ", "") and "&" not in bare
        assert text.count("```") % 2 == 0
    for message in render_telegram(post):
        visible = parse_html(message.text)
        assert len(visible.encode("utf-16-le")) // 2 <= 4096 and len(message.text) <= 4096 * 2
        assert "<" not in message.plain or "<" in source


@pytest.mark.parametrize("source", ["", "   ", "\n\n", "```", "**", "|a|\n|-|"])
def test_degenerate_texts_still_send(source: str) -> None:
    """Empty or marker-only text still gives Telegram a non-empty message."""
    for message in render_telegram(Post(text=source)):
        assert parse_html(message.text).strip() or message.text == "…"
