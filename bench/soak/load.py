#!/usr/bin/env python3
"""Bounded HTTP load through the balancer, one new TCP connection per request.

    load.py --target VIP --port 6443 --rate 100 --out FILE [--timeout 1]

Started in the client namespace. Every 1/rate seconds a request starts (`GET /`, `Connection:
close`), whether or not earlier ones have finished, so an outage costs requests instead of
slowing the schedule; each may take up to --timeout seconds. A request is ok when the answer's
status line is `HTTP/1.x 200`; anything else is a failure, by reason: refused (RST to the SYN:
nobody listens on the VIP), timeout (no answer in time: the VIP was nowhere, or its holder was
stopped), reset (the connection was cut after it was accepted: the balancer lost the VIP with
the connection open), bad (closed without a 200).

Each request is counted in the second in which it STARTED. A second is written once every
request started in it has finished, one line per second of CLOCK_MONOTONIC (the clock the lab's
other tools use):

    <second> <ok> <failed> <refused> <timeout> <reset> <bad>

The rate is bounded on purpose: the soak runs beside other work on a small machine, and what it
measures is the daemon's growth over many connections and leadership changes, not its throughput.
Stops on SIGTERM/SIGINT, writing the seconds it has finished.
"""
import argparse
import asyncio
import signal
import sys
import time

REASONS = ("refused", "timeout", "reset", "bad")


async def one_request(target: str, port: int, timeout: float) -> str:
    """Returns "ok" or one of REASONS."""
    writer = None
    try:
        async with asyncio.timeout(timeout):
            reader, writer = await asyncio.open_connection(target, port)
            writer.write(f"GET / HTTP/1.1\r\nHost: {target}\r\nConnection: close\r\n\r\n".encode())
            await writer.drain()
            answer = await reader.read()
        status = answer.split(b"\r\n", 1)[0].split()
        return "ok" if len(status) >= 2 and status[1] == b"200" else "bad"
    except TimeoutError:
        return "timeout"
    except ConnectionRefusedError:
        return "refused"
    except (ConnectionResetError, BrokenPipeError, ConnectionAbortedError):
        return "reset"
    except OSError:
        return "bad"
    finally:
        if writer is not None:
            writer.close()


class Counts:
    """Per-second results, keyed by the whole second in which each request started."""

    def __init__(self, out):
        self.out = out
        self.seconds = {}  # second -> {"ok": n, reason: n, "pending": n}

    def started(self, second: int):
        entry = self.seconds.setdefault(second, {"ok": 0, "pending": 0, **{r: 0 for r in REASONS}})
        entry["pending"] += 1

    def finished(self, second: int, result: str):
        entry = self.seconds[second]
        entry["pending"] -= 1
        entry[result] += 1

    def flush(self, before: int):
        """Writes every second earlier than `before` whose requests have all finished, in order;
        stops at the first that has not (so lines stay in time order)."""
        for second in sorted(self.seconds):
            if second >= before or self.seconds[second]["pending"]:
                break
            entry = self.seconds.pop(second)
            failed = sum(entry[r] for r in REASONS)
            reasons = " ".join(str(entry[r]) for r in REASONS)
            self.out.write(f"{second} {entry['ok']} {failed} {reasons}\n")
        self.out.flush()


async def run(args) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    interval = 1.0 / args.rate
    tasks = set()
    with open(args.out, "a", encoding="ascii") as out:
        counts = Counts(out)
        next_start = time.monotonic()
        last_flush = 0.0
        while not stop.is_set():
            now = time.monotonic()
            if now < next_start:
                try:
                    await asyncio.wait_for(stop.wait(), next_start - now)
                except TimeoutError:
                    pass
                continue
            # Behind schedule (the machine was busy): skip the missed slots rather than bursting.
            next_start += interval
            if next_start < now:
                next_start = now + interval
            second = int(now)
            counts.started(second)

            async def request(second=second):
                counts.finished(second, await one_request(args.target, args.port, args.timeout))

            task = asyncio.create_task(request())
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            if now - last_flush >= 1.0:
                counts.flush(second)
                last_flush = now
        if tasks:
            await asyncio.wait(tasks, timeout=args.timeout + 1)
        counts.flush(sys.maxsize)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description="bounded HTTP load, one connection per request")
    parser.add_argument("--target", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--rate", type=float, default=100.0, help="requests started per second")
    parser.add_argument("--timeout", type=float, default=1.0, help="seconds per request")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    if args.rate <= 0 or args.timeout <= 0:
        parser.error("--rate and --timeout must be positive")
    return asyncio.run(run(args))


if __name__ == "__main__":
    sys.exit(main())
