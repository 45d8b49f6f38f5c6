#!/usr/bin/env bash
# stt-tun in ../shared/bench/netbench.sh, through its `stt` hook:
#
#   go build -o /tmp/stt-tun ./cmd/stt-tun
#   sudo STT_BIN=/tmp/stt-tun STT_SETUP="$PWD/scripts/netbench-hook.sh setup" \
#        STT_CMD="$PWD/scripts/netbench-hook.sh run" \
#        ../shared/bench/netbench.sh -r 3 wireguard-go stt
#
# setup makes a key per side and a shared seed in $STT_WORKDIR; run writes
# the side's configuration and runs `stt-tun up` in the foreground, as
# netbench wants (it stops it with SIGTERM), and logs the daemon's peak
# resident memory when it stops.
set -euo pipefail
BIN=${STT_BIN:-stt-tun}
case ${1:-} in
setup)
    umask 077
    for s in A B; do "$BIN" genkey >"$STT_WORKDIR/$s.key"; done
    "$BIN" genseed >"$STT_WORKDIR/network.seed" ;;
run)
    peer=A; [[ $STT_SIDE == A ]] && peer=B
    umask 077
    conf=$STT_WORKDIR/$STT_SIDE.toml
    cat >"$conf" <<TOML
[interface]
name = "$STT_IF"
private_key_file = "$STT_WORKDIR/$STT_SIDE.key"
shared_seed_file = "$STT_WORKDIR/network.seed"
address = ["$STT_LOCAL_OVERLAY/$STT_OVERLAY_PREFIX"]
listen_port = $STT_PORT
mtu = $STT_MTU
control_socket = "$STT_WORKDIR/$STT_SIDE.sock"
log_level = "warn"

[[peer]]
name = "$peer"
public_key = "$("$BIN" pubkey <"$STT_WORKDIR/$peer.key")"
endpoint = "$STT_PEER_UNDERLAY:$STT_PORT"
allowed_ips = ["$STT_PEER_OVERLAY/32"]
TOML
    # STT_PROFILE_DIR=dir: each side writes a CPU profile there (pprof).
    prof=()
    [[ -n ${STT_PROFILE_DIR:-} ]] && prof=(--cpuprofile "$STT_PROFILE_DIR/$STT_SIDE.pprof")
    # The daemon runs as a child, not exec'd, so that its peak resident
    # memory (VmHWM, sampled twice a second) reaches the log when netbench
    # stops the side with SIGTERM.
    "$BIN" up --config "$conf" "${prof[@]}" &
    pid=$! hwm=unknown
    read_hwm() { # sets hwm from the daemon's status without a fork; fails once it has exited
        local key val unit
        while read -r key val unit; do
            if [[ $key == State: && $val == Z ]]; then return 1; fi
            if [[ $key == VmHWM: ]]; then hwm="$val $unit"; fi
        done <"/proc/$pid/status"
    }
    report() { echo "stt-tun $STT_SIDE peak RSS (VmHWM): $hwm" >&2; }
    trap 'kill -TERM $pid 2>/dev/null; rc=0; wait $pid || rc=$?; report; exit $rc' TERM INT
    while read_hwm 2>/dev/null; do
        sleep 0.5 & wait $!
    done
    rc=0
    wait "$pid" || rc=$?
    report
    exit $rc ;;
*) echo "usage: $0 setup|run" >&2; exit 2 ;;
esac
