"""Summarises `kith simulate --json` runs of one catalog over several seeds:
per strategy, the mean and 95% t-interval over seeds of each figure, and the
paired differences list gain - random and information gain - random; and the
catalog's `kith requests --json` report on the vague openings. Prints a table to stderr and
one JSON line to stdout."""
import json, math, sys

# Two-sided 95% Student t quantiles by degrees of freedom.
T95 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365,
       8: 2.306, 9: 2.262, 10: 2.228, 15: 2.131, 20: 2.086, 30: 2.042}

def t95(df):
    return T95.get(df) or T95[max(k for k in T95 if k <= df)]

def interval(xs):
    n = len(xs)
    m = sum(xs) / n
    if n < 2:
        return m, float("nan")
    sd = math.sqrt(sum((x - m) ** 2 for x in xs) / (n - 1))
    return m, t95(n - 1) * sd / math.sqrt(n)

def figures(s):
    later = s["hr"][1:]
    return {
        "success_within_turns": s["success_rate"],
        "mean_hr@10_after_opening": sum(later) / len(later) if later else float("nan"),
        "mean_turn_of_first_hit": s["mean_turns_to_first_hit"] if s["mean_turns_to_first_hit"] is not None else float("nan"),
        "questions_per_user": s["questions_per_user"],
    }

name, openings, files = sys.argv[1], sys.argv[2], sys.argv[3:]
runs = [json.load(open(f)) for f in files]
strategies = ["list_gain", "info_gain", "random_question", "no_questions"]
per = {s: {} for s in strategies}
for run in runs:
    by = {r["name"]: r for r in run["results"]}
    for s in strategies:
        for k, v in figures(by[s]).items():
            per[s].setdefault(k, []).append(v)
out = {"catalog": name, "seeds": len(runs), "users_per_seed": runs[0].get("users"), "strategies": {}}
print(f"\n{name}: {len(runs)} seeds, mean ± 95% t-interval over seeds", file=sys.stderr)
for s in strategies:
    out["strategies"][s] = {}
    cells = []
    for k, xs in per[s].items():
        m, h = interval(xs)
        out["strategies"][s][k] = [round(m, 4), round(h, 4)]
        cells.append(f"{k} {m:.3f} ± {h:.3f}")
    print(f"  {s:20}" + " | ".join(cells), file=sys.stderr)
for asked in ["list_gain", "info_gain"]:
    key = f"{asked}_minus_random"
    out[key] = {}
    cells = []
    for k in per[asked]:
        d = [a - b for a, b in zip(per[asked][k], per["random_question"][k])]
        m, h = interval(d)
        out[key][k] = [round(m, 4), round(h, 4)]
        cells.append(f"{k} {m:+.3f} ± {h:.3f}{' *' if abs(m) > h else ''}")
    print(f"  {asked} − random".ljust(22) + " | ".join(cells) + "   (* interval excludes 0)", file=sys.stderr)
o = json.load(open(openings))
out["vague_openings"] = o["vague_openings"]
out["useful_first_replies"] = o["useful_first_replies"]
not_useful = [r["say"] for r in o["results"] if r.get("useful") is False]
print(f"  vague openings: {o['useful_first_replies']:.3f} of {o['vague_openings']} first replies useful"
      + (f"; not: {not_useful}" if not_useful else ""), file=sys.stderr)
print(json.dumps(out))
