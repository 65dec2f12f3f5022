"""Command line: `python -m qbsandbox serve|seed|generate` (see README.md)."""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date

from qbsandbox import webhooks
from qbsandbox.app import make_app
from qbsandbox.demo import seed_demo_realms
from qbsandbox.generate import generate_realm
from qbsandbox.server import build_server, production_mode
from qbsandbox.store import Store


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m qbsandbox", description="Local QuickBooks Online sandbox"
    )
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the sandbox over HTTP")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8765)
    serve.add_argument("--db", required=True)
    serve.add_argument(
        "--latency-ms", type=float, default=0.0, help="added before each Accounting API answer (benchmarks)"
    )
    seed = commands.add_parser("seed", help="create the demo companies and the demo app (idempotent)")
    seed.add_argument("--db", required=True)
    seed.add_argument("--today", type=date.fromisoformat, default=None)
    seed.add_argument("--webhook-url", default="", help="notify this endpoint of every change (signed)")
    seed.add_argument("--verifier-token", default="", help="the key of the notifications' intuit-signature")
    gen = commands.add_parser("generate", help="create one company with N generated transactions")
    gen.add_argument("--db", required=True)
    gen.add_argument("--size", type=int, default=1000)
    gen.add_argument("--seed", type=int, default=0)
    gen.add_argument("--currency", default="USD")
    gen.add_argument("--name", default=None)
    gen.add_argument("--multicurrency", action="store_true")
    gen.add_argument("--today", type=date.fromisoformat, default=None)
    args = parser.parse_args(argv)
    return {"serve": _serve, "seed": _seed, "generate": _generate}[args.command](args)


def _serve(args: argparse.Namespace) -> int:
    if production_mode():
        print(
            "qbsandbox: refusing to start in production mode (DJANGO_DEBUG off or OTIUMWORK_PRODUCTION set)",
            file=sys.stderr,
        )
        return 2
    server = build_server(make_app(args.db, args.latency_ms / 1000), args.host, args.port, quiet=False)
    print(f"QuickBooks sandbox on http://{args.host}:{server.server_port} (db {args.db})", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


def _seed(args: argparse.Namespace) -> int:
    store = Store(args.db)
    for realm in seed_demo_realms(store, today=args.today):
        print(f"{realm['realm_id']}  {realm['currency']}  {realm['name']}")
    if args.webhook_url:
        webhooks.subscribe(store, url=args.webhook_url, verifier_token=args.verifier_token)
        print(f"webhook notifications go to {args.webhook_url}")
    return 0


def _generate(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    name = args.name or f"Generated {args.currency} {args.size}"
    realm_id = generate_realm(
        Store(args.db),
        name=name,
        currency=args.currency,
        seed=args.seed,
        size=args.size,
        today=args.today,
        multicurrency=args.multicurrency,
    )
    print(f"{realm_id}  {args.size} transactions in {time.perf_counter() - started:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
