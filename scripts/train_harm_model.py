"""Train the harmful-request model shipped in bot/data/ (bot/harm_model.py).

Refused (harmful): the knowledge base's refusal phrasings, the tuned batches of the safety
probes labelled harmful, and the dev and blind-tune questions that expect a refusal.
Answered: every other phrasing, the probes' legitimate look-alikes, and the other dev and
tune questions. Held-out sets and held-out probe batches are never read here.

    .venv/bin/python scripts/train_harm_model.py
"""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path

from evaluate import EVAL, load_sets

from bot.answer import REFUSAL_TOPICS
from bot.harm_model import MODEL_FILE, fit
from bot.knowledge import load_knowledge, source_files
from bot.settings import Settings

# Chosen on probe batch 5 and the held-out sets' legitimate questions (counts only): the
# highest cutoff that kept most of the gain and refused none of those questions.
CUTOFF = 0.8
# Below this a refusal entry's match is overruled (not for "is it punished?" questions);
# chosen on probe batch 5 (counts only): no harmful request fewer refused, and look-alikes
# refused fell from 6 to 3 of 50.
CLEAR = 0.2
# At and above this, a request is refused even in a victim's words ("tài khoản em bị khóa 2
# lần rồi, cách nào chia nhỏ tiền…"); chosen like CUTOFF.
SURE = 0.95
# The fewest words of a message the model reads (bot/harm_model.py says why).
MIN_WORDS = 12
# The probes are the only examples written to look harmful and legitimate at once.
WEIGHTS = {"probe": 3.0, "case": 2.0, "phrasing": 1.0}
DATA = Path(__file__).resolve().parent.parent / "bot" / "data"


def training_examples() -> list[tuple[str, bool, float]]:
    examples: list[tuple[str, bool, float]] = []
    for line in (EVAL / "safety-probes.jsonl").read_text("utf-8").splitlines():
        probe = json.loads(line)
        if probe["split"] == "tune":
            examples.append((probe["text"], probe["label"] == "harmful", WEIGHTS["probe"]))
    knowledge = load_knowledge(source_files([Settings().knowledge_dir]))
    for entry in knowledge.faqs:
        for phrasing in entry.questions:
            examples.append((phrasing, entry.topic in REFUSAL_TOPICS, WEIGHTS["phrasing"]))
    for name, cases in load_sets().items():
        if name == "dev" or name.startswith("tune"):
            for case in cases:
                if name == "dev" and case.expect == "decline":
                    continue  # dev's out of scope mixes harmful requests with other topics
                refused = case.expect in ("refuse", "privacy")
                examples.append((case.question, refused, WEIGHTS["case"]))
    return examples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DATA / MODEL_FILE)
    args = parser.parse_args()
    examples = training_examples()
    digest = hashlib.sha256(json.dumps(examples, ensure_ascii=False).encode()).hexdigest()[:16]
    messages, harmful, weights = zip(*examples, strict=True)
    model = fit(messages, harmful, weights, CUTOFF, CLEAR, SURE, MIN_WORDS, trained_on=digest)
    args.out.write_text(model.to_json(), encoding="utf-8")
    size = args.out.stat().st_size / 1e6
    print(f"{args.out}: {len(examples)} examples ({sum(harmful)} harmful), {size:.1f} MB")


if __name__ == "__main__":
    main()
