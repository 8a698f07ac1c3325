#!/usr/bin/env python3
"""Debian's software archive as a Kith catalog: a third domain for the catalog
benchmark (software, next to books and films), assembled at run time from the
Debian package registry, never committed.

Items are the binary packages of Debian 12 "bookworm" (main, amd64) that carry
at least one descriptive debtag: the package name is the title, the
maintainer the creator, the long description (Translation-en) the
description, the debtags in plain words the tags, the installed size in KB
the length. The interactions are the archive's own: every package is a
"user" whose positives are the catalog packages it depends on, recommends or
suggests (users with at least three), the signal a "people who use X also
use Y" recommender for software learns from. Debian's archive metadata is
freely redistributable (each description is part of its free package); the
files are the ones `apt-get update` reads, checked against the release's
published SHA-256.

    debian.py OUT_DIR [--cache DIR]    # writes OUT_DIR/items.csv, interactions.csv
"""
import argparse
import csv
import hashlib
import lzma
import os
import re
import sys
import urllib.request

MIRROR = "http://deb.debian.org/debian/dists/bookworm"
FILES = ["main/binary-amd64/Packages.xz", "main/i18n/Translation-en.xz"]

# Facets that say what a package is made of or how it is packaged, not what
# it is for: no visitor asks for them.
SKIP_FACETS = {"role", "special", "x11", "made-of", "scope", "junior"}


def log(m):
    print(f"debian: {m}", file=sys.stderr, flush=True)


def fetch(cache):
    """The release's file list with SHA-256, then each file, checked."""
    os.makedirs(cache, exist_ok=True)
    release = urllib.request.urlopen(f"{MIRROR}/Release", timeout=60).read().decode()
    sums, in_sha = {}, False
    for line in release.splitlines():
        if line.startswith("SHA256:"):
            in_sha = True
        elif not line.startswith(" "):
            in_sha = False
        elif in_sha:
            h, size, name = line.split()
            sums[name] = h
    out = {}
    for name in FILES:
        path = os.path.join(cache, name.replace("/", "_"))
        if not (os.path.exists(path) and sha256(path) == sums[name]):
            log(f"downloading {name}")
            urllib.request.urlretrieve(f"{MIRROR}/{name}", path)
        if sha256(path) != sums[name]:
            sys.exit(f"debian: {name} does not match the release's SHA-256")
        out[name] = (path, sums[name])
    return out


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def stanzas(path):
    """Deb822 paragraphs as dicts; continuation lines joined with newlines."""
    with lzma.open(path, "rt", encoding="utf-8", errors="replace") as f:
        text = f.read()
    for block in text.split("\n\n"):
        fields, key = {}, None
        for line in block.split("\n"):
            if line.startswith((" ", "\t")) and key:
                fields[key] += "\n" + line[1:]
            elif ":" in line:
                key, value = line.split(":", 1)
                fields[key] = value.strip()
        if fields:
            yield fields


def plain_tag(tag):
    """A debtag in the words a visitor would use ("game::puzzle" → "puzzle game")."""
    if "::" not in tag:
        return None
    facet, value = tag.split("::", 1)
    if facet in SKIP_FACETS or value in ("TODO", "none"):
        return None
    last = value.split(":")[-1].replace("-", " ").replace("_", " ")
    if facet == "game":
        return "toy" if last == "toys" else f"{last} game"
    if facet == "use" and last == "gameplaying":
        return "game"
    if facet in ("implemented-in", "devel") and value.startswith("lang:") or facet == "implemented-in":
        return f"{last} language" if len(last) == 1 else last
    if facet == "sound":
        return f"audio {last}"
    if facet in ("network", "web", "mail"):
        return f"{facet} {last}" if last not in ("server",) else last
    if facet == "interface" and last in ("x11", "graphical"):
        return "graphical"
    if facet == "interface" and last == "commandline":
        return "command line"
    if facet == "devel" and last == "library":
        return "library"
    return last


def creator(maintainer):
    name = re.sub(r"\s*<[^>]*>", "", maintainer).strip()
    return name or None


def description(d):
    """The long description as plain text (deb822 " ." lines are paragraph breaks)."""
    lines = [("" if l.strip() == "." else l.strip()) for l in d.split("\n")[1:]]
    return re.sub(r"\s+", " ", " ".join(lines)).strip()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out")
    ap.add_argument("--cache", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "target", "debian-archive"))
    a = ap.parse_args()
    files = fetch(a.cache)

    long_desc = {}
    for s in stanzas(files[FILES[1]][0]):
        if "Description-md5" in s and "Description-en" in s:
            long_desc[s["Description-md5"]] = description(s["Description-en"])

    packages = {s["Package"]: s for s in stanzas(files[FILES[0]][0]) if "Package" in s}
    items = {}
    for name, s in packages.items():
        tags = sorted({t for t in (plain_tag(x.strip()) for x in s.get("Tag", "").replace("\n", " ").split(",")) if t})
        if not tags:
            continue
        items[name] = {
            "id": name,
            "title": name,
            "creator": creator(s.get("Maintainer", "")) or "",
            "description": (s.get("Description", "") + ". " + long_desc.get(s.get("Description-md5", ""), "")).strip(". "),
            "tags": "|".join(tags),
            "length": s.get("Installed-Size", ""),
        }
    rows = 0
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "interactions.csv"), "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["user", "item"])
        for name, s in sorted(packages.items()):
            used = set()
            for field in ("Pre-Depends", "Depends", "Recommends", "Suggests"):
                for alternative in s.get(field, "").replace("\n", " ").split(","):
                    for dep in alternative.split("|"):
                        dep = dep.strip().split(" ")[0].split(":")[0]
                        if dep in items and dep != name:
                            used.add(dep)
            if len(used) >= 3:
                for dep in sorted(used):
                    w.writerow([name, dep])
                    rows += 1
    with open(os.path.join(a.out, "items.csv"), "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, ["id", "title", "creator", "description", "tags", "length"])
        w.writeheader()
        for name in sorted(items):
            w.writerow(items[name])
    log(f"{len(items)} packages, {rows} interactions; Packages.xz sha256 {files[FILES[0]][1][:16]}…")


if __name__ == "__main__":
    main()
