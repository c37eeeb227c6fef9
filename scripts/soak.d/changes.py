"""Threads that change registered packages: deletes, state transitions, labels (SPEC §4). Each
change must be seen the moment its command returns."""
import errno
import os
import random
import time

import shared as S
from uploads import meta_of


def delete(sha, e):
    d = f"{S.MNT}/by-sha256/{sha}"
    try:
        if random.random() < 0.5:
            os.unlink(f"{d}/{e['name']}")
        else:
            os.rmdir(os.path.realpath(d))
    except OSError as x:
        S.violation(f"delete {e['name']}: {x}")
        return
    if os.path.lexists(d):
        S.violation(f"deleted {e['name']} still at by-sha256")
    with S.lock:
        S.live.pop(sha, None)
        S.payloads.pop(sha, None)
        S.deleted[sha] = e["name"]
    S.tick("deleter", "delete")


def change_state(sha, e):
    d = f"{S.MNT}/by-sha256/{sha}"
    for state in ("corrupt", "available"):
        try:
            with open(f"{d}/state", "w") as f:
                f.write(state + "\n")
        except OSError as x:
            S.violation(f"echo {state} > state of {e['name']}: {x}")
            break
        m = meta_of(sha)
        if m.get("packageState") != state:
            S.violation(f"{e['name']}: state {m.get('packageState')} after writing {state}")
    # a transition not allowed: available -> verifying
    try:
        with open(f"{d}/state", "w") as f:
            f.write("verifying\n")
        S.violation(f"{e['name']}: available -> verifying accepted")
    except OSError as x:
        if x.errno != errno.EINVAL:
            S.violation(f"{e['name']}: bad transition gave {x}, expected EINVAL")
    S.tick("state", "state")


def label(sha, e):
    d = f"{S.MNT}/by-sha256/{sha}"
    v = str(random.randint(0, 1 << 30)).encode()
    try:
        t0 = time.time()
        os.setxattr(d, "user.label.team", v)
        t1 = time.time()
        if os.getxattr(d, "user.label.team") != v:
            S.violation(f"label of {e['name']} not read back")
        t2 = time.time()
        m = meta_of(sha)
        t3 = time.time()
    except (OSError, ValueError) as x:
        S.violation(f"label {e['name']}: {x}")
        return
    if t3 - t0 > 1:
        print(f"slow label: setxattr {t1-t0:.2f} getxattr {t2-t1:.2f} meta {t3-t2:.2f} s", flush=True)
    labels = m.get("metadata", {}).get("labels") or []
    if {"name": "team", "value": v.decode()} not in labels:
        S.violation(f"{e['name']}: meta.json labels {labels} lack team={v.decode()} after setfattr")
    S.tick("labeler", "label")


def deleter():
    S.on_claimed((0.05, 0.3), delete)


def state_changer():
    S.on_claimed((0.02, 0.2), change_state)


def labeler():
    S.on_claimed((0.01, 0.1), label)
