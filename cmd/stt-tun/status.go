package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/seigr/stt-tun/internal/config"
	"github.com/seigr/stt-tun/internal/control"
)

// socketFlags are the ways to name a running stt-tun.
type socketFlags struct {
	iface, cfgPath, socket *string
}

func addSocketFlags(fs *flag.FlagSet) socketFlags {
	return socketFlags{
		iface:   fs.String("interface", "stt0", "the interface of the running stt-tun"),
		cfgPath: fs.String("config", "", "the configuration file of the running stt-tun (its control_socket is used)"),
		socket:  fs.String("socket", "", "the control socket of the running stt-tun"),
	}
}

func (f socketFlags) path() (string, error) {
	switch {
	case *f.socket != "":
		return *f.socket, nil
	case *f.cfgPath != "":
		cfg, err := config.Load(*f.cfgPath)
		if err != nil {
			return "", err
		}
		return cfg.Interface.ControlSocket, nil
	default:
		return config.DefaultControlSocket(*f.iface), nil
	}
}

func call(cmd string, sf socketFlags, result any) error {
	path, err := sf.path()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return control.Call(ctx, path, cmd, nil, result)
}

func cmdStatus(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("status", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print JSON, for scripts")
	sf := addSocketFlags(fs)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	var raw json.RawMessage
	if err := call("status", sf, &raw); err != nil {
		return fail(stderr, "%v", err)
	}
	if *asJSON {
		var buf bytes.Buffer
		if err := json.Indent(&buf, raw, "", "  "); err != nil {
			return fail(stderr, "bad status reply: %v", err)
		}
		fmt.Fprintln(stdout, buf.String())
		return 0
	}
	var st statusReply
	if err := json.Unmarshal(raw, &st); err != nil {
		return fail(stderr, "bad status reply: %v", err)
	}
	printStatus(stdout, &st, time.Now())
	return 0
}

func printStatus(w io.Writer, st *statusReply, now time.Time) {
	s := st.Status
	fmt.Fprintf(w, "interface: %s\n", st.Interface)
	fmt.Fprintf(w, "  public key: %s\n", s.PublicKey)
	fmt.Fprintf(w, "  listening port: %d\n", s.ListenPort)
	fmt.Fprintf(w, "  addresses: %s (mtu %d)\n", strings.Join(st.Addresses, ", "), st.MTU)
	if s.NoRoute > 0 {
		fmt.Fprintf(w, "  packets for no peer: %d (%d ICMP unreachable sent)\n", s.NoRoute, s.ICMPSent)
	}
	if len(s.NodeDrops) > 0 {
		fmt.Fprintf(w, "  dropped packets: %s\n", formatCounts(s.NodeDrops))
	}
	for _, p := range s.Peers {
		fmt.Fprintf(w, "\npeer: %s\n", p.Name)
		fmt.Fprintf(w, "  public key: %s\n", p.PublicKey)
		ep := p.Endpoint
		if ep == "" {
			ep = "(none: waits for the peer to connect)"
		} else if p.Configured != "" && p.Configured != ep {
			ep += " (configured: " + p.Configured + ")"
		}
		fmt.Fprintf(w, "  endpoint: %s\n", ep)
		fmt.Fprintf(w, "  allowed ips: %s\n", joinPrefixes(p.AllowedIPs))
		if p.Connected {
			fmt.Fprintf(w, "  latest handshake: %s ago (key epoch %d, %s)\n", now.Sub(p.LastHandshake).Round(time.Second), p.KeyEpoch, p.Suite)
		} else {
			fmt.Fprintf(w, "  latest handshake: none yet\n")
		}
		if p.RTT > 0 {
			fmt.Fprintf(w, "  rtt: %s\n", p.RTT.Round(time.Microsecond))
		}
		fmt.Fprintf(w, "  transfer: %s received (%d packets), %s sent (%d packets)\n",
			bytesString(p.RxBytes), p.RxPackets, bytesString(p.TxBytes), p.TxPackets)
		if len(p.Drops) > 0 {
			fmt.Fprintf(w, "  dropped: %s\n", formatCounts(p.Drops))
		}
		if p.Keepalive > 0 {
			fmt.Fprintf(w, "  persistent keepalive: every %s\n", p.Keepalive)
		}
	}
}

func joinPrefixes(ps []netip.Prefix) string {
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i] = p.String()
	}
	return strings.Join(parts, ", ")
}

func formatCounts(m map[string]uint64) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", strings.ReplaceAll(k, "_", " "), m[k])
	}
	return strings.Join(parts, ", ")
}

func bytesString(n uint64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := uint64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.2f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

func cmdDown(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("down", flag.ContinueOnError)
	fs.SetOutput(stderr)
	sf := addSocketFlags(fs)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	path, err := sf.path()
	if err != nil {
		return fail(stderr, "%v", err)
	}
	if err := call("down", socketFlags{iface: sf.iface, cfgPath: new(string), socket: &path}, nil); err != nil {
		return fail(stderr, "%v", err)
	}
	if !waitGone(path, 15*time.Second) {
		return fail(stderr, "asked stt-tun to stop, but its control socket %s is still there after 15 s", path)
	}
	fmt.Fprintln(stdout, "stopped")
	return 0
}

func cmdReload(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("reload", flag.ContinueOnError)
	fs.SetOutput(stderr)
	sf := addSocketFlags(fs)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	var msg string
	if err := call("reload", sf, &msg); err != nil {
		return fail(stderr, "reload: %v", err)
	}
	fmt.Fprintln(stdout, msg)
	return 0
}
