package handshake_test

import (
	"fmt"
	"time"

	"github.com/seigr/stt-tun/sttcore/handshake"
	"github.com/seigr/stt-tun/sttcore/stc"
	"github.com/seigr/stt-tun/sttcore/stc/tai64n"
	"github.com/seigr/stt-tun/sttcore/wire"
)

func Example() {
	aliceKey, _ := stc.GeneratePrivateKey()
	bobKey, _ := stc.GeneratePrivateKey()
	alice, bob := handshake.NewIdentity(aliceKey), handshake.NewIdentity(bobKey)
	network := stc.DeriveNetworkKey([]byte("our network's shared seed"))

	// Alice knows Bob's public key and sends a HELLO.
	ini, _ := handshake.NewInitiator(alice, network, bob.Public)
	var hello wire.Hello
	_ = ini.WriteHello(&hello, &handshake.Hello{Timestamp: tai64n.Stamp(time.Now()), Suites: stc.SuiteChaCha20Poly1305})

	// Bob learns who is calling, and answers.
	r, _ := handshake.ReadHello(bob, network, &hello)
	fmt.Println("caller is alice:", r.Peer() == alice.Public)
	var resp wire.Response
	bobKeys, _ := r.WriteResponse(&resp, stc.SuiteChaCha20Poly1305)

	aliceKeys, _ := ini.ReadResponse(&resp)
	fmt.Println("keys agree:", aliceKeys.Send == bobKeys.Recv && aliceKeys.Recv == bobKeys.Send)
	fmt.Println("suite:", aliceKeys.Suite)
	// Output:
	// caller is alice: true
	// keys agree: true
	// suite: chacha20-poly1305
}
