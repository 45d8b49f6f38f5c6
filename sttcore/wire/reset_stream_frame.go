package wire

import "github.com/seigr/stt-tun/sttcore/varint"

// A ResetStreamFrame abandons the sending part of a stream.
type ResetStreamFrame struct {
	StreamID  StreamID
	ErrorCode ErrorCode
	FinalSize ByteCount
}

var _ Frame = (*ResetStreamFrame)(nil)

func parseResetStreamFrame(b []byte) (*ResetStreamFrame, int, error) {
	id, n1, err := parseVarint62(b, FrameTypeResetStream, "Stream ID")
	if err != nil {
		return nil, 0, err
	}
	code, n2, err := parseVarint62(b[n1:], FrameTypeResetStream, "Error Code")
	if err != nil {
		return nil, 0, err
	}
	size, n3, err := parseVarint62(b[n1+n2:], FrameTypeResetStream, "Final Size")
	if err != nil {
		return nil, 0, err
	}
	f := &ResetStreamFrame{StreamID: StreamID(id), ErrorCode: ErrorCode(code), FinalSize: ByteCount(size)}
	return f, n1 + n2 + n3, nil
}

// Append appends the frame to b.
func (f *ResetStreamFrame) Append(b []byte) ([]byte, error) {
	if err := check62(uint64(f.StreamID), FrameTypeResetStream, "Stream ID"); err != nil {
		return b, err
	}
	if err := check62(uint64(f.ErrorCode), FrameTypeResetStream, "Error Code"); err != nil {
		return b, err
	}
	if err := check62(uint64(f.FinalSize), FrameTypeResetStream, "Final Size"); err != nil {
		return b, err
	}
	b = append(b, byte(FrameTypeResetStream))
	b = varint.Append(b, uint64(f.StreamID))
	b = varint.Append(b, uint64(f.ErrorCode))
	return varint.Append(b, uint64(f.FinalSize)), nil
}

// Length is the number of bytes Append adds.
func (f *ResetStreamFrame) Length() int {
	return 1 + varint.Len(uint64(f.StreamID)) + varint.Len(uint64(f.ErrorCode)) + varint.Len(uint64(f.FinalSize))
}
