"""Readers walking the tree while everything changes: every meta.json parses, originals match
their sha256, files/ matches the package's own payload, `latest` is the highest version listed."""
import hashlib
import io
import json
import os
import random
import re
import tarfile
import time

import shared as S


def holds(root, package_id):
    """Whether the package directory `root` still holds package `package_id`: it may have been
    deleted meanwhile, or replaced (a corrupt package by a good upload of its name), when the
    names under the directory a walk went into are gone with it."""
    try:
        return os.getxattr(root, "user.pkgfs.id") == str(package_id).encode()
    except OSError:
        return False


def seen(root, package_id, what, read):
    """read(), or None when it fails: a name missing counts as a violation only while `root`
    still holds package `package_id`."""
    try:
        return read()
    except FileNotFoundError:
        if holds(root, package_id):
            S.violation(f"{what} missing")
    except OSError as x:
        S.violation(f"{what}: {x}")
    return None


def compare_files(root, package_id, expected):
    """files/ under root holds each expected path with its bytes or link target."""
    for path, want in expected.items():
        p = f"{root}/files/{path}"
        got = seen(root, package_id, p, lambda: ("link", os.readlink(p)) if isinstance(want, tuple) else open(p, "rb").read())
        if got is None:
            return
        if got != want and holds(root, package_id):
            S.violation(f"{p}: {len(got)} bytes differ from the package's {len(want)}")


def archive_members(original):
    """{member: bytes} of a tar.gz, what `tar -x` gives."""
    with tarfile.open(fileobj=io.BytesIO(original), mode="r:gz") as t:
        return {m.name: t.extractfile(m).read() for m in t.getmembers() if m.isfile()}


def check_links(root, m):
    """by-id/<id>, by-id/<uuid> and by-sha256/<sha256> lead to the package's directory (every
    upload of the soak has bytes of its own, so the digest link has one package to name)."""
    here = os.path.realpath(root)
    for link in (f"by-id/{m['id']}", f"by-id/{m['uuid']}", f"by-sha256/{m['sha256']}"):
        there = seen(root, m["id"], f"{link} of {root}", lambda: os.path.realpath(f"{S.MNT}/{link}", strict=True))
        if there is None:
            continue
        if there != here and holds(root, m["id"]):
            S.violation(f"{link} leads to {there}, not {here}")


def check_package(root, m, who):
    """A sampled available package: its links, its original's bytes, and files/ against its payload."""
    check_links(root, m)
    try:
        data = open(os.path.join(root, m["fileName"]), "rb").read()
    except FileNotFoundError:
        return
    except OSError as x:
        S.violation(f"reading {root}/{m['fileName']}: {x}")
        return
    if hashlib.sha256(data).hexdigest() != m["sha256"]:
        S.violation(f"{root}/{m['fileName']}: bytes do not match sha256")
        return
    expected = S.payloads.get(m["sha256"])
    if expected is None and m.get("format") == "archive":
        expected = archive_members(data)
    if expected is not None:
        compare_files(root, m["id"], expected)
        S.tick(who, "payload-" + m.get("format", "?"))


def read_meta(path, who):
    """meta.json, which reads whole and at the size fstat gives even while its package changes
    (a change replaces it as a rename would)."""
    try:
        with open(path, "rb") as h:
            size = os.fstat(h.fileno()).st_size
            data = h.read()
    except FileNotFoundError:
        return None  # deleted meanwhile
    except OSError as x:
        S.violation(f"reading {path}: {x}")
        return None
    if len(data) != size:
        S.violation(f"{path}: read {len(data)} bytes where fstat says {size}")
    try:
        return json.loads(data)
    except ValueError as x:
        S.violation(f"{path} is not JSON: {x}")
        return None


STATES = {b"verifying\n", b"available\n", b"corrupt\n", b"incomplete\n"}


def read_state(root, package_id):
    """state holds one state word, whole, even while it is being written."""
    data = seen(root, package_id, f"{root}/state", lambda: open(f"{root}/state", "rb").read())
    if data is not None and data not in STATES:
        S.violation(f"{root}/state reads {data!r}")


NUMERIC = re.compile(r"^\d+(\.\d+)*$")


def check_latest(arch_dir):
    """latest points at the last version the directory lists (versions are listed in order);
    where all versions are plain dotted numbers, that order is checked too. A change in flight
    may show one before the other: only a mismatch still there a second later counts."""
    for attempt in range(6):
        try:
            before = os.listdir(arch_dir)
            target = os.readlink(f"{arch_dir}/latest")
            after = os.listdir(arch_dir)
        except FileNotFoundError:
            return
        except OSError as x:
            S.violation(f"{arch_dir}/latest: {x}")
            return
        if before != after:
            return  # changing right now: nothing to compare
        versions = [v for v in before if v != "latest"]
        if versions and target == versions[-1]:
            break
        time.sleep(0.2)
    else:
        S.violation(f"{arch_dir}/latest -> {target}, listed last: {versions[-1:]} ({len(versions)} versions)")
        return
    if all(NUMERIC.match(v) for v in versions):
        keys = [tuple(int(x) for x in v.split(".")) for v in versions]
        if keys != sorted(keys):
            S.violation(f"{arch_dir}: versions out of order: {versions[:10]}")


# A walk of the whole tree outlasts a soak once it holds thousands of packages: each walk goes
# its own random way and gives up after this long, so every part of the tree (each type,
# by-*/, search/) is visited again and again.
WALK_SECONDS = 15


def reader(k):
    who = f"reader{k}"
    while not S.stop.is_set():
        started = time.time()
        for root, dirs, files in os.walk(S.MNT):
            if S.stop.is_set() or time.time() - started > WALK_SECONDS:
                break
            random.shuffle(dirs)
            S.progress[who] = time.time()
            if "latest" in dirs:
                check_latest(root)
            if "meta.json" not in files:
                continue
            m = read_meta(os.path.join(root, "meta.json"), who)
            if m is None:
                continue
            read_state(root, m["id"])
            if random.random() < 0.2 and m.get("packageState") == "available":
                check_package(root, m, who)
            S.tick(who, "meta")
        try:
            os.listdir(f"{S.MNT}/search/soak")
            S.tick(who, "search")
        except OSError as x:
            S.violation(f"search: {x}")
