"""`python -m bench.replicas` (the bench) or `python -m bench.replicas check --port 8000` (against `make run`)."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from bench.replicas import run

ROOT = Path(__file__).resolve().parents[2]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.replicas", description=run.__doc__)
    parser.add_argument("mode", nargs="?", choices=["bench", "check"], default="bench")
    parser.add_argument("--port", type=int, default=8000, help="check: the port `make run` serves on")
    parser.add_argument("--pairs", type=int, default=1000, help="create-then-read pairs with the token")
    parser.add_argument("--clients", type=int, default=4, help="concurrent read clients (processes)")
    parser.add_argument("--seconds", type=float, default=8, help="each read-throughput round")
    parser.add_argument("--lag-rate", type=float, default=200, help="commands/s offered during the lag run")
    parser.add_argument("--lag-seconds", type=float, default=20)
    parser.add_argument("--out-dir", type=Path, default=ROOT / "bench" / "results")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.mode == "check":
        result = run.check(args)
        print(json.dumps(result, indent=2))
        return 0 if result["stale_reads"] == 0 else 1
    started = time.time()
    result = run.run(args)
    result["command"] = " ".join(["python -m bench.replicas", *(sys.argv[1:] if argv is None else argv)])
    result["finished_at"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    result["seconds"] = round(time.time() - started, 1)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    (args.out_dir / "replicas.json").write_text(json.dumps(result, indent=2, default=str) + "\n")
    print(json.dumps({k: v for k, v in result.items() if k != "read"} | {"read": {
        k: v for k, v in result["read"].items() if k != "rounds"}}, indent=2, default=str))  # fmt: skip
    return 0 if result["ryw"]["stale_reads"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
