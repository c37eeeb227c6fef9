"""The HTTP APIs of the same mount (`pkgfs mount --http`) under the same load: OCP uploads (good
and truncated), keyword queries, ranged downloads and the Astra resource, each checked against
what the mount shows at that moment."""
import hashlib
import json
import os
import random
import urllib.error
import urllib.parse
import urllib.request

import builders
import shared as S
from uploads import check_failed, meta_of

ACCOUNT = None


def call(method, path, body=None, headers=None):
    """(status, body bytes) of one request to the mount's HTTP server."""
    req = urllib.request.Request(S.HTTP + path, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def post_upload(name, data):
    boundary = "soak" + os.urandom(8).hex()
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n"
            "Content-Type: application/octet-stream\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    return call("POST", "/api/v2/software-packages", body,
                {"Content-Type": f"multipart/form-data; boundary={boundary}"})


def check_registered(sha, name, data, package):
    """What a just answered upload must show, over HTTP and in the mount."""
    if not os.path.lexists(f"{S.MNT}/by-sha256/{sha}"):
        S.violation(f"HTTP upload {name}: not in by-sha256 when its answer came")
        return
    q = urllib.parse.urlencode({"keyword": package, "page": 1, "size": 50})
    status, body = call("GET", f"/api/v2/software-packages?{q}")
    names = [c.get("fileName") for c in json.loads(body).get("data", {}).get("contents", [])] if status == 200 else []
    if name not in names:
        S.violation(f"HTTP query keyword={package}: {status}, {name} not in {names[:5]}")
    start = random.randint(0, len(data) - 1)
    end = random.randint(start, len(data) - 1)
    status, part = call("GET", "/api/v2/files/sys-package/" + urllib.parse.quote(name),
                        headers={"Range": f"bytes={start}-{end}"})
    if status != 206 or part != data[start:end + 1]:
        S.violation(f"HTTP download {name} bytes={start}-{end}: {status}, {len(part)} bytes "
                    f"{'differ' if status == 206 else ''}")
    uuid = meta_of(sha)["uuid"]
    status, body = call("GET", f"/accounts/{ACCOUNT}/core/v1/packages/{uuid}")
    resource = json.loads(body) if status == 200 else {}
    if resource.get("id") != uuid or resource.get("packageState") != "available":
        S.violation(f"Astra GET {uuid} ({name}): {status} {str(resource)[:200]}")


def http_worker():
    global ACCOUNT
    ACCOUNT = open(f"{S.STORE}/account-id").read().strip()
    who, n = "http", 0
    while not S.stop.is_set():
        n += 1
        kind = random.choice(["tar", "tar", "file", "file", "bad"])
        package = f"soak-http{kind}{n}"
        if kind == "file":
            data, name = os.urandom(random.randint(1, 200000)), f"{package}-4.{n}-1.el8.x86_64.bin"
        else:
            data = builders.make_tar(f"http{n}", good=kind == "tar")
            name = f"{package}-1.{n}.0-1.el7.x86_64.tar.gz"
        sha = hashlib.sha256(data).hexdigest()
        try:
            status, body = post_upload(name, data)
        except OSError as x:
            S.violation(f"HTTP upload {name}: {x}")
            continue
        if kind == "bad":
            if status != 422:
                S.violation(f"HTTP upload of truncated {name}: {status}, expected 422: {body[:200]}")
                continue
            check_failed(sha, name, "corrupt")
            with S.lock:
                S.failed[sha] = {"name": name, "kind": "bad", "owner": "http", "state": "corrupt",
                                 "package": package, "version": None}
            S.tick(who, "http-upload-bad")
            continue
        answer = json.loads(body) if body.startswith(b"{") else {}
        if status != 200 or answer.get("data", {}).get("sha1") != hashlib.sha1(data).hexdigest():
            S.violation(f"HTTP upload {name}: {status} {body[:300]}")
            continue
        with S.lock:  # busy while checked, so no other thread changes it meanwhile
            S.live[sha] = {"name": name, "kind": kind, "data": None, "owner": "http"}
            S.busy.add(sha)
        try:
            check_registered(sha, name, data, package)
        except (OSError, ValueError, KeyError) as x:
            S.violation(f"HTTP checks of {name}: {x!r}")
        finally:
            S.release(sha)
        S.tick(who, "http-upload")
