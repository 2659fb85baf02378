package web

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"
	"testing"
)

// pngHeader returns the first bytes of a PNG of w×h pixels (signature and
// IHDR chunk), as a file that large would start.
func pngHeader(w, h int) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 17)
	copy(ihdr, "IHDR")
	binary.BigEndian.PutUint32(ihdr[4:], uint32(w))
	binary.BigEndian.PutUint32(ihdr[8:], uint32(h))
	ihdr[12], ihdr[13] = 8, 6 // 8-bit RGBA
	binary.Write(&b, binary.BigEndian, uint32(13))
	b.Write(ihdr)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(ihdr))
	return b.Bytes()
}

func TestSniff(t *testing.T) {
	m := image.NewNRGBA(image.Rect(0, 0, 37, 21))
	enc := func(f func(*bytes.Buffer) error) []byte {
		var b bytes.Buffer
		if err := f(&b); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	pngB := enc(func(b *bytes.Buffer) error { return png.Encode(b, m) })
	gifB := enc(func(b *bytes.Buffer) error { return gif.Encode(b, m, nil) })
	jpgB := enc(func(b *bytes.Buffer) error { return jpeg.Encode(b, m, nil) })
	// A JPEG with 40 KB of metadata before its frame header.
	app := make([]byte, 4+40000)
	app[0], app[1] = 0xff, 0xe1
	binary.BigEndian.PutUint16(app[2:], uint16(len(app)-2))
	jpgExif := append(append(append([]byte{}, jpgB[:2]...), app...), jpgB[2:]...)

	webpL := []byte("RIFF\x00\x00\x00\x00WEBPVP8L\x00\x00\x00\x00\x2f")
	v := uint32(37-1) | uint32(21-1)<<14
	webpL = binary.LittleEndian.AppendUint32(webpL, v)
	webpL = append(webpL, make([]byte, 10)...)
	webpX := []byte("RIFF\x00\x00\x00\x00WEBPVP8X\x0a\x00\x00\x00\x00\x00\x00\x00")
	webpX = append(webpX, 36, 0, 0, 20, 0, 0)
	webp8 := []byte("RIFF\x00\x00\x00\x00WEBPVP8 \x00\x00\x00\x00\x00\x00\x00\x9d\x01\x2a")
	webp8 = binary.LittleEndian.AppendUint16(webp8, 37)
	webp8 = binary.LittleEndian.AppendUint16(webp8, 21)
	bmp := make([]byte, 54)
	copy(bmp, "BM")
	binary.LittleEndian.PutUint32(bmp[14:], 40)
	binary.LittleEndian.PutUint32(bmp[18:], 37)
	binary.LittleEndian.PutUint32(bmp[22:], uint32(0xffffffff-21+1)) // −21: top-down

	for _, c := range []struct {
		name   string
		b      []byte
		format string
	}{
		{"png", pngB, "png"}, {"gif", gifB, "gif"}, {"jpeg", jpgB, "jpeg"}, {"jpeg with metadata", jpgExif, "jpeg"},
		{"webp lossless", webpL, "webp"}, {"webp extended", webpX, "webp"}, {"webp lossy", webp8, "webp"}, {"bmp", bmp, "bmp"},
	} {
		info, err := Sniff(c.b)
		if err != nil || info.Format != c.format || info.Width != 37 || info.Height != 21 {
			t.Errorf("%s: %+v %v", c.name, info, err)
		}
	}
	// A JPEG whose frame header lies beyond what was read: format known,
	// size not yet.
	if info, err := Sniff(jpgExif[:20000]); err != nil || info.Format != "jpeg" || info.Width != 0 {
		t.Errorf("cut JPEG: %+v %v", info, err)
	}
	for _, bad := range [][]byte{nil, []byte("GIF8"), []byte("hello"), []byte("%PDF-1.7"), pngB[:12], []byte("RIFF\x00\x00\x00\x00WEBPVP9 ")} {
		if _, err := Sniff(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func FuzzSniff(f *testing.F) {
	f.Add(pngHeader(1, 1))
	f.Add([]byte("\xff\xd8\xff\xe0\x00\x10JFIF"))
	f.Add([]byte("RIFF\x00\x00\x00\x00WEBPVP8X\x0a\x00\x00\x00"))
	f.Add([]byte("BM"))
	f.Fuzz(func(t *testing.T, b []byte) {
		info, err := Sniff(b)
		if err == nil && (info.Width < 0 || info.Height < 0) {
			t.Fatalf("%+v", info)
		}
		CheckImageFile("x", len(b)+1, b)
	})
}
