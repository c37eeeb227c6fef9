"""The end of a run, mounted and after a remount: nothing registered lost, nothing deleted or
replaced back, every failed upload still there with its state and details."""
import hashlib
import os

import shared as S
from uploads import meta_of


def verify(label):
    bad = 0
    for sha, e in list(S.live.items()):
        d = f"{S.MNT}/by-sha256/{sha}"
        try:
            m = meta_of(sha)
            digest = hashlib.sha256()
            with open(f"{d}/{e['name']}", "rb") as f:
                while chunk := f.read(1 << 20):
                    digest.update(chunk)
        except OSError as x:
            S.violation(f"{label}: live {e['name']} lost: {x}")
            bad += 1
            continue
        if m["packageState"] != "available" or m["fileName"] != e["name"] or digest.hexdigest() != sha:
            S.violation(f"{label}: {e['name']} state {m['packageState']} name {m['fileName']}")
            bad += 1
    for sha, name in list(S.deleted.items()) + list(S.replaced.items()):
        if sha not in S.live and os.path.lexists(f"{S.MNT}/by-sha256/{sha}"):
            S.violation(f"{label}: deleted or replaced {name} is back")
    for sha, e in S.failed.items():
        try:
            m = meta_of(sha)
            if m["packageState"] != e["state"] or not m.get("packageStateDetails"):
                S.violation(f"{label}: {e['state']} upload {e['name']} shows {m['packageState']}")
        except OSError as x:
            S.violation(f"{label}: {e['state']} upload {e['name']} lost: {x}")
    listed = set(os.listdir(f"{S.MNT}/by-sha256"))
    expected = set(S.live) | set(S.failed)
    if listed != expected:
        S.violation(f"{label}: by-sha256 lists {len(listed)}, expected {len(expected)}: "
                    f"extra {sorted(listed - expected)[:3]} missing {sorted(expected - listed)[:3]}")
    print(f"{label}: {len(S.live)} live, {len(S.deleted)} deleted, {len(S.failed)} failed, "
          f"{len(S.replaced)} replaced checked, {bad} bad", flush=True)
