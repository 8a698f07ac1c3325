#!/usr/bin/env python3
"""MovieLens 100K as a site owner's CSV folder, converted at run time.

MovieLens is for research use only and is never copied into the project:
this reads ../shared/data/ml-100k (u.item, u.genre, u.data) and writes
items.csv (id, title, tags = the genres, year) and interactions.csv (user,
item, rating, timestamp) into a folder the caller owns, normally a
temporary one.

    ml100k.py ML100K_DIR OUT_DIR
"""
import csv
import os
import sys


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__.strip().splitlines()[-1].strip())
    src, out = sys.argv[1:3]
    os.makedirs(out, exist_ok=True)
    genres = [l.split("|")[0] for l in open(f"{src}/u.genre", encoding="latin-1") if l.strip()]
    with open(f"{out}/items.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["id", "title", "tags", "year"])
        for line in open(f"{src}/u.item", encoding="latin-1"):
            p = line.rstrip("\n").split("|")
            if len(p) < 24:
                continue
            tags = "|".join(g for g, flag in zip(genres, p[5:24]) if flag == "1" and g != "unknown")
            year = p[2][-4:] if p[2][-4:].isdigit() else ""
            w.writerow([p[0], p[1], tags, year])
    with open(f"{out}/interactions.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["user", "item", "rating", "timestamp"])
        for line in open(f"{src}/u.data", encoding="latin-1"):
            u, i, r, t = line.split("\t")
            w.writerow([u, i, r, t.strip()])


if __name__ == "__main__":
    main()
