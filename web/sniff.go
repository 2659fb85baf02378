package web

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
)

// ImageInfo is what an image file's header says.
type ImageInfo struct {
	Format        string `json:"format"` // "png", "jpeg", "gif", "webp" or "bmp"
	Width, Height int    // Sniff: 0 when the header lies beyond the bytes given (a JPEG with a long preamble)
}

// SniffBytes is how much of a file Sniff needs to see, except for a
// JPEG whose frame header follows large metadata segments: SniffAt reads
// those from the whole file.
const SniffBytes = 64 << 10

var errUnknown = errors.New("unknown file format")

// Sniff reads the format and dimensions from the first bytes of an image
// file (SniffBytes are enough except for JPEGs with very large metadata,
// whose dimensions are then 0: use SniffAt on the whole file), without
// decoding it, so that an oversized image is refused before its pixels
// are allocated. It never panics, whatever the bytes.
func Sniff(b []byte) (ImageInfo, error) {
	switch {
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		if len(b) < 24 || string(b[12:16]) != "IHDR" {
			return ImageInfo{Format: "png"}, errors.New("PNG header is damaged")
		}
		return ImageInfo{"png", int(be32(b[16:])), int(be32(b[20:]))}, nil
	case bytes.HasPrefix(b, []byte("GIF87a")) || bytes.HasPrefix(b, []byte("GIF89a")):
		if len(b) < 10 {
			return ImageInfo{Format: "gif"}, errors.New("GIF header is damaged")
		}
		return ImageInfo{"gif", int(binary.LittleEndian.Uint16(b[6:])), int(binary.LittleEndian.Uint16(b[8:]))}, nil
	case bytes.HasPrefix(b, []byte("BM")) && len(b) >= 26:
		if binary.LittleEndian.Uint32(b[14:]) == 12 { // OS/2 core header
			return ImageInfo{"bmp", int(binary.LittleEndian.Uint16(b[18:])), int(binary.LittleEndian.Uint16(b[20:]))}, nil
		}
		w, h := int(int32(binary.LittleEndian.Uint32(b[18:]))), int(int32(binary.LittleEndian.Uint32(b[22:])))
		if h < 0 {
			h = -h // top-down rows
		}
		if w <= 0 || h == 0 {
			return ImageInfo{Format: "bmp"}, errors.New("BMP header is damaged")
		}
		return ImageInfo{"bmp", w, h}, nil
	case len(b) >= 12 && string(b[:4]) == "RIFF" && string(b[8:12]) == "WEBP":
		return sniffWebP(b)
	case isJPEG(b):
		info, err := sniffJPEG(sliceSource(b))
		if errors.Is(err, errShort) {
			return info, nil // the frame header lies beyond the bytes given
		}
		return info, err
	}
	return ImageInfo{}, errUnknown
}

// SniffAt reads the format and dimensions of a whole image file of size
// bytes through r, without decoding it. It reads the first SniffBytes
// and, for a JPEG, the 4-byte header of each segment up to the frame
// header, skipping the segments' bodies unread: metadata of any size
// before the frame header costs one small read per segment. Unlike
// Sniff, a JPEG that ends before its frame header is an error. It never
// panics, whatever the bytes.
func SniffAt(r io.ReaderAt, size int) (ImageInfo, error) {
	src := &readerSource{r: r, size: max(size, 0)}
	head := make([]byte, min(src.size, SniffBytes))
	n, _ := r.ReadAt(head, 0)
	if !isJPEG(head[:n]) {
		return Sniff(head[:n])
	}
	return sniffJPEG(src)
}

// readerSource reads a file through io.ReaderAt a window at a time, the
// window starting where it is first needed: a JPEG segment's body is
// skipped, not read.
type readerSource struct {
	r    io.ReaderAt
	size int
	off  int    // the file position of win[0]
	win  []byte // a slice of buf
	buf  [4096]byte
}

func (s *readerSource) at(i int) (byte, bool) {
	if i < 0 || i >= s.size {
		return 0, false
	}
	if i < s.off || i >= s.off+len(s.win) {
		n, _ := s.r.ReadAt(s.buf[:min(len(s.buf), s.size-i)], int64(i))
		if n <= 0 {
			return 0, false
		}
		s.off, s.win = i, s.buf[:n]
	}
	return s.win[i-s.off], true
}

// CheckImageAt checks a whole image file of size bytes, read through r,
// before it is decoded — the page calls it with the file it was given. It
// refuses what CheckImageFile refuses, reading only the headers it needs
// wherever they lie (SniffAt), so the dimensions are known before decoding
// whatever the metadata before them: a JPEG whose frame header follows
// megabytes of metadata is refused for its pixel count as promptly as a
// PNG. name is how the file is called in messages.
func CheckImageAt(name string, size int, r io.ReaderAt) (ImageInfo, error) {
	head := make([]byte, min(max(size, 0), SniffBytes))
	n, _ := r.ReadAt(head, 0)
	info, err := CheckImageFile(name, size, head[:n])
	if err != nil || info.Width != 0 || info.Height != 0 || info.Format != "jpeg" {
		return info, err
	}
	if info, err = SniffAt(r, size); err != nil {
		return info, inputErr("“%s” is not an image this page can read (%v). Use a PNG, JPEG, GIF, WebP or BMP file.", name, err)
	}
	return info, CheckDims(name, info.Width, info.Height)
}

func isJPEG(b []byte) bool { return len(b) >= 3 && b[0] == 0xff && b[1] == 0xd8 && b[2] == 0xff }

func be32(b []byte) uint32 { return binary.BigEndian.Uint32(b) }

func sniffWebP(b []byte) (ImageInfo, error) {
	info := ImageInfo{Format: "webp"}
	bad := errors.New("WebP header is damaged")
	if len(b) < 30 {
		return info, bad
	}
	switch string(b[12:16]) {
	case "VP8X":
		info.Width = 1 + int(b[24]) | int(b[25])<<8 | int(b[26])<<16
		info.Height = 1 + int(b[27]) | int(b[28])<<8 | int(b[29])<<16
	case "VP8 ":
		if b[23] != 0x9d || b[24] != 0x01 || b[25] != 0x2a {
			return info, bad
		}
		info.Width = int(binary.LittleEndian.Uint16(b[26:]) & 0x3fff)
		info.Height = int(binary.LittleEndian.Uint16(b[28:]) & 0x3fff)
	case "VP8L":
		if b[20] != 0x2f {
			return info, bad
		}
		v := binary.LittleEndian.Uint32(b[21:])
		info.Width = 1 + int(v&0x3fff)
		info.Height = 1 + int(v>>14&0x3fff)
	default:
		return info, bad
	}
	return info, nil
}

// errShort says the bytes end before the JPEG's frame header.
var errShort = errors.New("JPEG ends before its frame header")

// byteSource gives a file's bytes by position; ok is false past its end.
type byteSource interface {
	at(i int) (b byte, ok bool)
}

// sliceSource is a file (or its first bytes) in memory.
type sliceSource []byte

func (s sliceSource) at(i int) (byte, bool) {
	if i < 0 || i >= len(s) {
		return 0, false
	}
	return s[i], true
}

// u16 reads the big-endian 16-bit number at i.
func u16(src byteSource, i int) (int, bool) {
	hi, ok1 := src.at(i)
	lo, ok2 := src.at(i + 1)
	return int(hi)<<8 | int(lo), ok1 && ok2
}

// sniffJPEG walks the marker segments from the start of the file to the
// first start-of-frame, reading each segment's marker and length and
// skipping its body whatever its size, as libjpeg does. It returns
// errShort when the bytes end first.
func sniffJPEG(src byteSource) (ImageInfo, error) {
	info := ImageInfo{Format: "jpeg"}
	for i := 2; ; {
		m, next, ok := nextMarker(src, i)
		if !ok {
			return info, errShort
		}
		i = next
		switch {
		case m == 0xd8 || m == 0x01 || m >= 0xd0 && m <= 0xd7:
			continue // standalone: no length
		case m == 0xd9 || m == 0xda:
			return info, errors.New("JPEG has no frame header before its image data")
		}
		n, ok := u16(src, i)
		if !ok {
			return info, errShort
		}
		if n < 2 {
			return info, errors.New("JPEG segment length is damaged")
		}
		if isSOF(m) {
			h, ok1 := u16(src, i+3)
			w, ok2 := u16(src, i+5)
			if !ok1 || !ok2 {
				return info, errShort
			}
			info.Width, info.Height = w, h
			return info, nil
		}
		i += n
	}
}

// isSOF reports whether a marker starts a frame (SOF0…SOF15 but DHT,
// JPG and DAC).
func isSOF(m byte) bool {
	return m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc
}

// nextMarker finds the next marker at or after i as libjpeg does:
// stray bytes are skipped, then any run of fill bytes 0xFF; 0xFF 0x00 is
// a stuffed zero, not a marker. It returns the marker's code and the
// position after it.
func nextMarker(src byteSource, i int) (m byte, next int, ok bool) {
	for {
		b, ok := src.at(i)
		if !ok {
			return 0, i, false
		}
		i++
		if b != 0xff {
			continue // a stray byte between segments
		}
		for b == 0xff {
			if b, ok = src.at(i); !ok {
				return 0, i, false
			}
			i++
		}
		if b != 0 {
			return b, i, true
		}
	}
}
