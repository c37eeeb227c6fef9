"""Uploaders: every kind of upload SPEC §4 names, each answer checked as it comes."""
import errno
import hashlib
import json
import os
import random

import builders
import shared as S

KINDS = {  # kind: weight
    "rpm": 3, "deb": 3, "tar": 20, "file": 20, "bad": 12, "bundle": 6, "bundle-bad": 4,
    "big": 1, "again": 12, "conflict": 10, "fix": 6,
}


def upload(name, data):
    """Writes data to incoming/name like cp does; returns 0 or the errno of open/write/close."""
    try:
        fd = os.open(f"{S.MNT}/incoming/{name}", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    except OSError as e:
        return e.errno
    try:
        view = memoryview(data)
        while view:
            n = os.write(fd, view[: 1 << 20])
            view = view[n:]
    except OSError as e:
        os.close(fd)
        return e.errno
    try:
        os.close(fd)
    except OSError as e:
        return e.errno
    return 0


def meta_of(sha):
    with open(f"{S.MNT}/by-sha256/{sha}/meta.json") as f:
        return json.load(f)


def check_search(name, file_name):
    """A package is in search/<its name> the moment its upload returns."""
    try:
        if S.stem(file_name) not in os.listdir(f"{S.MNT}/search/{name}"):
            S.violation(f"{file_name} not in search/{name} after its upload returned")
    except OSError as x:
        S.violation(f"search/{name}: {x}")


def check_failed(sha, file_name, state):
    try:
        m = meta_of(sha)
    except OSError as x:
        S.violation(f"failed upload {file_name} not at by-sha256: {x}")
        return
    if m.get("packageState") != state or not m.get("packageStateDetails"):
        S.violation(f"{file_name}: {m.get('packageState')} {m.get('packageStateDetails')}, expected {state} with details")


def again_or_conflict(k, kind, who):
    got = S.claim_from(S.live, lambda e: e["owner"] == k and e["data"])
    if not got:
        return
    sha, entry = got
    try:
        try:
            os.unlink(f"{S.MNT}/incoming/{entry['name']}")
        except FileNotFoundError:
            pass
        data = entry["data"] if kind == "again" else entry["data"] + b"other"
        rc = upload(entry["name"], data)
        want = 0 if kind == "again" else errno.EEXIST
        if rc != want:
            S.violation(f"{kind} upload of {entry['name']}: errno {rc}, expected {want}")
        S.tick(who, kind)
    finally:
        S.release(sha)


def fix(k, who):
    """Good bytes under the name of a corrupt or incomplete upload replace it (SPEC §4)."""
    got = S.claim_from(S.failed, lambda e: e["owner"] == k)
    if not got:
        return
    old, entry = got
    try:
        files = None
        if entry["kind"] == "bundle":
            data, files = builders.make_bundle(entry["package"], entry["version"])
        else:
            data = builders.make_tar(f"{k}-fix")
        sha = hashlib.sha256(data).hexdigest()
        try:
            os.unlink(f"{S.MNT}/incoming/{entry['name']}")  # the receipt of the failed upload
        except FileNotFoundError:
            pass
        rc = upload(entry["name"], data)
        if rc:
            S.violation(f"fixing {entry['name']} ({entry['state']}): errno {rc} {os.strerror(rc)}")
            return
        if os.path.lexists(f"{S.MNT}/by-sha256/{old}"):
            S.violation(f"{entry['name']}: the {entry['state']} upload is still there after good bytes replaced it")
        with S.lock:
            S.failed.pop(old)
            S.replaced[old] = entry["name"]
            S.live[sha] = {"name": entry["name"], "kind": "bundle" if files else "tar", "data": data, "owner": k}
            if files:
                S.payloads[sha] = files
        S.tick(who, "fix")
    finally:
        S.release(old)


def uploader(k, rpms, debs):
    who = f"uploader{k}"
    n = 0
    kinds, weights = zip(*KINDS.items())
    while not S.stop.is_set():
        n += 1
        kind = random.choices(kinds, weights)[0]
        if kind in ("again", "conflict"):
            again_or_conflict(k, kind, who)
            continue
        if kind == "fix":
            fix(k, who)
            continue
        files, want, keep, package, version = None, "available", True, None, None
        if kind in ("rpm", "deb"):
            pool = rpms if kind == "rpm" else debs
            with S.lock:
                if not pool:
                    continue
                path, files = pool.pop()
            data = open(path, "rb").read()
            name = os.path.basename(path)
            package = name.split("_")[0] if kind == "deb" else name.rsplit("-", 2)[0]
        elif kind == "tar":
            data = builders.make_tar(f"{k}-{n}")
            package, name = f"soak-tar{k}x{n}", f"soak-tar{k}x{n}-1.{n}.0-1.el7.x86_64.tar.gz"
        elif kind == "file":
            data = os.urandom(random.randint(0, 300000)) + b"x"
            package, name = f"soak-file{k}x{n}", f"soak-file{k}x{n}-3.{n}-7.el8.aarch64.bin"
        elif kind == "big":
            data, keep = os.urandom(random.randint(8, 48) << 20), False
            package, name = f"soak-big{k}x{n}", f"soak-big{k}x{n}-5.{n}-1.el9.x86_64.bin"
        elif kind == "bad":
            data, want = builders.make_tar(f"{k}-{n}", good=False), "corrupt"
            package, name = f"soak-bad{k}x{n}", f"soak-bad{k}x{n}-1.0-1.el7.x86_64.tar.gz"
        else:  # bundle, bundle-bad
            if kind == "bundle-bad":
                want = random.choice(["incomplete", "corrupt"])
            package, version = f"soak-bnd{k}x{n}", f"1.{n}.0"
            data, files = builders.make_bundle(package, version, want)
            name = f"{package}-{version}.tar.gz"
            kind = "bundle"
        sha = hashlib.sha256(data).hexdigest()
        rc = upload(name, data)
        if want != "available":
            if rc != errno.EIO:
                S.violation(f"{want} upload {name}: errno {rc}, expected EIO")
                continue
            check_failed(sha, name, want)
            with S.lock:
                S.failed[sha] = {"name": name, "kind": kind, "owner": k, "state": want,
                                 "package": package, "version": version}
        elif rc != 0:
            S.violation(f"upload {name} ({kind}): errno {rc} {os.strerror(rc)}")
            continue
        else:
            with S.lock:
                S.live[sha] = {"name": name, "kind": kind, "data": data if keep else None, "owner": k}
                if files:
                    S.payloads[sha] = files
        check_search(package, name)
        S.tick(who, "upload-" + kind + ("" if want == "available" else "-" + want))
