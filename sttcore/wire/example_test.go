package wire_test

import (
	"fmt"

	"github.com/seigr/stt-tun/sttcore/wire"
)

func ExampleFrameParser_ParseNext() {
	plaintext, err := wire.AppendFrames(nil,
		&wire.AckFrame{AckRanges: []wire.AckRange{{Smallest: 7, Largest: 9}}},
		&wire.IPFrame{Packet: []byte{0x45, 0x00, 0x00, 0x14}}, // runs to the end: last
	)
	if err != nil {
		panic(err)
	}
	p := wire.NewFrameParser()
	for {
		n, f, err := p.ParseNext(plaintext)
		if err != nil {
			fmt.Println("drop the packet:", err)
			return
		}
		if f == nil {
			break
		}
		plaintext = plaintext[n:]
		switch f := f.(type) {
		case *wire.AckFrame:
			fmt.Println("ACK up to", f.LargestAcked())
		case *wire.IPFrame:
			fmt.Printf("IP packet of %d bytes\n", len(f.Packet))
		}
	}
	// Output:
	// ACK up to 9
	// IP packet of 4 bytes
}

func ExamplePutDataHeader() {
	// A DATA packet is built in place: header, then the frames, sealed
	// behind it with the header as associated data, then the tag.
	buf := make([]byte, wire.DataHeaderLen, 1500)
	wire.PutDataHeader(buf, 0x01020304, 42)
	buf, _ = (&wire.IPFrame{Packet: []byte{0x45, 0x00, 0x00, 0x14}}).Append(buf)
	buf = append(buf, make([]byte, wire.TagLen)...) // AEAD seal goes here

	typ, err := wire.ParseType(buf)
	receiver, counter, _ := wire.ParseDataHeader(buf)
	fmt.Println(typ, err, receiver, counter, len(buf))
	// Output: DATA <nil> 16909060 42 37
}

func ExampleHello_Unmarshal() {
	var m wire.Hello
	m.Sender = 7
	b := make([]byte, wire.HelloLen)
	m.Marshal(b)
	// The MAC1 key check covers the bytes before HelloOffsetMAC1.
	_ = b[:wire.HelloOffsetMAC1]

	var got wire.Hello
	fmt.Println(got.Unmarshal(b), got.Sender)
	fmt.Println(got.Unmarshal(b[:100]))
	// Output:
	// <nil> 7
	// wire: wrong packet length
}
