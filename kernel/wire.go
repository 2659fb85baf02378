package main

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"time"
)

// protocolVersion is the Jupyter messaging protocol the kernel speaks.
const protocolVersion = "5.3"

// delimiter separates the routing identities from the message proper.
var delimiter = []byte("<IDS|MSG>")

// header is a Jupyter message header.
type header struct {
	MsgID    string `json:"msg_id"`
	Session  string `json:"session"`
	Username string `json:"username"`
	Date     string `json:"date"`
	MsgType  string `json:"msg_type"`
	Version  string `json:"version"`
}

// message is one Jupyter message as received or sent.
type message struct {
	Identities [][]byte
	Header     header
	// RawHeader is the header as received; replies send it back
	// unchanged as their parent_header.
	RawHeader json.RawMessage
	Parent    json.RawMessage
	Metadata  json.RawMessage
	Content   json.RawMessage
	Buffers   [][]byte
}

// signer signs and verifies messages with HMAC-SHA256 of the connection
// key; an empty key means no signing, as the protocol allows.
type signer struct {
	key []byte
}

func newSigner(scheme, key string) (*signer, error) {
	if key != "" && scheme != "hmac-sha256" {
		return nil, fmt.Errorf("signature scheme %q is not supported (use hmac-sha256)", scheme)
	}
	return &signer{key: []byte(key)}, nil
}

func (s *signer) mac() hash.Hash { return hmac.New(sha256.New, s.key) }

// sign returns the hex signature of the four JSON frames.
func (s *signer) sign(frames ...[]byte) []byte {
	if len(s.key) == 0 {
		return nil
	}
	m := s.mac()
	for _, f := range frames {
		m.Write(f)
	}
	sum := m.Sum(nil)
	out := make([]byte, hex.EncodedLen(len(sum)))
	hex.Encode(out, sum)
	return out
}

var errBadSignature = errors.New("message signature does not match the connection key")

// decode parses the frames of a received multipart message and checks its
// signature.
func (s *signer) decode(frames [][]byte) (*message, error) {
	i := 0
	for i < len(frames) && !bytes.Equal(frames[i], delimiter) {
		i++
	}
	if i == len(frames) {
		return nil, errors.New("message has no <IDS|MSG> delimiter")
	}
	if len(frames) < i+6 {
		return nil, fmt.Errorf("message has %d frames after the delimiter, want at least 5", len(frames)-i-1)
	}
	sig, parts := frames[i+1], frames[i+2:i+6]
	if len(s.key) != 0 {
		want := s.sign(parts...)
		if !hmac.Equal(want, sig) {
			return nil, errBadSignature
		}
	}
	m := &message{
		Identities: frames[:i],
		RawHeader:  parts[0],
		Parent:     parts[1],
		Metadata:   parts[2],
		Content:    parts[3],
		Buffers:    frames[i+6:],
	}
	if err := json.Unmarshal(parts[0], &m.Header); err != nil {
		return nil, fmt.Errorf("message header: %w", err)
	}
	return m, nil
}

// encode returns the frames of a message to send: identities, delimiter,
// signature, header, parent header, metadata, content.
func (s *signer) encode(identities [][]byte, h header, parent json.RawMessage, metadata, content interface{}) ([][]byte, error) {
	hb, err := json.Marshal(h)
	if err != nil {
		return nil, err
	}
	if len(parent) == 0 {
		parent = json.RawMessage("{}")
	}
	if metadata == nil {
		metadata = struct{}{}
	}
	mb, err := json.Marshal(metadata)
	if err != nil {
		return nil, err
	}
	cb, err := json.Marshal(content)
	if err != nil {
		return nil, fmt.Errorf("%s content: %w", h.MsgType, err)
	}
	frames := make([][]byte, 0, len(identities)+6)
	frames = append(frames, identities...)
	frames = append(frames, delimiter, s.sign(hb, parent, mb, cb), hb, parent, mb, cb)
	return frames, nil
}

// newHeader returns a fresh header of msgType in session.
func newHeader(msgType, session, username string) header {
	return header{
		MsgID:    newID(),
		Session:  session,
		Username: username,
		Date:     time.Now().UTC().Format("2006-01-02T15:04:05.000000Z"),
		MsgType:  msgType,
		Version:  protocolVersion,
	}
}

// newID returns a random version-4 UUID.
func newID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
