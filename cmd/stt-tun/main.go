// Command stt-tun runs an STT VPN: it brings up a TUN device (stt0 by
// default), peers with the hosts of its configuration over encrypted STT
// sessions, and routes IP traffic between them.
//
//	stt-tun up --config /etc/stt-tun/stt0.toml    run the VPN (foreground)
//	stt-tun status [--json]                       show peers and figures
//	stt-tun down                                  stop a running VPN
//	stt-tun genkey | pubkey | genseed             make keys and network seeds
//	stt-tun demo                                  see it work, on this machine
//	stt-tun version
package main

import (
	"fmt"
	"io"
	"os"
)

const usage = `stt-tun: a VPN and peer-to-peer overlay on the STT protocol

Usage:
  stt-tun up --config FILE          bring the VPN up and run it in the foreground
                                    (SIGINT/SIGTERM stop it, SIGHUP reloads the peers)
  stt-tun down [--interface NAME | --config FILE | --socket PATH]
                                    stop a running VPN
  stt-tun status [--json] [--interface NAME | --config FILE | --socket PATH]
                                    show the peers of a running VPN
  stt-tun reload [--interface NAME | --config FILE | --socket PATH]
                                    re-read the peers from the configuration file
  stt-tun genkey [--out FILE]       print a new private key (the node seed)
  stt-tun pubkey                    read a private key on stdin, print its public key
  stt-tun genseed [--out FILE]      print a new network shared seed
  stt-tun demo [--duration 3s]      two hosts in network namespaces on this machine,
                                    a ping and a TCP transfer through the tunnel (root)
  stt-tun version

An example configuration is in packaging/stt0.toml; docs/operator.md explains it.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	cmds := map[string]func([]string, io.Reader, io.Writer, io.Writer) int{
		"up":      cmdUp,
		"down":    cmdDown,
		"status":  cmdStatus,
		"reload":  cmdReload,
		"genkey":  cmdGenkey,
		"pubkey":  cmdPubkey,
		"genseed": cmdGenseed,
		"demo":    cmdDemo,
		"version": cmdVersion,
	}
	switch args[0] {
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	f, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "stt-tun: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	return f(args[1:], stdin, stdout, stderr)
}

// fail prints an error the way every command does and returns exit code 1.
func fail(stderr io.Writer, format string, a ...any) int {
	fmt.Fprintf(stderr, "stt-tun: "+format+"\n", a...)
	return 1
}
