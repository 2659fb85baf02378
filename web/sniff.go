package web

import (
	"bytes"
	"encoding/binary"
	"errors"
)

// ImageInfo is what an image file's header says.
type ImageInfo struct {
	Format        string `json:"format"` // "png", "jpeg", "gif", "webp" or "bmp"
	Width, Height int    // 0 when the header lies beyond the bytes given (a JPEG with a long preamble)
}

// SniffBytes is how much of a file Sniff needs to see.
const SniffBytes = 64 << 10

var errUnknown = errors.New("unknown file format")

// Sniff reads the format and dimensions from the first bytes of an image
// file (SniffBytes are enough except for JPEGs with very large metadata),
// without decoding it, so that an oversized image is refused before its
// pixels are allocated. It never panics, whatever the bytes.
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
	case len(b) >= 3 && b[0] == 0xff && b[1] == 0xd8 && b[2] == 0xff:
		return sniffJPEG(b)
	}
	return ImageInfo{}, errUnknown
}

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

// sniffJPEG walks the marker segments up to the first start-of-frame.
func sniffJPEG(b []byte) (ImageInfo, error) {
	info := ImageInfo{Format: "jpeg"}
	i := 2
	for {
		for i < len(b) && b[i] != 0xff {
			i++ // tolerate stray bytes between segments
		}
		for i < len(b) && b[i] == 0xff {
			i++ // fill bytes
		}
		if i >= len(b) {
			return info, nil // the frame header is beyond what we were given
		}
		m := b[i]
		i++
		switch {
		case m == 0xd8 || m == 0x01 || m >= 0xd0 && m <= 0xd7:
			continue // no length
		case m == 0xd9 || m == 0xda:
			return info, errors.New("JPEG has no frame header before its image data")
		}
		if i+2 > len(b) {
			return info, nil
		}
		n := int(binary.BigEndian.Uint16(b[i:]))
		if n < 2 {
			return info, errors.New("JPEG segment length is damaged")
		}
		if m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc {
			if i+7 > len(b) {
				return info, nil
			}
			info.Height = int(binary.BigEndian.Uint16(b[i+3:]))
			info.Width = int(binary.BigEndian.Uint16(b[i+5:]))
			return info, nil
		}
		i += n
	}
}
