package wire

import "testing"

func TestParseApplicationFrame(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		want *ApplicationFrame
		n    int
		err  error
	}{
		{"lowest type", []byte{0x80, 0x03, 'f', 'o', 'o', 0xaa}, &ApplicationFrame{Type: 0x80, Data: []byte("foo")}, 5, nil},
		{"highest type, empty", []byte{0xff, 0x00, 0xaa}, &ApplicationFrame{Type: 0xff, Data: []byte{}}, 2, nil},
		{"length overruns", []byte{0x85, 0x04, 'f', 'o', 'o'}, nil, 0, ErrTruncated},
		{"length non-minimal", []byte{0x85, 0x80, 0x00}, nil, 0, ErrNonMinimal},
		{"length missing", []byte{0x85}, nil, 0, ErrTruncated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.err != nil {
				requireParseError(t, tt.data, tt.err)
				return
			}
			requireParse(t, tt.data, tt.want, tt.n)
		})
	}
}

func TestParseApplicationFrameErrorsOnEOF(t *testing.T) {
	data := cat([]byte{0x9a, 0xac, 0x02}, make([]byte, 300))
	requireTruncatedPrefixes(t, data)
}

func TestWriteApplicationFrame(t *testing.T) {
	requireAppend(t, &ApplicationFrame{Type: 0x85, Data: []byte("foo")}, []byte{0x85, 0x03, 'f', 'o', 'o'})
	requireAppend(t, &ApplicationFrame{Type: 0xff}, []byte{0xff, 0x00})
	requireAppendError(t, &ApplicationFrame{Type: 0x7f, Data: []byte("foo")}, ErrInvalidFrame)
	requireAppendError(t, &ApplicationFrame{Type: FrameTypeIP}, ErrInvalidFrame)
}
