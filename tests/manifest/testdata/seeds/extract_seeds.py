#!/usr/bin/env python3
"""Re-extracts the YAML examples of the seed articles, byte for byte.

Each example is a line range of an article in /work/shared/seeds (1-based,
inclusive). Only the Markdown around an example is left out: the ``` fences,
the `vim FILE` / `dig ...` shell lines of article 004 that share a fence with
the YAML, and the one-tab indentation that makes a Markdown code block in
article 002. Everything else, including the articles' mistakes, is kept.

usage: extract_seeds.py [SEEDS_DIR] [OUT_DIR]
"""
import os
import sys

EXAMPLES = [
    # (output file, article, first line, last line, strip a leading tab)
    ("kubia-svc-nodeport.yaml", "000_4d635c5f04a410dd.txt", 16, 28, False),
    ("kubia-svc-loadbalancer.yaml", "000_4d635c5f04a410dd.txt", 61, 72, False),
    ("external-traffic-policy-fragment.yaml", "000_4d635c5f04a410dd.txt", 94, 98, False),
    ("just-a-nginx.yaml", "001_8782bc403747a4cf.txt", 22, 37, False),
    ("the-service.yaml", "001_8782bc403747a4cf.txt", 45, 55, False),
    ("the-service-nodeport-80.yaml", "001_8782bc403747a4cf.txt", 110, 122, False),
    ("the-service-externalips.yaml", "001_8782bc403747a4cf.txt", 136, 149, False),
    ("the-mysql.yaml", "001_8782bc403747a4cf.txt", 169, 175, False),
    ("mongo.yaml", "001_8782bc403747a4cf.txt", 187, 204, False),
    ("ssh-service1.yaml", "002_bbf7ae15c0e4ff7f.txt", 57, 71, True),
    ("my-nginx.yaml", "004_53a07fb4d37d6815.txt", 18, 37, False),
    ("myapp.yaml", "004_53a07fb4d37d6815.txt", 43, 54, False),
    ("myapp-headless.yaml", "004_53a07fb4d37d6815.txt", 78, 89, False),
    ("myapp-nodeport.yaml", "004_53a07fb4d37d6815.txt", 107, 120, False),
    ("my-service.yaml", "004_53a07fb4d37d6815.txt", 146, 152, False),
]


def main():
    seeds = sys.argv[1] if len(sys.argv) > 1 else "/work/shared/seeds"
    out = sys.argv[2] if len(sys.argv) > 2 else os.path.dirname(os.path.abspath(__file__))
    for name, article, first, last, strip_tab in EXAMPLES:
        with open(os.path.join(seeds, article), encoding="utf-8") as f:
            lines = f.read().split("\n")
        chunk = lines[first - 1:last]
        if strip_tab:
            chunk = [l[1:] if l.startswith("\t") else l for l in chunk]
        with open(os.path.join(out, name), "w", encoding="utf-8") as f:
            f.write("\n".join(chunk) + "\n")
        print(f"{name}: {article} lines {first}-{last}")


if __name__ == "__main__":
    main()
