"""What the soak's threads share: the paths of this run, the packages known, violations, progress."""
import random
import subprocess
import threading
import time

BIN = WORK = STORE = MNT = SRC = None   # set by scripts/soak before any thread starts
HTTP = None                              # base URL when the mount also serves HTTP

lock = threading.Lock()
live = {}        # sha256 -> dict(name, kind, data or None, owner): registered `available`
busy = set()     # sha256 one thread is working on (deleting, changing, checking)
deleted = {}     # sha256 -> name: removed, must never come back
failed = {}      # sha256 -> dict(name, kind, owner, state): kept as `corrupt` / `incomplete`
replaced = {}    # sha256 -> name: a failed upload replaced by good bytes under its name
payloads = {}    # sha256 -> {path in files/: bytes, or ("link", target)}: rpm, deb, bundle
violations = []
progress = {}
counts = {}
stop = threading.Event()


def violation(msg):
    with lock:
        violations.append(msg)
    print("VIOLATION:", msg, flush=True)


def tick(who, what):
    progress[who] = time.time()
    with lock:
        counts[what] = counts.get(what, 0) + 1


def sh(cmd, **kw):
    return subprocess.run(cmd, shell=True, capture_output=True, text=True, **kw)


def claim(minimum=5):
    """A live package no other thread works on, marked busy; None while there are too few."""
    return claim_from(live, lambda entry: True, minimum)


def claim_from(pool, wanted, minimum=1):
    """(sha256, a copy of its entry) of a package of `pool` (`live`, `failed`) that passes
    `wanted` and no other thread works on, marked busy; None while there are fewer than `minimum`."""
    with lock:
        candidates = [s for s, e in pool.items() if s not in busy and wanted(e)]
        if len(candidates) < minimum:
            return None
        sha = random.choice(candidates)
        busy.add(sha)
        return sha, dict(pool[sha])


def release(sha):
    with lock:
        busy.discard(sha)


def on_claimed(pause, body):
    """Until the run stops: after a random pause in `pause` (seconds, low and high), `body(sha,
    entry)` on a live package that no other thread works on meanwhile."""
    while not stop.is_set():
        time.sleep(random.uniform(*pause))
        got = claim()
        if not got:
            continue
        sha, entry = got
        try:
            body(sha, entry)
        finally:
            release(sha)


def stem(file_name):
    """The package directory's name: the file name without its extension."""
    for ext in (".tar.gz", ".rpm", ".deb", ".bin"):
        if file_name.endswith(ext):
            return file_name[: -len(ext)]
    return file_name
