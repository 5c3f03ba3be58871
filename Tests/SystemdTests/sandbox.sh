#!/bin/bash
# A REAL systemd for shmd's systemd tests: the distribution's /lib/systemd/systemd booted as PID 1
# of throw-away pid, mount, net, uts, ipc and cgroup namespaces, on a host where systemd is not
# PID 1 (or is: it does not matter). Root fs = overlay(lower=/, upper=tmpfs): nothing it writes
# reaches the host disk; private /dev, /run and /dev/shm; read-only /sys and /proc/sys; dangerous
# capabilities dropped. Everything vanishes when its PID 1 dies. Adapted from the team's recipe
# so that the project needs nothing outside itself.
#
#   sandbox.sh check          print why a sandbox cannot boot here and exit 1, or exit 0
#   sandbox.sh start          boot it, wait until is-system-running settles
#   sandbox.sh exec CMD..     run CMD inside, with a clean environment (systemctl, journalctl, clients)
#   sandbox.sh stop           poweroff (fallback SIGKILL), remove its cgroup
#   sandbox.sh pid            host PID of its PID 1
#
# SDNS_DIR names the scratch folder; one per sandbox, so several can run side by side.
set -euo pipefail
BASE=${SDNS_DIR:-/tmp/systemd-sandbox}                # scratch dir (state + mountpoint); one per sandbox
STATE=$BASE/state                                      # pid files, boot.log
# host cgroup2 node it is confined to (hybrid layout here: v2 lives at /sys/fs/cgroup/unified)
CGNAME=sdns-$(printf %s "$BASE" | md5sum | cut -c1-8)   # distinct per BASE, so two sandboxes can coexist
if [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; then CG=/sys/fs/cgroup/$CGNAME
else CG=/sys/fs/cgroup/unified/$CGNAME; fi
SYSTEMD=/lib/systemd/systemd

inner() {   # runs as PID 1 of the new namespaces, before exec'ing systemd
    set -euo pipefail
    # first, shadow host /run privately so libmount's /run/mount/utab never hits the host disk
    mount -n -t tmpfs -o mode=755 sdns-run /run
    W=$BASE/ns-work; mkdir -p "$W"   # tmpfs mounted here privately
    mount -t tmpfs -o mode=755 sdns "$W"
    mkdir -p "$W"/{upper,work,root}
    mount -t overlay overlay -o lowerdir=/,upperdir="$W/upper",workdir="$W/work" "$W/root"
    R=$W/root
    mount -t proc proc "$R/proc"
    for p in sys sysrq-trigger; do [ -e "$R/proc/$p" ] || continue; mount --bind "$R/proc/$p" "$R/proc/$p"; mount -o remount,bind,ro "$R/proc/$p"; done
    mount -t sysfs -o ro,nosuid,nodev,noexec sysfs "$R/sys"       # this netns' view, read-only
    mount -t cgroup2 -o nosuid,nodev,noexec cgroup2 "$R/sys/fs/cgroup"  # root = our cgroupns
    mount -t tmpfs -o mode=755,nosuid tmpfs "$R/dev"                # minimal private /dev
    for n in null zero full random urandom tty; do touch "$R/dev/$n"; mount --bind "/dev/$n" "$R/dev/$n"; done
    touch "$R/dev/console"; mount --bind /dev/null "$R/dev/console"
    mkdir -p "$R/dev/pts" "$R/dev/shm"
    mount -t devpts -o newinstance,ptmxmode=0666,mode=620 devpts "$R/dev/pts"
    ln -s pts/ptmx "$R/dev/ptmx"; ln -s /proc/self/fd "$R/dev/fd"
    ln -s /proc/self/fd/0 "$R/dev/stdin"; ln -s /proc/self/fd/1 "$R/dev/stdout"; ln -s /proc/self/fd/2 "$R/dev/stderr"
    mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs "$R/dev/shm"       # private POSIX shm
    mount -t tmpfs -o mode=755,nosuid,nodev tmpfs "$R/run"
    mkdir -p "$R/run/systemd"; echo sdns > "$R/run/systemd/container"
    # minimal default target (written into the overlay's tmpfs upper layer)
    cat > "$R/etc/systemd/system/sdns.target" <<'EOF'
[Unit]
Description=minimal target for systemd integration tests
Requires=basic.target
After=basic.target
AllowIsolate=yes
EOF
    ln -s /dev/null "$R/etc/systemd/system/timers.target"   # no apt-daily/man-db/e2scrub timers
    hostname sdns
    cd "$R"; mkdir -p oldroot; pivot_root . oldroot; cd /
    umount -l /oldroot; rmdir /oldroot
    # same drop list as systemd-nspawn: no module loading, clock, raw I/O, kmsg...
    exec env -i container=sdns PATH=/usr/sbin:/usr/bin:/sbin:/bin \
        setpriv --bounding-set -sys_module,-sys_rawio,-sys_time,-syslog,-wake_alarm,-block_suspend,-mac_admin,-mac_override,-sys_pacct,-audit_read,-bpf,-perfmon,-checkpoint_restore \
        --inh-caps=-all "$SYSTEMD" --unit=sdns.target </dev/null
}

nspid() { ps -o pid= --ppid "$(cat "$STATE/unshare.pid" 2>/dev/null)" 2>/dev/null | awk 'NR==1{print $1}'; }
in_ns() {
    p=$(nspid || true)
    [ -n "$p" ] || { echo "sandbox $BASE is not running (sandbox.sh start)" >&2; exit 70; }
    nsenter -t "$p" -a env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        HOME=/root LANG=C.UTF-8 SYSTEMD_PAGER= SYSTEMD_COLORS=0 "$@"
}

check() {   # every reason the sandbox cannot boot, one per line
    ok=0
    [ "$(id -u)" = 0 ] || { echo "not root (uid $(id -u)): booting systemd in namespaces needs root"; ok=1; }
    [ -x "$SYSTEMD" ] || { echo "no $SYSTEMD: install the systemd package"; ok=1; }
    for c in unshare nsenter setpriv setsid systemctl journalctl; do
        command -v "$c" >/dev/null || { echo "no $c in PATH: install util-linux / systemd"; ok=1; }
    done
    [ -d "$(dirname "$CG")" ] && [ -e "$(dirname "$CG")/cgroup.procs" ] || { echo "no cgroup2 hierarchy at $(dirname "$CG")"; ok=1; }
    if [ $ok = 0 ] && ! unshare --pid --fork --mount --net --uts --ipc --cgroup true 2>/dev/null; then
        echo "unshare of pid, mount, net, uts, ipc and cgroup namespaces is refused here (a container without privileges?)"; ok=1
    fi
    return $ok
}

case "${1:-}" in
check) check ;;
start)
    [ -e "$STATE/unshare.pid" ] && kill -0 "$(cat "$STATE/unshare.pid")" 2>/dev/null && { echo "already running"; exit 1; }
    mkdir -p "$STATE"
    t0=$(date +%s.%N)
    mkdir -p "$CG"
    # subshell: move into our own cgroup2 node, then unshare (cgroupns root = $CG)
    # The namespaces outlive this script: they must not keep descriptors it inherited beyond
    # 0-2 (Foundation's Process, for one, waits for such a descriptor to close to see its child exit).
    ( for fd in /proc/self/fd/*; do n=${fd##*/}; [ "$n" -gt 2 ] && eval "exec $n>&-" 2>/dev/null || true; done
      echo $BASHPID > "$CG/cgroup.procs"
      exec setsid unshare --kill-child --pid --fork --mount --propagation private --net --uts --ipc --cgroup \
           bash -c "SYSTEMD=$SYSTEMD BASE=$BASE; $(declare -f inner); inner" </dev/null >"$STATE/boot.log" 2>&1 ) &
    echo $! > "$STATE/unshare.pid"
    st=unknown; for i in $(seq 1 300); do
        p=$(nspid || true)
        if [ -n "$p" ] && [ "$(readlink /proc/$p/exe 2>/dev/null)" = "$(readlink -f $SYSTEMD)" ]; then
            st=$(nsenter -t "$p" -a systemctl is-system-running 2>/dev/null || true)
            case "$st" in running|degraded) break;; esac
        fi
        kill -0 "$(cat "$STATE/unshare.pid")" 2>/dev/null || { echo "boot failed:"; cat "$STATE/boot.log"; exit 1; }
        sleep 0.1
    done
    case "$st" in running|degraded) ;; *) echo "timeout, state=$st"; exit 1;; esac
    nspid > "$STATE/systemd.pid"
    echo "systemd up: host pid $(nspid), state=$st, $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.2f", b-a}') s"
    ;;
exec) shift; in_ns "$@" ;;
pid) nspid ;;
stop)
    [ -e "$STATE/unshare.pid" ] || exit 0
    up=$(cat "$STATE/unshare.pid"); t0=$(date +%s.%N)
    if kill -0 "$up" 2>/dev/null; then
        p=$(nspid || true)
        [ -n "$p" ] && kill -s SIGRTMIN+3 "$p" 2>/dev/null || true   # container "poweroff"
        for i in $(seq 1 150); do kill -0 "$up" 2>/dev/null || break; sleep 0.1; done
        if kill -0 "$up" 2>/dev/null; then           # hard fallback: kill the ns init
            p=$(nspid || true); [ -n "$p" ] && kill -9 "$p" 2>/dev/null || true
            for i in $(seq 1 50); do kill -0 "$up" 2>/dev/null || break; sleep 0.1; done
        fi
    fi
    # remove the (now empty) cgroup subtree, deepest first
    [ -d "$CG" ] && find "$CG" -depth -type d -exec rmdir {} + 2>/dev/null || true
    rm -f "$STATE/unshare.pid"
    echo "stopped in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.2f", b-a}') s; cgroup left: $([ -d "$CG" ] && echo yes || echo no)"
    ;;
*) echo "usage: $0 check|start|exec CMD...|stop|pid" >&2; exit 2 ;;
esac
