package sttcore_test

import (
	"context"
	"fmt"
	"time"

	"github.com/seigr/stt-tun/sttcore"
	"github.com/seigr/stt-tun/sttcore/stc"
)

func Example() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	seed := []byte("the shared seed of our network") // stc.GenerateSharedSeed in real life

	serverKey, _ := stc.GeneratePrivateKey()
	server, err := sttcore.Listen("127.0.0.1:0", &sttcore.Config{PrivateKey: serverKey, SharedSeed: seed})
	if err != nil {
		panic(err)
	}
	defer server.Close()

	clientKey, _ := stc.GeneratePrivateKey()
	client, err := sttcore.Listen("127.0.0.1:0", &sttcore.Config{PrivateKey: clientKey, SharedSeed: seed})
	if err != nil {
		panic(err)
	}
	defer client.Close()

	// The client knows the server's public key and address.
	sess, err := client.Dial(ctx, server.PublicKey(), server.LocalAddr().String())
	if err != nil {
		panic(err)
	}
	if err := sess.SendDatagram([]byte("hello, server")); err != nil {
		panic(err)
	}

	peer, err := server.Accept(ctx)
	if err != nil {
		panic(err)
	}
	msg, err := peer.ReceiveDatagram(ctx)
	if err != nil {
		panic(err)
	}
	fmt.Printf("%s (from the client: %v)\n", msg, peer.RemotePublicKey() == client.PublicKey())
	// Output: hello, server (from the client: true)
}
