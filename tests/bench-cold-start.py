"""Cold-start init time of each function's release binary: from exec to the first request for
an event from Lambda's Runtime API (played here by a local HTTP server), i.e. everything the
function does at cold start (configuration, SDK clients) before it can take an invocation.

Usage: python3 tests/bench-cold-start.py [RUNS]   (after `cargo build --release` of the functions)
Prints one JSON object per function: median and min of RUNS starts, in milliseconds.
"""

import http.server
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target")) / "release"
FUNCTIONS = ["quickstep-api", "quickstep-worker", "quickstep-trigger"]

first_request = threading.Event()


class RuntimeApi(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # /2018-06-01/runtime/invocation/next: the function is ready
        first_request.set()
        self.send_response(500)
        self.end_headers()

    def log_message(self, *args):
        pass


def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), RuntimeApi)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = dict(
        os.environ,
        AWS_LAMBDA_RUNTIME_API=f"127.0.0.1:{server.server_address[1]}",
        AWS_LAMBDA_FUNCTION_NAME="bench",
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE="128",
        AWS_LAMBDA_FUNCTION_VERSION="$LATEST",
        AWS_REGION="us-east-1",
        AWS_ACCESS_KEY_ID="bench",
        AWS_SECRET_ACCESS_KEY="bench",
        QUICKSTEP_TABLE="quickstep",
        QUICKSTEP_STEP_QUEUE_URL="http://127.0.0.1:1/123456789012/quickstep-steps",
        QUICKSTEP_EVENT_BUS="quickstep",
        QUICKSTEP_STATE_MACHINE="hello",
    )
    for function in FUNCTIONS:
        binary = TARGET / function
        times = []
        for _ in range(runs):
            first_request.clear()
            start = time.perf_counter()
            process = subprocess.Popen([str(binary)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            ready = first_request.wait(timeout=30)
            elapsed = (time.perf_counter() - start) * 1000
            process.kill()
            process.wait()
            if not ready:
                sys.exit(f"{function} never asked for an event")
            times.append(elapsed)
        print(json.dumps({
            "function": function,
            "init_ms_median": round(statistics.median(times), 1),
            "init_ms_min": round(min(times), 1),
            "binary_bytes": binary.stat().st_size,
        }))


if __name__ == "__main__":
    main()
