#!/usr/bin/env python3
"""Assemble the helper image without a Docker daemon (called by scripts/build-image).

For each arch it writes, under OUT:
  rootfs-<goarch>.tar                      the one layer, uncompressed (docker/Dockerfile ADDs it)
  <token>/oci/                             an OCI image layout, tags <token>-<tagver>, <token>-latest
  <token>/docker-archive.tar               `docker load` input, tagged with the runner's image name
  helper-images/prebuilt-alpine-<token>.tar.xz   the flat rootfs the runner `docker import`s
and one OCI layout OUT/oci/ holding every arch plus a multi-arch index tagged
<tagver> and latest. <token> is the runner's arch name (amd64 -> x86_64).

Reproducible: every mtime is --epoch, owners are 0:0, entries are sorted, gzip
has no name or time, JSON is compact with sorted keys. Same inputs, same bytes.
"""
import argparse
import datetime
import gzip
import hashlib
import io
import json
import lzma
import os
import shutil
import sys
import tarfile

RUNNER_IMAGE = "registry.gitlab.com/gitlab-org/gitlab-runner/gitlab-runner-helper"
TOKENS = {"amd64": "x86_64", "arm64": "arm64", "s390x": "s390x", "ppc64le": "ppc64le",
          "riscv64": "riscv64"}
VARIANTS = {"arm64": "v8"}
PATH_ENV = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
ENTRYPOINT = ["/usr/bin/dumb-init", "/entrypoint"]
HELPER = "usr/bin/gitlab-runner-helper"
# applets of cihelper, by path in the image
HELPER_LINKS = ["usr/bin/cihelper", "usr/bin/git", "usr/bin/git-lfs", "usr/bin/dumb-init",
                "usr/bin/gitlab-runner-build", "usr/sbin/update-ca-certificates", "entrypoint"]
DIRS = {"bin": 0o755, "dev": 0o755, "etc": 0o755, "etc/ssl": 0o755, "etc/ssl/certs": 0o755,
        "home": 0o755, "proc": 0o755, "root": 0o700, "sbin": 0o755, "sys": 0o755,
        "tmp": 0o1777, "usr": 0o755, "usr/bin": 0o755, "usr/sbin": 0o755, "usr/local": 0o755,
        "usr/local/bin": 0o755, "usr/local/share": 0o755,
        "usr/local/share/ca-certificates": 0o755, "var": 0o755, "var/tmp": 0o1777}
BUDGET_ROOTFS = 5_000_000   # bytes of files, uncompressed
BUDGET_LAYER = 2_500_000    # bytes of the gzip layer

MT_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MT_INDEX = "application/vnd.oci.image.index.v1+json"
MT_CONFIG = "application/vnd.oci.image.config.v1+json"
MT_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"


def die(msg):
    sys.exit(f"oci-build: {msg}")


def jbytes(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()


def sha(data):
    return hashlib.sha256(data).hexdigest()


def relink(src, dst):
    """The relative target of a symlink at src pointing to image path dst."""
    return os.path.relpath(dst, os.path.dirname(src) or ".")


class Tar:
    """A tar built in memory with fixed metadata."""

    def __init__(self, epoch):
        self.epoch = epoch
        self.buf = io.BytesIO()
        self.tar = tarfile.open(fileobj=self.buf, mode="w", format=tarfile.PAX_FORMAT)

    def _info(self, name, kind, mode):
        ti = tarfile.TarInfo(name)
        ti.type, ti.mode, ti.mtime = kind, mode, self.epoch
        ti.uid = ti.gid = 0
        ti.uname = ti.gname = "root"
        return ti

    def add(self, entry):
        name, kind, mode, data = entry
        ti = self._info(name, kind, mode)
        if kind == tarfile.SYMTYPE:
            ti.linkname = data
            self.tar.addfile(ti)
        elif kind == tarfile.REGTYPE:
            ti.size = len(data)
            self.tar.addfile(ti, io.BytesIO(data))
        else:
            self.tar.addfile(ti)

    def bytes(self):
        self.tar.close()
        return self.buf.getvalue()


def read(path):
    with open(path, "rb") as f:
        return f.read()


def rootfs_entries(args, helper, busybox, links):
    """(name, type, mode, data) for every path of the image, sorted by name."""
    e = {d: (d, tarfile.DIRTYPE, m, None) for d, m in DIRS.items()}
    e["bin/busybox"] = ("bin/busybox", tarfile.REGTYPE, 0o755, read(busybox))
    e[HELPER] = (HELPER, tarfile.REGTYPE, 0o755, read(helper))
    for root, _, files in os.walk(args.rootfs):
        for f in files:
            src = os.path.join(root, f)
            name = os.path.relpath(src, args.rootfs)
            e[name] = (name, tarfile.REGTYPE, 0o644, read(src))
    e["etc/ssl/certs/ca-certificates.crt"] = ("etc/ssl/certs/ca-certificates.crt",
                                              tarfile.REGTYPE, 0o644, read(args.ca_bundle))
    for line in read(links).decode().split():
        name = line.lstrip("/")
        if name in e:
            die(f"busybox applet {name} collides with another file")
        e[name] = (name, tarfile.SYMTYPE, 0o777, relink(name, "bin/busybox"))
    for name in HELPER_LINKS:
        e[name] = (name, tarfile.SYMTYPE, 0o777, relink(name, HELPER))
    for name, entry in e.items():
        parent = os.path.dirname(name)
        if parent and (parent not in e or e[parent][1] != tarfile.DIRTYPE):
            die(f"{name}: parent directory {parent} is not in the image")
    return [e[k] for k in sorted(e)]


class Layout:
    """An OCI image layout directory."""

    def __init__(self, path):
        self.path = path
        os.makedirs(os.path.join(path, "blobs", "sha256"))
        self.manifests = []

    def blob(self, data):
        digest = sha(data)
        p = os.path.join(self.path, "blobs", "sha256", digest)
        if not os.path.exists(p):
            with open(p, "wb") as f:
                f.write(data)
        return {"digest": "sha256:" + digest, "size": len(data)}

    def ref(self, desc, tags):
        for t in tags:
            d = dict(desc)
            d["annotations"] = {"org.opencontainers.image.ref.name": t}
            self.manifests.append(d)

    def close(self):
        with open(os.path.join(self.path, "oci-layout"), "wb") as f:
            f.write(jbytes({"imageLayoutVersion": "1.0.0"}))
        with open(os.path.join(self.path, "index.json"), "wb") as f:
            f.write(jbytes({"schemaVersion": 2, "mediaType": MT_INDEX,
                            "manifests": self.manifests}))


def platform(goarch):
    p = {"architecture": goarch, "os": "linux"}
    if goarch in VARIANTS:
        p["variant"] = VARIANTS[goarch]
    return p


def build_arch(args, goarch, helper, busybox, links, multi):
    token = TOKENS[goarch]
    entries = rootfs_entries(args, helper, busybox, links)
    tar = Tar(args.epoch)
    for ent in entries:
        tar.add(ent)
    layer = tar.bytes()
    files = sum(len(d) for _, k, _, d in entries if k == tarfile.REGTYPE)
    gz = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=gz, compresslevel=9, mtime=0) as g:
        g.write(layer)
    gz = gz.getvalue()
    created = datetime.datetime.fromtimestamp(args.epoch, datetime.timezone.utc)
    created = created.strftime("%Y-%m-%dT%H:%M:%SZ")
    config = dict(platform(goarch), created=created, config={
        "Env": [PATH_ENV], "Entrypoint": ENTRYPOINT, "Cmd": ["sh"], "WorkingDir": "/",
        "Labels": {"org.opencontainers.image.title": "cihelper",
                   "org.opencontainers.image.version": args.version,
                   "org.opencontainers.image.revision": args.revision,
                   "org.opencontainers.image.created": created}},
        rootfs={"type": "layers", "diff_ids": ["sha256:" + sha(layer)]},
        history=[{"created": created, "created_by": "cihelper docker/oci-build.py"}])
    config = jbytes(config)
    tags = [f"{token}-{args.tag_version}", f"{token}-latest"]

    with open(os.path.join(args.out, f"rootfs-{goarch}.tar"), "wb") as f:
        f.write(layer)

    def manifest(layout):
        m = {"schemaVersion": 2, "mediaType": MT_MANIFEST,
             "config": dict(layout.blob(config), mediaType=MT_CONFIG),
             "layers": [dict(layout.blob(gz), mediaType=MT_LAYER)]}
        return dict(layout.blob(jbytes(m)), mediaType=MT_MANIFEST, platform=platform(goarch))

    single = Layout(os.path.join(args.out, token, "oci"))
    single.ref(manifest(single), tags)
    single.close()
    desc = manifest(multi)
    multi.ref(desc, tags)

    # docker save's format: config, layer directory, manifest.json, repositories
    lid = sha(layer)
    arch = Tar(args.epoch)
    repo_tags = [f"{RUNNER_IMAGE}:{t}" for t in tags]
    for ent in sorted([
            (f"{sha(config)}.json", tarfile.REGTYPE, 0o644, config),
            (lid, tarfile.DIRTYPE, 0o755, None),
            (f"{lid}/layer.tar", tarfile.REGTYPE, 0o644, layer),
            ("manifest.json", tarfile.REGTYPE, 0o644, jbytes([{
                "Config": f"{sha(config)}.json", "RepoTags": repo_tags,
                "Layers": [f"{lid}/layer.tar"]}])),
            ("repositories", tarfile.REGTYPE, 0o644,
             jbytes({RUNNER_IMAGE: {t: lid for t in tags}}))]):
        arch.add(ent)
    with open(os.path.join(args.out, token, "docker-archive.tar"), "wb") as f:
        f.write(arch.bytes())

    xz = lzma.compress(layer, format=lzma.FORMAT_XZ, check=lzma.CHECK_CRC64,
                       preset=9 | lzma.PRESET_EXTREME)
    with open(os.path.join(args.out, "helper-images", f"prebuilt-alpine-{token}.tar.xz"), "wb") as f:
        f.write(xz)
    return {"arch": goarch, "token": token, "files": files, "layer_tar": len(layer),
            "layer_gz": len(gz), "prebuilt_xz": len(xz), "manifest": desc["digest"]}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--version", required=True, help="cihelper's version (a label)")
    ap.add_argument("--tag-version", required=True, help="tag suffix, e.g. v18.3.0")
    ap.add_argument("--revision", required=True)
    ap.add_argument("--epoch", type=int, required=True, help="SOURCE_DATE_EPOCH")
    ap.add_argument("--rootfs", required=True, help="static files (docker/rootfs)")
    ap.add_argument("--ca-bundle", required=True)
    ap.add_argument("--arch", action="append", required=True,
                    help="GOARCH:CIHELPER:BUSYBOX:BUSYBOX_LINKS (repeatable)")
    args = ap.parse_args()
    if os.path.exists(args.out):
        shutil.rmtree(args.out)
    os.makedirs(os.path.join(args.out, "helper-images"))
    multi = Layout(os.path.join(args.out, "oci"))
    report = []
    for spec in args.arch:
        goarch, helper, busybox, links = spec.split(":")
        if goarch not in TOKENS:
            die(f"unknown arch {goarch}")
        report.append(build_arch(args, goarch, helper, busybox, links, multi))
    index = {"schemaVersion": 2, "mediaType": MT_INDEX, "manifests": [
        {"mediaType": MT_MANIFEST, "digest": r["manifest"],
         "size": next(m["size"] for m in multi.manifests if m["digest"] == r["manifest"]),
         "platform": platform(r["arch"])} for r in report]}
    multi.ref(dict(multi.blob(jbytes(index)), mediaType=MT_INDEX), [args.tag_version, "latest"])
    multi.close()

    over = []
    lines = [f"{'arch':8} {'rootfs files':>13} {'layer tar':>10} {'layer gz':>10} {'prebuilt xz':>12}"]
    for r in report:
        lines.append(f"{r['token']:8} {r['files']:>13,} {r['layer_tar']:>10,} {r['layer_gz']:>10,}"
                     f" {r['prebuilt_xz']:>12,}")
        if r["files"] > BUDGET_ROOTFS:
            over.append(f"{r['token']}: rootfs {r['files']:,} B > {BUDGET_ROOTFS:,}")
        if r["layer_gz"] > BUDGET_LAYER:
            over.append(f"{r['token']}: layer {r['layer_gz']:,} B > {BUDGET_LAYER:,}")
    lines.append(f"budget: rootfs files <= {BUDGET_ROOTFS:,} B, compressed layer <= {BUDGET_LAYER:,} B")
    with open(os.path.join(args.out, "build.json"), "wb") as f:
        f.write(jbytes({"version": args.version, "tag_version": args.tag_version,
                        "revision": args.revision, "epoch": args.epoch,
                        "arches": [r["arch"] for r in report]}))
    with open(os.path.join(args.out, "sizes.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))
    if over:
        die("over budget: " + "; ".join(over))


if __name__ == "__main__":
    main()
