package config_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/seigr/stt-tun/internal/config"
)

func ExampleLoad() {
	dir, err := os.MkdirTemp("", "stt-tun-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)

	// The key file, as `(umask 077; stt-tun genkey > private.key)` writes it.
	if err := os.WriteFile(filepath.Join(dir, "private.key"), []byte(alphaPriv+"\n"), 0o600); err != nil {
		panic(err)
	}
	path := filepath.Join(dir, "stt0.toml")
	conf := `[interface]
private_key_file = "private.key" # relative to this file's directory
address = ["10.77.0.1/24"]

[[peer]]
name = "beta"
public_key = "` + betaPub + `"
endpoint = "198.51.100.7:51820"
allowed_ips = ["10.77.0.2/32", "192.168.50.1/24"]
persistent_keepalive = 25
`
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		panic(err)
	}

	c, err := config.Load(path)
	if err != nil {
		fmt.Println(err) // every problem, one per line
		return
	}
	in := c.Interface
	fmt.Println(in.Name, in.Addresses, in.ListenPort, in.MTU, in.ControlSocket)
	fmt.Println("public key:", in.PrivateKey.PublicKey())
	for _, p := range c.Peers {
		fmt.Println(p.Name, p.Endpoint, p.AllowedIPs, p.PersistentKeepalive)
	}
	// Output:
	// stt0 [10.77.0.1/24] 51820 1419 /run/stt-tun/stt0.sock
	// public key: UbaYMxpICehbQSLx2OthX4PCkN12sDJDpjN6/RAtP1o=
	// beta 198.51.100.7:51820 [10.77.0.2/32 192.168.50.0/24] 25s
}

func ExampleErrors() {
	conf := `[interface]
private_key_file = "/etc/stt-tun/private.key"
adress = ["10.77.0.1/24"]
mtu = 9000000

[[peer]]
name = "beta"
public_key = "base64..."
allowed_ips = ["10.77.0.2/32"]
`
	_, err := config.Parse("stt0.toml", []byte(conf))
	fmt.Println(err)
	// Output:
	// stt0.toml:2: interface.private_key_file: private key file /etc/stt-tun/private.key does not exist (fix: create it with `(umask 077; stt-tun genkey > /etc/stt-tun/private.key)`, or correct the path)
	// stt0.toml:3: interface.adress: unknown key "adress" in [interface] (did you mean "address"? keys are lower case with underscores) (fix: remove it or check the spelling; known keys in [interface]: name, private_key_file, private_key, shared_seed_file, shared_seed, address, listen_port, mtu, txqueuelen, scheduling, control_socket, log_level, metrics_address)
	// stt0.toml:4: interface.mtu: mtu 9000000 is out of range 576..65535 (fix: use a value from 576 to 65535 (1280 or more with IPv6); the default 1419 fits a 1500-byte IPv4 or IPv6 path)
	// stt0.toml:8: peer[0].public_key: not a valid public key: it must be base64 of 32 bytes (fix: paste the output of `stt-tun pubkey` on that host)
}
