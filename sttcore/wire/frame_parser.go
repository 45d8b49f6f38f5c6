package wire

// A FrameParser parses the frames of DATA plaintexts, one by one. It keeps
// one struct of each frame type whose parsing must not allocate (ACK, STREAM,
// IP, DATAGRAM, APPLICATION) and reuses it on every call. A FrameParser is
// not safe for concurrent use.
type FrameParser struct {
	ack      AckFrame
	stream   StreamFrame
	ip       IPFrame
	datagram DatagramFrame
	app      ApplicationFrame
}

// NewFrameParser returns a parser.
func NewFrameParser() *FrameParser {
	return &FrameParser{ack: AckFrame{AckRanges: make([]AckRange, 0, 16)}}
}

// ParseNext parses the next frame of a DATA plaintext b. It skips PADDING
// and returns the number of bytes consumed (the padding before the frame
// included) and the frame. It returns (0, nil, nil) when b holds only padding
// or is empty: that is the end of the plaintext.
//
// The returned *AckFrame, *StreamFrame, *IPFrame, *DatagramFrame and
// *ApplicationFrame are owned by the parser, their byte slices alias b, and
// they are valid only until the next call; parsing them makes no allocation.
// Other frames are newly allocated and belong to the caller.
//
// Any error (a *FrameError, matching ErrTruncated, ErrUnknownFrame,
// ErrInvalidFrame or ErrNonMinimal) makes the whole packet invalid (§5);
// n is then 0.
func (p *FrameParser) ParseNext(b []byte) (n int, f Frame, err error) {
	pad := 0
	for pad < len(b) && b[pad] == byte(FrameTypePadding) {
		pad++
	}
	if pad == len(b) {
		return 0, nil, nil
	}
	typ := FrameType(b[pad])
	body := b[pad+1:]

	// Hot frames first, without going through an interface.
	switch {
	case typ == FrameTypeIP || typ == FrameTypeIPLen:
		n, err = parseIPFrame(&p.ip, typ, body)
		f = &p.ip
	case typ.IsStream():
		n, err = parseStreamFrame(&p.stream, typ, body)
		f = &p.stream
	case typ == FrameTypeAck:
		n, err = parseAckFrame(&p.ack, body)
		f = &p.ack
	case typ == FrameTypeDatagram || typ == FrameTypeDatagramLen:
		n, err = parseDatagramFrame(&p.datagram, typ, body)
		f = &p.datagram
	case typ.IsApplication():
		n, err = parseApplicationFrame(&p.app, typ, body)
		f = &p.app
	default:
		f, n, err = parseLessCommonFrame(typ, body)
	}
	if err != nil {
		return 0, nil, err
	}
	return pad + 1 + n, f, nil
}

// parseLessCommonFrame parses the frames not handled in ParseNext's fast path.
func parseLessCommonFrame(typ FrameType, b []byte) (Frame, int, error) {
	switch typ {
	case FrameTypePing:
		return &PingFrame{}, 0, nil
	case FrameTypeResetStream:
		return parseResetStreamFrame(b)
	case FrameTypeStopSending:
		return parseStopSendingFrame(b)
	case FrameTypeMaxData:
		return parseMaxDataFrame(b)
	case FrameTypeMaxStreamData:
		return parseMaxStreamDataFrame(b)
	case FrameTypeMaxStreams:
		return parseMaxStreamsFrame(b)
	case FrameTypeDataBlocked:
		return parseDataBlockedFrame(b)
	case FrameTypeStreamDataBlocked:
		return parseStreamDataBlockedFrame(b)
	case FrameTypeStreamsBlocked:
		return parseStreamsBlockedFrame(b)
	case FrameTypePathChallenge:
		return parsePathChallengeFrame(b)
	case FrameTypePathResponse:
		return parsePathResponseFrame(b)
	case FrameTypeClose:
		return parseCloseFrame(b)
	}
	return nil, 0, frameError(typ, "", ErrUnknownFrame)
}
