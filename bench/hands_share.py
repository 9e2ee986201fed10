"""How much of a hand does the style code of ONE of its letters carry? (issue 45, --hands)

    python bench/hands_share.py outputs/hands/h0/model.keras outputs/hands/h500/model.keras

For each of 20 held-out simulated hands (synthetic_letters.make_hand, hand seeds 50,000 on, far
from --hands' 1,000,000 on), every letter in turn is the reference: its code z decodes each of the
other 25 letters of the hand, scored as −log p(true letter | z, class) (style.negative_log_likelihood,
nats). Beside it the same letters decoded from z = 0 (the model's average hand) and from each
letter's own code (the oracle, what its own code holds). The share of the hand that one letter
recovers is (nll_zero − nll_style) / (nll_zero − nll_oracle): 1 = as good as each letter's own
code, 0 = no better than z = 0, below 0 = worse. The reference's code is the encoder's mean, and
also style.infer_style's (the mean of q times the prior, what --style-from draws with).
Prints one Markdown row per model, with the test −ELBO from the metrics.json beside it.
"""

import argparse
import json
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

HELD_OUT_FROM, HANDS = 50_000, 20


def hand_nlls(vae, x, y):
    """For one hand's letters x (n, 28, 28) in 0..1 with classes y: the mean −log p over every
    (reference r, other letter j) pair from z = r's encoder mean, from r's infer_style mean, and over
    every letter from z = 0 and from its own code."""
    import style

    means, _ = style.encode_posteriors(vae, x, y)
    n = len(x)
    ref, other = np.array([(r, j) for r in range(n) for j in range(n) if j != r]).T
    inferred = np.stack([style.infer_style(vae, x[r:r + 1], y[r:r + 1]).mean for r in range(n)])
    nll = lambda z, index: style.negative_log_likelihood(vae, x[index], y[index], z).mean()
    return {"style": nll(means[ref], other), "inferred": nll(inferred[ref], other),
            "zero": nll(np.zeros_like(means), np.arange(n)), "oracle": nll(means, np.arange(n))}


def measure(path):
    import common
    from synthetic_letters import make_hand

    vae = common.load_vae(path)
    metrics = json.loads((Path(path).parent / "metrics.json").read_text())
    rows = []
    for i in range(HANDS):
        x, y = make_hand(metrics["classes"], 1, HELD_OUT_FROM + i, 0)
        rows.append(hand_nlls(vae, x.astype(np.float32) / 255.0, y))
    mean = {key: float(np.mean([row[key] for row in rows])) for key in rows[0]}
    share = lambda key: (mean["zero"] - mean[key]) / (mean["zero"] - mean["oracle"])
    return {**mean, "share": share("style"), "share_inferred": share("inferred"), "hands": metrics.get("hands", 0),
            "elbo": metrics["test"]["loss"], "epochs": metrics["epochs_run"], "model": metrics["model"]}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("models", nargs="+", type=Path, help="model.keras files of conditional runs")
    args = parser.parse_args()
    print("| --hands | epochs | test −ELBO | nll z = 0 | nll one letter's z | nll oracle | share | share (infer_style) |")
    print("|---|---|---|---|---|---|---|---|")
    for path in args.models:
        m = measure(path)
        print(f"| {m['hands']} | {m['epochs']} | {m['elbo']:.2f} | {m['zero']:.2f} | {m['style']:.2f} | "
              f"{m['oracle']:.2f} | {m['share']:.1%} | {m['share_inferred']:.1%} |", flush=True)


if __name__ == "__main__":
    main()
