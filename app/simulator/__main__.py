"""Run the simulator standalone on a loopback address.

python -m app.simulator --port 8090 [--host 127.0.0.1] [--time-scale 0.05] [--api-key KEY]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import uvicorn

from app.simulator.app import create_simulator_app
from app.simulator.config import SimulatorConfig
from app.loopback import loopback_host_arg


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m app.simulator", description="Kie-compatible simulator")
    parser.add_argument("--port", type=int, default=8090)
    parser.add_argument("--host", type=loopback_host_arg, default="127.0.0.1")
    parser.add_argument("--time-scale", type=float, default=1.0, help="multiplies every simulated duration")
    parser.add_argument("--api-key", default=None, help="accept only this bearer key (default: any)")
    parser.add_argument("--webhook-hmac-key", default=None, help="sign callbacks with this key")
    parser.add_argument("--failure-rate", type=float, default=0.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--storage-dir", type=Path, default=None, help="uploads and media (default: a temp dir)"
    )
    parser.add_argument("--public-base-url", default=None, help="base of the URLs handed out")
    parser.add_argument("--rate-limit-creates", type=int, default=20,
                        help="creates per window before 429 (0 turns the limit off)")
    parser.add_argument("--rate-limit-window-seconds", type=float, default=10.0)
    parser.add_argument("--credits", type=float, default=SimulatorConfig.initial_credits,
                        help="the account's starting balance (creates cost credits; 402 when spent)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    config = SimulatorConfig(
        api_key=args.api_key,
        webhook_hmac_key=args.webhook_hmac_key,
        time_scale=args.time_scale,
        failure_rate=args.failure_rate,
        seed=args.seed,
        storage_dir=args.storage_dir,
        public_base_url=args.public_base_url,
        rate_limit_creates=args.rate_limit_creates,
        rate_limit_window_seconds=args.rate_limit_window_seconds,
        initial_credits=args.credits,
    )
    app = create_simulator_app(config)
    print(f"Kie simulator on http://{args.host}:{args.port} (time scale {args.time_scale})", file=sys.stderr)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    app.state.simulator.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
