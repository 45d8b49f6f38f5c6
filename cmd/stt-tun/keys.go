package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/seigr/stt-tun/sttcore/stc"
)

func cmdGenkey(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("genkey", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "", "write the key to this file (mode 0600) instead of standard output")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	k, err := stc.GeneratePrivateKey()
	if err != nil {
		return fail(stderr, "%v", err)
	}
	return writeSecret(*out, k.Encode(), stdout, stderr)
}

func cmdGenseed(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("genseed", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "", "write the seed to this file (mode 0600) instead of standard output")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	seed, err := stc.GenerateSharedSeed()
	if err != nil {
		return fail(stderr, "%v", err)
	}
	return writeSecret(*out, stc.EncodeSharedSeed(seed), stdout, stderr)
}

// writeSecret writes a secret to path with mode 0600 (refusing to replace an
// existing file), or to stdout.
func writeSecret(path, secret string, stdout, stderr io.Writer) int {
	if path == "" {
		fmt.Fprintln(stdout, secret)
		return 0
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fail(stderr, "%v (the file is not replaced; remove it first if you mean to)", err)
	}
	if _, err := fmt.Fprintln(f, secret); err != nil {
		f.Close()
		return fail(stderr, "writing %s: %v", path, err)
	}
	if err := f.Close(); err != nil {
		return fail(stderr, "writing %s: %v", path, err)
	}
	return 0
}

func cmdPubkey(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		return fail(stderr, "pubkey takes no arguments: it reads a private key on standard input, e.g. `stt-tun pubkey < private.key`")
	}
	line, err := bufio.NewReader(io.LimitReader(stdin, 4096)).ReadString('\n')
	if err != nil && err != io.EOF {
		return fail(stderr, "reading standard input: %v", err)
	}
	k, err := stc.ParsePrivateKey(line)
	if err != nil {
		return fail(stderr, "standard input does not hold a private key (%v): give it the output of `stt-tun genkey`", err)
	}
	pub := k.PublicKey()
	fmt.Fprintln(stdout, pub.String())
	return 0
}
