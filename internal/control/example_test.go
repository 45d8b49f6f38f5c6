package control_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/seigr/stt-tun/internal/control"
)

// The daemon serves its commands; the command line calls them.
func Example() {
	dir, err := os.MkdirTemp("", "sttc")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "stt0.sock")

	// In `stt-tun up`:
	type statusArgs struct {
		Peer string `json:"peer"`
	}
	type peer struct {
		Name string `json:"name"`
		RTT  string `json:"rtt"`
	}
	handlers := map[string]control.Handler{
		"status": func(ctx context.Context, args json.RawMessage) (any, error) {
			var a statusArgs
			if err := control.DecodeArgs(args, &a); err != nil {
				return nil, err
			}
			if a.Peer != "alpha" {
				return nil, fmt.Errorf("no peer named %q", a.Peer)
			}
			return peer{Name: "alpha", RTT: "12ms"}, nil
		},
	}
	srv, err := control.Listen(path, handlers, nil)
	if err != nil {
		panic(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve() }()

	// In `stt-tun status`:
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var p peer
	err = control.Call(ctx, path, "status", statusArgs{Peer: "alpha"}, &p)
	fmt.Println(p, err)

	err = control.Call(ctx, path, "status", statusArgs{Peer: "beta"}, &p)
	var remote *control.RemoteError
	fmt.Println(errors.As(err, &remote), remote.Msg)

	// `stt-tun down`, then:
	fmt.Println(srv.Close(), <-served)
	err = control.Call(ctx, path, "status", nil, nil)
	fmt.Println(errors.Is(err, control.ErrNotRunning))
	// Output:
	// {alpha 12ms} <nil>
	// true no peer named "beta"
	// <nil> <nil>
	// true
}
