#!/usr/bin/env python3
"""Plots `kith simulate --json` output as a dependency-free SVG.

    python3 scripts/plot-simulation.py docs/results/simulate-ml100k.json docs/img/simulate-ml100k.svg

Two panels: NDCG@K of the list shown at each turn, and the share of visitors
with a hit by each turn (cumulative), one line per strategy or baseline.
"""
import json
import sys
from html import escape

COLORS = {
    "info_gain": "#1b7f5b",
    "random_question": "#d08c1a",
    "no_questions": "#6b5fb5",
    "popularity": "#999999",
    "mf_5_ratings": "#c23b3b",
}
DASHED = {"popularity", "mf_5_ratings"}


def panel(x0, title, series, turns, ymax):
    w, h, pad = 360, 240, 40
    out = [f'<g transform="translate({x0},30)">',
           f'<text x="{w/2}" y="-10" text-anchor="middle" font-size="14">{escape(title)}</text>',
           f'<line x1="{pad}" y1="{h}" x2="{w}" y2="{h}" stroke="#333"/>',
           f'<line x1="{pad}" y1="0" x2="{pad}" y2="{h}" stroke="#333"/>']
    for k in range(5):
        v = ymax * k / 4
        y = h - h * k / 4
        out.append(f'<text x="{pad-6}" y="{y+4}" text-anchor="end" font-size="10">{v:.2f}</text>')
        out.append(f'<line x1="{pad}" y1="{y}" x2="{w}" y2="{y}" stroke="#eee"/>')
    for t in range(turns):
        x = pad + (w - pad) * t / max(turns - 1, 1)
        out.append(f'<text x="{x}" y="{h+14}" text-anchor="middle" font-size="10">t{t}</text>')
    for name, values in series:
        pts = " ".join(
            f"{pad + (w - pad) * t / max(turns - 1, 1):.1f},{h - h * min(v, ymax) / ymax:.1f}"
            for t, v in enumerate(values))
        dash = ' stroke-dasharray="5,4"' if name in DASHED else ""
        out.append(f'<polyline points="{pts}" fill="none" stroke="{COLORS.get(name, "#000")}" stroke-width="2"{dash}/>')
    out.append("</g>")
    return out


def main(src, dst):
    r = json.load(open(src))
    turns = r["turns"] + 1
    res = r["results"]
    nd_max = max(max(x["ndcg"]) for x in res) * 1.15
    svg = ['<svg xmlns="http://www.w3.org/2000/svg" width="820" height="340" font-family="sans-serif">',
           '<rect width="100%" height="100%" fill="white"/>']
    svg += panel(10, f'{r["catalog"]}: NDCG@{r["k"]} of the list at each turn',
                 [(x["name"], x["ndcg"]) for x in res], turns, nd_max)
    svg += panel(420, f'share of visitors with a hit by turn',
                 [(x["name"], x["success_by_turn"]) for x in res], turns, 1.0)
    for k, x in enumerate(res):
        y = 318
        xpos = 40 + k * 155
        dash = ' stroke-dasharray="5,4"' if x["name"] in DASHED else ""
        svg.append(f'<line x1="{xpos}" y1="{y}" x2="{xpos+22}" y2="{y}" stroke="{COLORS.get(x["name"], "#000")}" stroke-width="2"{dash}/>')
        svg.append(f'<text x="{xpos+27}" y="{y+4}" font-size="11">{escape(x["name"])}</text>')
    svg.append("</svg>")
    open(dst, "w").write("\n".join(svg) + "\n")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
