#!/usr/bin/env python3
"""Run a command inside an image's rootfs the way a container runtime would, without one.

usage: nsrun.py [--qemu QARCH] [--env K=V]... ROOTFS COMMAND [ARG...]

New user (uids and gids 0-65535 mapped to themselves), mount, UTS (hostname =
$HOSTNAME of --env) and PID namespaces:
COMMAND is PID 1, chrooted into ROOTFS, with /proc mounted and /dev bound from the
host, and the environment exactly the --env pairs. The network is the host's, so
servers on 127.0.0.1 are reachable. With --qemu, a private binfmt_misc (Linux
6.7+ gives each user namespace its own) sends the foreign arch's ELF files to
/usr/libexec/qemu-binfmt/QARCH-binfmt-P inside ROOTFS (the caller copies
qemu-QARCH-static there), argv[0] preserved. The host's binfmt_misc is untouched.
Exits with COMMAND's status (128+N after signal N).
"""
import ctypes
import os
import socket
import sys

CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWUSER, CLONE_NEWPID = 0x00020000, 0x04000000, 0x10000000, 0x20000000
MS_BIND, MS_REC, MS_PRIVATE = 4096, 16384, 1 << 18
libc = ctypes.CDLL(None, use_errno=True)


def check(rc, what):
    if rc != 0:
        e = ctypes.get_errno()
        sys.exit(f"nsrun: {what}: {os.strerror(e)}")


def mount(src, tgt, fstype, flags=0):
    check(libc.mount(src.encode(), tgt.encode(), fstype.encode() if fstype else None, flags, None),
          f"mount {fstype or src} on {tgt}")


def binfmt_line(qarch):
    with open(f"/usr/lib/binfmt.d/qemu-{qarch}.conf") as f:
        parts = f.read().strip().split(":")
    magic, mask = parts[4], parts[5]
    return f":cih-{qarch}:M::{magic}:{mask}:/usr/libexec/qemu-binfmt/{qarch}-binfmt-P:P"


def status_of(st):
    return os.WEXITSTATUS(st) if os.WIFEXITED(st) else 128 + os.WTERMSIG(st)


def main():
    args, env, qemu = sys.argv[1:], {}, None
    while args and args[0].startswith("--"):
        if args[0] == "--qemu":
            qemu, args = args[1], args[2:]
        elif args[0] == "--env":
            k, _, v = args[1].partition("=")
            env[k], args = v, args[2:]
        else:
            sys.exit(f"nsrun: unknown option {args[0]}")
    if len(args) < 2:
        sys.exit(__doc__)
    rootfs, cmd = os.path.abspath(args[0]), args[1:]

    ready_r, ready_w = os.pipe()
    mapped_r, mapped_w = os.pipe()
    pid = os.fork()
    if pid:
        os.close(ready_w)
        os.close(mapped_r)
        os.read(ready_r, 1)
        for f in ("uid_map", "gid_map"):
            with open(f"/proc/{pid}/{f}", "w") as m:
                m.write("0 0 65536\n")
        os.write(mapped_w, b"x")
        os.close(mapped_w)
        _, st = os.waitpid(pid, 0)
        sys.exit(status_of(st))

    os.close(ready_r)
    os.close(mapped_w)
    check(libc.unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS), "unshare")
    os.write(ready_w, b"x")
    os.read(mapped_r, 1)
    os.setgroups([])
    os.setgid(0)
    os.setuid(0)
    mount("none", "/", None, MS_REC | MS_PRIVATE)
    socket.sethostname(env.get("HOSTNAME", "cihelper"))
    init = os.fork()  # the first child of the new PID namespace is its PID 1
    if init:
        _, st = os.waitpid(init, 0)
        os._exit(status_of(st))
    try:
        mount("proc", os.path.join(rootfs, "proc"), "proc")
        mount("/dev", os.path.join(rootfs, "dev"), None, MS_BIND | MS_REC)
        if qemu:
            mount("binfmt_misc", "/proc/sys/fs/binfmt_misc", "binfmt_misc")
            with open("/proc/sys/fs/binfmt_misc/register", "w") as r:
                r.write(binfmt_line(qemu))
        os.chroot(rootfs)
        os.chdir("/")
        os.execvpe(cmd[0], cmd, env)  # PATH lookup in env, as runc does
    except OSError as e:
        print(f"nsrun: {cmd[0]}: {e}", file=sys.stderr)
        os._exit(127)


if __name__ == "__main__":
    main()
