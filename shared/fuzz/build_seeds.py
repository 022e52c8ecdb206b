#!/usr/bin/env python3
"""Builds the fuzzers' seed corpora from the material beside the checkout, at run time.

Usage: build_seeds.py CONFORMANCE_DIR OUT_DIR [JSONATA_SUITE_DIR]

From each recorded case of the conformance corpus (CONFORMANCE_DIR/cases/*/*.json) it takes the
definition (definition), every JSONPath (jsonpath), intrinsic call (intrinsics) and JSONata
expression (jsonata) found in it, each with the case's input after a NUL byte, the mock config
(mock_config), and request sequences that store and run the definition (http_api). JSONata
reference-suite expressions are added to the jsonata seeds when that suite is given. Nothing is
copied into the repository: OUT_DIR is an ignored build directory, rebuilt every run.
"""

import hashlib
import json
import os
import shutil
import sys
from pathlib import Path

# Seeds longer than this are cut out: the targets look at no more than 64 KiB either.
MAX_SEED = 64 * 1024


def compact(value):
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


class Corpus:
    def __init__(self, root):
        self.root = root
        self.counts = {}

    def add(self, target, data):
        if isinstance(data, str):
            data = data.encode("utf-8", "surrogatepass")
        if len(data) > MAX_SEED:
            return
        folder = self.root / target
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / hashlib.sha1(data).hexdigest()
        if not path.exists():
            path.write_bytes(data)
            self.counts[target] = self.counts.get(target, 0) + 1


def strings(value, key=""):
    """Every (key, string) pair in a JSON value, depth first."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from strings(v, k)
    elif isinstance(value, list):
        for v in value:
            yield from strings(v, key)
    elif isinstance(value, str):
        yield key, value


def from_case(corpus, case, index):
    definition = case.get("definition")
    given = case.get("input", {})
    # The seeds pair a text with the case's input, which is what the text ran against.
    doc = compact(given)
    if definition is not None:
        corpus.add("definition", compact(definition))
        for key, text in strings(definition):
            stripped = text.strip()
            if stripped.startswith("{%") and stripped.endswith("%}"):
                corpus.add("jsonata", stripped[2:-2].strip() + "\0" + doc)
            elif stripped.startswith("States."):
                corpus.add("intrinsics", stripped + "\0" + doc)
            elif stripped.startswith("$") and (key.endswith(".$") or key.endswith("Path")
                                               or key in ("Variable", "Items")):
                corpus.add("jsonpath", stripped + "\0" + doc)
        name = f"m{index}"
        put = f"PUT /state-machines/{name}\n{compact(definition)}"
        sync = f"POST /state-machines/{name}/sync\n{doc}"
        corpus.add("http_api", put + "\0" + sync)
        arn = f"arn:aws:states:us-east-1:123456789012:execution:{name}:e{index}"
        started = f"POST /state-machines/{name}/executions?name=e{index}\n{doc}"
        follow = [f"GET /executions/{arn}", f"GET /executions/{arn}/history",
                  f"GET /state-machines/{name}"]
        if index % 3 == 0:
            follow.append(f"DELETE /executions/{arn}\n{{\"error\":\"E\",\"cause\":\"c\"}}")
        if index % 5 == 0:
            follow.append("POST /tasks/success\n{\"taskToken\":\"t\",\"output\":\"{}\"}")
        corpus.add("http_api", "\0".join([put, started] + follow))
    mock = case.get("mock_config")
    if mock is not None:
        corpus.add("mock_config", compact(mock))


def from_jsonata_suite(corpus, suite):
    datasets = suite / "datasets"
    for path in sorted((suite / "groups").glob("*/*.json")):
        try:
            loaded = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        for case in loaded if isinstance(loaded, list) else [loaded]:
            expr = case.get("expr")
            if not isinstance(expr, str):
                continue
            data = case.get("data")
            if data is None and isinstance(case.get("dataset"), str):
                try:
                    data = json.loads((datasets / (case["dataset"] + ".json")).read_text(encoding="utf-8"))
                except (OSError, ValueError):
                    data = None
            corpus.add("jsonata", expr + "\0" + (compact(data) if data is not None else ""))


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    conformance, out = Path(sys.argv[1]), Path(sys.argv[2])
    cases = sorted((conformance / "cases").glob("*/*.json"))
    if not cases:
        sys.exit(f"seeds: no cases in {conformance / 'cases'}: the fuzzers' seeds come from the "
                 "conformance corpus beside the checkout (../shared/conformance)")
    if out.exists():
        shutil.rmtree(out)
    corpus = Corpus(out)
    for index, path in enumerate(cases):
        from_case(corpus, json.loads(path.read_text(encoding="utf-8")), index)
    if len(sys.argv) > 3 and (Path(sys.argv[3]) / "groups").is_dir():
        from_jsonata_suite(corpus, Path(sys.argv[3]))
    print("seeds: " + ", ".join(f"{t} {n}" for t, n in sorted(corpus.counts.items())))


if __name__ == "__main__":
    main()
