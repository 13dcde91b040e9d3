"""bench/keywords — keyword rules over chat messages: Siyu's matcher against a regex alternation.

    python -m bench.keywords [--messages 1000000] [--rules 10000] [--regex-messages 20000]
                             [--seed 2026]

Synthetic Chinese chat messages (5–60 characters, drawn deterministically from ``--seed`` over a
vocabulary of restaurant and retail chat) against ``--rules`` keyword rules (1–3 keywords of 2–6
Chinese characters each). Both ways do the same job: normalise the message as the ingest does
(NFKC, lower case, spaces) and find every rule it hits.

- **siyu**: :class:`siyu.autotag.keywords.Matcher` — the code the chat-archive ingest runs: one
  Aho-Corasick automaton of every keyword, the rules of each keyword collected per message.
- **regex**: one compiled ``re`` alternation of the same keywords (longest first), searched at
  every position with a lookahead (``(?=(k1|k2|…))``) so overlapping keywords are all found,
  the rules of each found keyword collected likewise.

A regex finds one keyword per position, so the keyword set is drawn with no keyword inside
another: then both ways must find exactly the same rules, which is checked on a sample. The
regex runs on the first ``--regex-messages`` messages only (the whole million would take hours);
rates are compared.
"""

from __future__ import annotations

import argparse
import platform
import random
import re
import time
from collections.abc import Iterable

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn
from rich.table import Table

from siyu.autotag.keywords import Matcher, RuleSpec, normalise

# What customers and staff of restaurants and shops write to each other.
_WORDS = (
    "你好 您好 请问 谢谢 好的 可以 麻烦 在吗 老板 亲 收到 明白 没问题 辛苦了 不好意思 "
    "今天 明天 周末 周六 周日 中午 晚上 几点 营业 打烊 排队 等位 订位 预约 包间 大厅 "
    "几位 两位 四位 十个人 团建 年会 生日 聚餐 宝宝 孩子 儿童餐 宝宝椅 老人 朋友 同事 "
    "外卖 自提 配送 地址 小区 门店 附近 停车 地铁 导航 "
    "烤串 羊肉 牛肉 鸡翅 烤鱼 火锅 小龙虾 米饭 面条 饺子 凉菜 汤 甜品 奶茶 咖啡 啤酒 饮料 "
    "套餐 新品 招牌 推荐 口味 微辣 中辣 特辣 不吃辣 不要香菜 忌口 过敏 花生 海鲜 素食 清淡 "
    "价格 多少钱 优惠 打折 满减 优惠券 代金券 会员 积分 充值 储值卡 发票 买单 支付 微信 支付宝 "
    "退款 换货 尺码 颜色 库存 到货 发货 快递 包邮 售后 质量 好吃 不错 满意 差评 好评 下次 再来 "
    "味道 分量 太咸 太辣 有点 还行 非常 特别 一下 一个 一份 两份 多少 怎么 什么 可不可以 能不能"
)
WORDS = tuple(_WORDS.split())
FILLERS = (
    "的",
    "了",
    "吗",
    "呢",
    "吧",
    "啊",
    "哦",
    "呀",
    "我",
    "你",
    "我们",
    "这个",
    "那个",
    "还有",
)
MARKS = ("，", "。", "？", "！", "~", " ", "😊", "👍", "🙏", "😂", "…", "Ａ", "ok", "OK")


def make_messages(count: int, rng: random.Random) -> Iterable[str]:
    for _ in range(count):
        target = rng.randint(5, 60)
        parts: list[str] = []
        length = 0
        while length < target:
            roll = rng.random()
            piece = (
                rng.choice(WORDS)
                if roll < 0.6
                else rng.choice(FILLERS)
                if roll < 0.85
                else rng.choice(MARKS)
            )
            parts.append(piece)
            length += len(piece)
        yield "".join(parts)[:target]


def make_rules(count: int, rng: random.Random) -> list[RuleSpec]:
    """``count`` rules of 1–3 keywords of 2–6 characters each, no keyword in two rules: some are
    chat words (a third of the vocabulary, so a message hits a rule or two, not ten), the rest
    combinations of the vocabulary's characters. No keyword contains another."""
    chars = sorted({c for w in WORDS for c in w})
    words = [w for w in WORDS if 2 <= len(w) <= 6]
    candidates = set(rng.sample(words, len(words) // 3))
    needed = count * 3
    kept: set[str] = set()
    while len(kept) < needed:
        while len(candidates) < needed * 2:
            candidates.add("".join(rng.choice(chars) for _ in range(rng.randint(2, 6))))
        kept = set()
        for keyword in sorted(candidates, key=lambda k: (len(k), k)):
            inner = {
                keyword[i:j] for i in range(len(keyword)) for j in range(i + 1, len(keyword) + 1)
            }
            if not (inner - {keyword}) & kept:
                kept.add(keyword)
        needed_more = needed - len(kept)
        if needed_more > 0:
            candidates |= {
                "".join(rng.choice(chars) for _ in range(rng.randint(3, 6)))
                for _ in range(needed_more * 2)
            }
    pool = sorted(kept)
    rng.shuffle(pool)
    rules = []
    for rule_id in range(1, count + 1):
        take = rng.randint(1, 3)
        keywords, pool = tuple(pool[:take]), pool[take:]
        rules.append(RuleSpec(rule_id, f"规则{rule_id}", keywords, "contains", "both", (rule_id,)))
    return rules


class RegexMatcher:
    """The alternative: the same keywords as one ``re`` alternation, found at every position."""

    def __init__(self, rules: list[RuleSpec]) -> None:
        self.owners: dict[str, list[int]] = {}
        for rule in rules:
            for keyword in rule.keywords:
                self.owners.setdefault(normalise(keyword), []).append(rule.id)
        keys = sorted(self.owners, key=len, reverse=True)
        self.pattern = re.compile("(?=(" + "|".join(map(re.escape, keys)) + "))")

    def match(self, text: str) -> dict[int, str]:
        found: dict[int, str] = {}
        for hit in self.pattern.finditer(normalise(text)):
            keyword = hit.group(1)
            for rule_id in self.owners[keyword]:
                found.setdefault(rule_id, keyword)
        return found


def _progress(console: Console) -> Progress:
    return Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    )


def _run(
    label: str, match: object, messages: list[str], console: Console, side: bool
) -> tuple[float, int]:
    """Seconds to match every message, and the rule hits found."""
    hits = 0
    step = max(len(messages) // 100, 1)
    with _progress(console) as progress:
        task = progress.add_task(label, total=len(messages))
        started = time.perf_counter()
        if side:
            run = match.match  # type: ignore[attr-defined]
            for start in range(0, len(messages), step):
                for text in messages[start : start + step]:
                    hits += len(run(text, "customer"))
                progress.update(task, advance=len(messages[start : start + step]))
        else:
            run = match.match  # type: ignore[attr-defined]
            for start in range(0, len(messages), step):
                for text in messages[start : start + step]:
                    hits += len(run(text))
                progress.update(task, advance=len(messages[start : start + step]))
        seconds = time.perf_counter() - started
    return seconds, hits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--rules", type=int, default=10_000)
    parser.add_argument("--regex-messages", type=int, default=20_000)
    parser.add_argument("--sample", type=int, default=5_000)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    console = Console(width=110)
    rng = random.Random(args.seed)  # noqa: S311 - synthetic data, not security

    started = time.perf_counter()
    rules = make_rules(args.rules, rng)
    messages = list(make_messages(args.messages, rng))
    keywords = sum(len(r.keywords) for r in rules)
    console.print(
        f"{len(messages):,} messages (avg {sum(map(len, messages)) / len(messages):.1f} chars), "
        f"{len(rules):,} rules, {keywords:,} keywords; generated in "
        f"{time.perf_counter() - started:.1f} s"
    )

    started = time.perf_counter()
    siyu = Matcher(rules)
    siyu_build = time.perf_counter() - started
    started = time.perf_counter()
    regex = RegexMatcher(rules)
    regex_build = time.perf_counter() - started

    # Both ways must find the same rules.
    sample = messages[: args.sample]
    differ = sum(set(siyu.match(text, "customer")) != set(regex.match(text)) for text in sample)
    if differ:
        raise SystemExit(f"the two ways disagree on {differ} of {len(sample)} sample messages")
    console.print(f"same rules found by both ways on all {len(sample):,} sample messages")

    siyu_seconds, siyu_hits = _run("siyu", siyu, messages, console, side=True)
    subset = messages[: args.regex_messages]
    regex_seconds, regex_hits = _run("regex", regex, subset, console, side=False)
    siyu_rate = len(messages) / siyu_seconds
    regex_rate = len(subset) / regex_seconds

    table = Table(title=f"bench/keywords — {len(rules):,} rules, {keywords:,} keywords")
    for column in ("way", "messages", "rule hits", "build s", "match s", "messages/s", "vs regex"):
        table.add_column(column, justify="left" if column == "way" else "right")
    table.add_row(
        "siyu (Aho-Corasick)",
        f"{len(messages):,}",
        f"{siyu_hits:,}",
        f"{siyu_build:.2f}",
        f"{siyu_seconds:.1f}",
        f"{siyu_rate:,.0f}",
        f"{siyu_rate / regex_rate:.1f}×",
    )
    table.add_row(
        "regex alternation",
        f"{len(subset):,} (first)",
        f"{regex_hits:,}",
        f"{regex_build:.2f}",
        f"{regex_seconds:.1f}",
        f"{regex_rate:,.0f}",
        "1.0×",
    )
    console.print(table)
    console.print(f"Python {platform.python_version()} on {platform.machine()}")


if __name__ == "__main__":
    main()
