#!/usr/bin/env python3
"""Helpers for scripts/bench (not timed themselves unless the script says so).

  helper.py mksmall DIR N SIZE          N RPMs of about SIZE bytes, built by one rpmbuild run
                                        (N subpackages): DIR/small<i>-1.0-1.el7.x86_64.rpm;
                                        gzip-compressed tarballs of the same names (.tar.gz)
                                        where rpmbuild is missing or fails
  helper.py meta FILE KEY...            prints meta.json fields, one per line
  helper.py mirror SRC DST STORE        recreates the tree under SRC (a pkgfs mount) at DST on
                                        the backing disk: same dirs and symlinks, copies of
                                        meta.json/state, originals hard-linked to their blobs
  helper.py catalog DB                  shell assignments describing a (generated) catalog
  helper.py report TSV OUT              renders the results table (markdown) to OUT and stdout
"""
import gzip
import io
import json
import os
import random
import shlex
import sqlite3
import statistics
import subprocess
import sys
import tarfile


def mksmall(directory, n, size):
    if not mksmallrpm(directory, n, size):
        mksmalltgz(directory, n, size)


def mksmallrpm(directory, n, size):
    """One spec with N subpackages small<i>, each holding SIZE bytes of random data (which
    gzip does not shrink), dependency generators and post-install scripts off: rpmbuild makes
    them all in one run."""
    import shutil
    import subprocess
    import tempfile
    if not shutil.which("rpmbuild"):
        return False
    os.makedirs(directory, exist_ok=True)
    top = tempfile.mkdtemp(prefix="rpmbuild-", dir=os.path.dirname(os.path.abspath(directory)))
    lines = [
        "Name: small", "Version: 1.0", "Release: 1.el7", "Summary: bench", "License: MIT",
        "BuildArch: x86_64", "AutoReqProv: no",
        "%define _binary_payload w1.gzdio", "%define _build_id_links none",
        "%define __os_install_post %{nil}", "%define debug_package %{nil}",
        "%description", "bench",
        "%install", "mkdir -p %{buildroot}/opt/small",
        f"for i in $(seq 1 {n}); do head -c {max(1, size - 2000)} /dev/urandom > %{{buildroot}}/opt/small/$i.bin; done",
    ]
    for i in range(1, n + 1):
        lines += [f"%package -n small{i}", "Summary: bench", f"%description -n small{i}", "bench",
                  f"%files -n small{i}", f"/opt/small/{i}.bin"]
    spec = os.path.join(top, "small.spec")
    with open(spec, "w") as f:
        f.write("\n".join(lines) + "\n")
    try:
        done = subprocess.run(["rpmbuild", "-bb", "--quiet", "--define", f"_topdir {top}", spec],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        built = os.path.join(top, "RPMS", "x86_64")
        if done.returncode != 0 or not os.path.isdir(built):
            sys.stderr.write(f"helper.py: rpmbuild failed, small packages are tarballs: {done.stderr[-500:]}\n")
            return False
        for name in os.listdir(built):
            os.rename(os.path.join(built, name), os.path.join(directory, name))
        return True
    finally:
        shutil.rmtree(top, ignore_errors=True)


def mksmalltgz(directory, n, size):
    os.makedirs(directory, exist_ok=True)
    rng = random.Random(42)
    for i in range(1, n + 1):
        payload = rng.randbytes(max(1, size - 300))  # random bytes do not compress: the .tar.gz is ~size
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w") as tar:
            info = tarfile.TarInfo(f"small{i}/data.bin")
            info.size = len(payload)
            info.mtime = 1700000000
            tar.addfile(info, io.BytesIO(payload))
        data = gzip.compress(buf.getvalue(), compresslevel=1, mtime=0)
        with open(os.path.join(directory, f"small{i}-1.0-1.el7.x86_64.tar.gz"), "wb") as f:
            f.write(data)


def meta(path, keys):
    with open(path) as f:
        doc = json.load(f)
    for k in keys:
        print(doc.get(k, ""))


def mirror(src, dst, store):
    """Mirror a pkgfs tree onto the backing disk; prints counts. Uses d_type from readdir
    (no stat per entry) so the walk through the mount stays cheap."""
    counts = {"dirs": 0, "files": 0, "symlinks": 0, "hardlinks": 0}

    def copy(s, t):
        with open(s, "rb") as a:
            data = a.read()
        with open(t, "wb") as b:
            b.write(data)
        counts["files"] += 1
        return data

    def walk(s, t):
        os.makedirs(t, exist_ok=True)
        counts["dirs"] += 1
        with os.scandir(s) as it:
            entries = list(it)
        blob = None
        if any(e.name == "meta.json" for e in entries):
            try:
                sha = json.loads(copy(os.path.join(s, "meta.json"), os.path.join(t, "meta.json"))).get("sha256", "")
                blob = os.path.join(store, "blobs", "sha256", sha[:2], sha)
            except (OSError, ValueError):
                blob = None
        for e in entries:
            target = os.path.join(t, e.name)
            if e.name == "meta.json" and os.path.exists(target):
                continue
            if e.is_symlink():
                os.symlink(os.readlink(e.path), target)
                counts["symlinks"] += 1
            elif e.is_dir(follow_symlinks=False):
                walk(e.path, target)
            elif e.name in ("meta.json", "state"):
                copy(e.path, target)
            elif blob and os.path.exists(blob):
                os.link(blob, target)
                counts["hardlinks"] += 1
            else:
                with open(target, "wb") as b:
                    b.write(b"x")
                counts["files"] += 1

    walk(src, dst)
    print(" ".join(f"{k}={v}" for k, v in counts.items()))


def catalog(db):
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    q = lambda sql, *a: con.execute(sql, a).fetchall()
    out = {}
    out["CAT_COUNT"] = q("SELECT COUNT(*) FROM package")[0][0]
    t, o, a, v, n = q("""SELECT dirType, dirOS, dirArch, dirVersion, COUNT(*) c FROM package
                         GROUP BY 1,2,3,4 ORDER BY c DESC LIMIT 1""")[0]
    out["CAT_BIG_VERSION_DIR"] = f"{t}/{o}/{a}/{v}"
    out["CAT_BIG_VERSION_N"] = n
    t, o, a, n = q("""SELECT dirType, dirOS, dirArch, COUNT(DISTINCT dirVersion) c FROM package
                      GROUP BY 1,2,3 ORDER BY c DESC LIMIT 1""")[0]
    out["CAT_BIG_ARCH_DIR"] = f"{t}/{o}/{a}"
    out["CAT_BIG_ARCH_N"] = n + 1  # + latest
    out["CAT_SHA1_N"] = q("SELECT COUNT(DISTINCT sha1) FROM package")[0][0]
    for var, kw in (("CAT_KW_NARROW", "app-svc-004"), ("CAT_KW_BROAD", "ocp-agent")):
        pat = f"%{kw}%"
        n = q("""SELECT COUNT(*) FROM package WHERE name LIKE ?1 OR type LIKE ?1 OR version LIKE ?1
                 OR operatingSystem LIKE ?1 OR architecture LIKE ?1""", pat)[0][0]
        out[var] = kw
        out[var + "_N"] = n
    for k, v in out.items():
        print(f"{k}={shlex.quote(str(v))}")


# ---------------------------------------------------------------- report

def fmt_s(x):
    if x is None:
        return "n/a"
    if x >= 100:
        return f"{x:.0f} s"
    if x >= 1:
        return f"{x:.2f} s"
    return f"{x * 1000:.1f} ms"


def fmt_rate(nbytes, secs):
    if not nbytes or not secs:
        return ""
    return f" ({nbytes / secs / 2**20:.0f} MiB/s)"


def num(s):
    try:
        return float(s)
    except (TypeError, ValueError):
        return None


def cell(s):
    return s.replace("|", "\\|")


def read_tsv(tsv):
    meta, rows, targets, raw = {}, [], [], []
    with open(tsv) as f:
        for line in f:
            p = line.rstrip("\n").split("\t")
            if p[0] == "META":
                meta[p[1]] = p[2]
            elif p[0] == "R":
                rows.append(p[1:])
            elif p[0] == "T":
                targets.append(p[1:])
            elif p[0] == "RAW":
                raw.append(p[1:])
    return meta, rows, targets, raw


def report(tsv, out):
    meta, rows, targets, raw = read_tsv(tsv)
    L = []
    L.append(f"# pkgfs bench ({meta.get('mode', '?')})")
    L.append("")
    for k in ("date", "commit", "host", "kernel", "cpu", "disk", "workdir", "pkgfs", "root", "duration"):
        if k in meta:
            L.append(f"- {k}: {meta[k]}")
    L.append("")
    L.append("Ratio = pkgfs time / baseline time (1.00 = as fast as the baseline, 2.00 = twice as slow).")
    L.append("Times are medians of the repetitions listed under raw numbers.")
    L.append("")
    L.append("| figure | pkgfs | baseline | baseline is | ratio | notes |")
    L.append("|---|---|---|---|---|---|")
    for fig, ps, bs, nbytes, base_desc, note in rows:
        p, b, nb = num(ps), num(bs), num(nbytes)
        ratio = f"{p / b:.2f}" if p and b else "n/a"
        pcell = fmt_s(p) + fmt_rate(nb, p) if p is not None else (ps or "n/a")
        bcell = fmt_s(b) + fmt_rate(nb, b) if b is not None else (bs or "n/a")
        L.append(f"| {cell(fig)} | {pcell} | {bcell} | {cell(base_desc)} | {ratio} | {cell(note)} |")
    if targets:
        L.append("")
        L.append("## Against the issue's targets (rows without a target are informational)")
        L.append("")
        if "scale_note" in meta:
            L.append(meta["scale_note"])
            L.append("")
        L.append("| figure | pkgfs | target | verdict | notes |")
        L.append("|---|---|---|---|---|")
        for fig, value, unit, target, note in targets:
            v, t = num(value), num(target)
            if unit == "s":
                vcell = fmt_s(v) if v is not None else value
                tcell = ("≤ " + fmt_s(t)) if t is not None else "—"
            else:
                vcell = f"{v:.0f} {unit}" if v is not None else value
                tcell = f"≤ {t:.0f} {unit}" if t is not None else "—"
            if value == "":
                verdict = "not measured"
                vcell = "—"
            elif t is None:
                verdict = "info"
            elif v is None:
                verdict = "**missed**"
            else:
                verdict = "met" if v <= t else "**missed**"
            L.append(f"| {cell(fig)} | {vcell} | {tcell} | {verdict} | {cell(note)} |")
    L.append("")
    L.append("## Raw numbers")
    L.append("")
    L.append("```")
    for r in raw:
        L.append(f"{r[0]}: {' '.join(r[1:])}")
    L.append("```")
    text = "\n".join(L) + "\n"
    with open(out, "w") as f:
        f.write(text)
    sys.stdout.write(text)


def chart(tsv, png):
    """A PNG of a run's ratios: one bar per figure from the baseline (1.0) to pkgfs / baseline,
    on a log scale, so faster goes left and slower right. Drawn by gnuplot (pngcairo)."""
    meta, rows, _, _ = read_tsv(tsv)
    bars = [(fig, num(p) / num(b)) for fig, p, b, *_ in rows if num(p) and num(b)]
    if not bars:
        sys.exit(f"helper.py chart: no figure with both times in {tsv}")
    data = png + ".dat"
    with open(data, "w") as f:
        for i, (fig, ratio) in enumerate(bars):
            label = fig.replace('"', "'")
            f.write(f'{i}\t{ratio:.4f}\t"{label}"\n')
    top = max(2.0, max(r for _, r in bars) * 1.6)
    bottom = min(0.5, min(r for _, r in bars) / 1.6)
    title = (f"pkgfs time / baseline time, {meta.get('mode', '?')} run of {meta.get('date', '?')} "
             f"on {meta.get('commit', '?')} (left of 1: pkgfs faster)")
    script = f"""
set terminal pngcairo noenhanced size 1400,{160 + 26 * len(bars)} font ",10"
set output "{png}"
set title "{title}"
set logscale x 2
set xrange [{bottom}:{top}]
set yrange [{len(bars)}:-1]
set ytics nomirror
set grid xtics
set style fill solid 0.7 border -1
set arrow from 1, graph 0 to 1, graph 1 nohead lw 2 dashtype 2
set key off
plot "{data}" using (1):1:(($2 < 1) ? $2 : 1):(($2 < 1) ? 1 : $2):($1 - 0.35):($1 + 0.35):ytic(3) \\
        with boxxyerror lc rgb "#4a7ebb", \\
     "{data}" using 2:1:(($2 < 1) ? sprintf("%.2f ", $2) : "") with labels right font ",9", \\
     "{data}" using 2:1:(($2 < 1) ? "" : sprintf(" %.2f", $2)) with labels left font ",9"
"""
    result = subprocess.run(["gnuplot"], input=script, text=True, capture_output=True)
    os.remove(data)
    if result.returncode != 0:
        sys.exit(f"helper.py chart: gnuplot failed: {result.stderr.strip()}")


def mkpayload(path, mib):
    """MIB MiB where every MiB is 256 KiB of random bytes and 768 KiB of zeros: compressible
    enough to build an xz RPM quickly, and no two MiB alike (a wrong offset reads wrong bytes)."""
    with open(path, "wb") as f:
        for _ in range(mib):
            f.write(os.urandom(256 << 10))
            f.write(bytes(768 << 10))


def randread(path, count, size, seed):
    """COUNT reads of SIZE bytes at random offsets (fixed SEED), in that order; prints a digest
    of what was read so two files can be compared."""
    import hashlib
    import random
    rng = random.Random(int(seed))
    total = os.path.getsize(path)
    h = hashlib.sha1()
    fd = os.open(path, os.O_RDONLY)
    try:
        for _ in range(int(count)):
            off = rng.randrange(0, max(1, total - int(size)))
            h.update(os.pread(fd, int(size), off))
    finally:
        os.close(fd)
    print(h.hexdigest())


def median(args):
    vals = [float(x) for x in args]
    print(f"{statistics.median(vals):.6f}")


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "mksmall":
        mksmall(args[0], int(args[1]), int(args[2]))
    elif cmd == "meta":
        meta(args[0], args[1:])
    elif cmd == "mirror":
        mirror(args[0], args[1], args[2])
    elif cmd == "catalog":
        catalog(args[0])
    elif cmd == "report":
        report(args[0], args[1])
    elif cmd == "chart":
        chart(args[0], args[1])
    elif cmd == "median":
        median(args)
    elif cmd == "mkpayload":
        mkpayload(args[0], int(args[1]))
    elif cmd == "randread":
        randread(*args)
    else:
        sys.exit(f"helper.py: unknown command {cmd}")
