package wire

import "github.com/seigr/stt-tun/sttcore/varint"

// A StopSendingFrame asks the peer to stop sending on a stream.
type StopSendingFrame struct {
	StreamID  StreamID
	ErrorCode ErrorCode
}

var _ Frame = (*StopSendingFrame)(nil)

func parseStopSendingFrame(b []byte) (*StopSendingFrame, int, error) {
	id, n1, err := parseVarint62(b, FrameTypeStopSending, "Stream ID")
	if err != nil {
		return nil, 0, err
	}
	code, n2, err := parseVarint62(b[n1:], FrameTypeStopSending, "Error Code")
	if err != nil {
		return nil, 0, err
	}
	return &StopSendingFrame{StreamID: StreamID(id), ErrorCode: ErrorCode(code)}, n1 + n2, nil
}

// Append appends the frame to b.
func (f *StopSendingFrame) Append(b []byte) ([]byte, error) {
	if err := check62(uint64(f.StreamID), FrameTypeStopSending, "Stream ID"); err != nil {
		return b, err
	}
	if err := check62(uint64(f.ErrorCode), FrameTypeStopSending, "Error Code"); err != nil {
		return b, err
	}
	b = append(b, byte(FrameTypeStopSending))
	b = varint.Append(b, uint64(f.StreamID))
	return varint.Append(b, uint64(f.ErrorCode)), nil
}

// Length is the number of bytes Append adds.
func (f *StopSendingFrame) Length() int {
	return 1 + varint.Len(uint64(f.StreamID)) + varint.Len(uint64(f.ErrorCode))
}
