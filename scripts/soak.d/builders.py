"""The packages the soak uploads, built for real (rpmbuild, dpkg-deb, tarfile), each with what
its files/ must show."""
import base64
import hashlib
import io
import json
import os
import random
import shutil
import sys
import tarfile

import shared as S


def prebuild_rpms(n):
    """n RPMs with a random payload.bin and a symlink to it: [(path, files/ map)]."""
    out = []
    top = S.WORK + "/rpmbuild"
    os.makedirs(top + "/SPECS", exist_ok=True)
    for i in range(n):
        name, ver = f"soak-rpm{i}", f"1.{i % 7}.{i}"
        payload = os.urandom(random.randint(100, 60000))
        source = f"{S.WORK}/rpm-payload{i}"
        open(source, "wb").write(payload)
        spec = f"""Name: {name}
Version: {ver}
Release: 1.el7
Summary: soak {name}
License: MIT
BuildArch: x86_64
%description
soak
%install
mkdir -p %{{buildroot}}/opt/{name}
cp {source} %{{buildroot}}/opt/{name}/payload.bin
ln -s payload.bin %{{buildroot}}/opt/{name}/link
%files
/opt/{name}
"""
        open(top + "/SPECS/s.spec", "w").write(spec)
        r = S.sh(f"rpmbuild -bb --quiet --define '_topdir {top}' --define '_build_id_links none' "
                 f"--define '__os_install_post %{{nil}}' --target x86_64 {top}/SPECS/s.spec")
        if r.returncode:
            sys.exit("rpmbuild failed: " + r.stderr)
        dst = f"{S.SRC}/{name}-{ver}-1.el7.x86_64.rpm"
        shutil.move(f"{top}/RPMS/x86_64/{name}-{ver}-1.el7.x86_64.rpm", dst)
        out.append((dst, {f"opt/{name}/payload.bin": payload, f"opt/{name}/link": ("link", "payload.bin")}))
    return out


def make_deb(i):
    """A deb with one random data file: (path, files/ map)."""
    d = f"{S.WORK}/debsrc{i}"
    os.makedirs(d + "/DEBIAN", exist_ok=True)
    os.makedirs(d + f"/usr/share/soak{i}", exist_ok=True)
    open(d + "/DEBIAN/control", "w").write(
        f"Package: soak-deb{i}\nVersion: 2.{i}.0-1\nArchitecture: amd64\nMaintainer: soak <s@x>\n"
        f"Description: soak deb {i}\n")
    data = os.urandom(random.randint(10, 50000))
    open(d + f"/usr/share/soak{i}/data", "wb").write(data)
    dst = f"{S.SRC}/soak-deb{i}_2.{i}.0-1_amd64.deb"
    r = S.sh(f"dpkg-deb -Zgzip --root-owner-group --build {d} {dst}")
    if r.returncode:
        sys.exit("dpkg-deb failed: " + r.stderr)
    shutil.rmtree(d)
    return dst, {f"usr/share/soak{i}/data": data}


def tar_gz(members):
    """A tar.gz of {name: bytes} in that order."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as t:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def make_tar(tag, good=True):
    """A plain tar.gz archive (format `archive`); cut in half when not good."""
    b = tar_gz({f"soak-tar{tag}/f{j}": os.urandom(random.randint(0, 20000))
                for j in range(random.randint(1, 5))})
    return b if good else b[: len(b) // 2]


def make_bundle(package, version, outcome="available"):
    """An Astra bundle (SPEC §5) with 1-3 images and an inline file: (bytes, files/ map).
    outcome `incomplete` leaves an image out, `corrupt` gives one the wrong bytes."""
    images, members = [], {}
    for j in range(random.randint(1, 3)):
        data = os.urandom(random.randint(100, 40000))
        images.append({"imagePath": "/images", "imageName": f"img{j}", "imageTag": version,
                       "imageDigest": "sha256:" + hashlib.sha256(data).hexdigest()})
        members[f"images/img{j}.tar"] = data
    inline = f"kind: Config\nname: {package}\n".encode()
    manifest = {"packageName": package, "packageVersion": version, "packageType": "install",
                "severityLevel": "recommended", "bundleName": [package + "-bundle"], "images": images,
                "files": [{"fileName": "acc.yaml", "fileIdentifier": "acc.yaml",
                           "fileMediaType": "application/octet-stream",
                           "fileContents": base64.b64encode(inline).decode()}]}
    doc = json.dumps(manifest, indent=2).encode()
    if outcome == "incomplete":
        members.pop(f"images/img{len(images) - 1}.tar")
    elif outcome == "corrupt":
        members["images/img0.tar"] = members["images/img0.tar"] + b"tampered"
    files = {"package.json": doc, "acc.yaml": inline, **members}
    return tar_gz({"package.json": doc, **members}), files
