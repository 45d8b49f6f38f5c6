package serial_test

import (
	"fmt"

	"github.com/seigr/stt-tun/sttcore/serial"
)

func ExampleMarshal() {
	b, err := serial.Marshal(map[string]any{"b": true, "a": 1})
	if err != nil {
		panic(err)
	}
	fmt.Printf("% x\n", b)

	v, err := serial.Unmarshal(b)
	if err != nil {
		panic(err)
	}
	a := v.(map[string]any)["a"]
	fmt.Printf("%T %v\n", a, a)
	// Output:
	// 09 02 01 61 04 02 01 62 02
	// int64 1
}
