package web

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"
	"strings"
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

// smallJPEG encodes a w×h JPEG.
func smallJPEG(t testing.TB, w, h int) []byte {
	var b bytes.Buffer
	if err := jpeg.Encode(&b, image.NewGray(image.Rect(0, 0, w, h)), nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// withMetadata inserts about meta bytes of APP1 segments (each at most
// the 64 KB a segment holds) after a JPEG's start-of-image marker.
func withMetadata(j []byte, meta int) []byte {
	out := append([]byte{}, j[:2]...)
	for meta > 0 {
		body := min(meta, 65533)
		out = append(out, 0xff, 0xe1)
		out = binary.BigEndian.AppendUint16(out, uint16(body+2))
		out = append(out, bytes.Repeat([]byte{0xff}, body)...) // 0xFF bodies look like fill bytes: skipped by length, not scanned
		meta -= body
	}
	return append(out, j[2:]...)
}

// declare rewrites the dimensions of a JPEG's baseline frame header.
func declare(t testing.TB, j []byte, w, h int) []byte {
	i := bytes.Index(j, []byte{0xff, 0xc0})
	if i < 0 {
		t.Fatal("no SOF0 marker")
	}
	j = bytes.Clone(j)
	binary.BigEndian.PutUint16(j[i+5:], uint16(h))
	binary.BigEndian.PutUint16(j[i+7:], uint16(w))
	return j
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r    *bytes.Reader
	read int
}

func (c *countingReader) ReadAt(p []byte, off int64) (int, error) {
	n, err := c.r.ReadAt(p, off)
	c.read += n
	return n, err
}

// TestSniffAtLargeMetadata: a JPEG with 1 MB of metadata before its frame
// header, as a camera or editor writes it. Its first SniffBytes do not
// hold the dimensions; SniffAt finds them reading the segment headers
// only.
func TestSniffAtLargeMetadata(t *testing.T) {
	j := withMetadata(declare(t, smallJPEG(t, 16, 8), 16000, 16000), 1<<20)
	if info, err := Sniff(j[:SniffBytes]); err != nil || info.Width != 0 {
		t.Fatalf("Sniff of the first %d bytes: %+v %v (the test needs the frame header further on)", SniffBytes, info, err)
	}
	if info, err := Sniff(j); err != nil || info.Width != 16000 || info.Height != 16000 {
		t.Errorf("Sniff of the whole file: %+v %v", info, err)
	}
	r := &countingReader{r: bytes.NewReader(j)}
	info, err := SniffAt(r, len(j))
	if err != nil || info.Format != "jpeg" || info.Width != 16000 || info.Height != 16000 {
		t.Fatalf("SniffAt: %+v %v", info, err)
	}
	if r.read > SniffBytes+20*4096 {
		t.Errorf("SniffAt read %d of %d bytes: it should skip the segments' bodies", r.read, len(j))
	}
	// Other formats read as Sniff reads them.
	if info, err := SniffAt(bytes.NewReader(pngHeader(640, 480)), 33); err != nil || info.Format != "png" || info.Width != 640 {
		t.Errorf("SniffAt of a PNG: %+v %v", info, err)
	}
}

// TestSniffJPEGMarkers: fill bytes before a marker, standalone markers
// (RST, TEM, a repeated SOI), stray bytes and a stuffed zero between
// segments, and a COM segment are walked over to the frame header.
func TestSniffJPEGMarkers(t *testing.T) {
	j := smallJPEG(t, 37, 21)
	pre := []byte{0xff, 0xd8,
		0xff, 0xff, 0xff, 0xe0, 0x00, 0x06, 'J', 'F', 'I', 'F', // fill bytes, then APP0
		0xff, 0xd0, 0xff, 0x01, 0xff, 0xd8, // RST0, TEM, SOI: no length
		'x', 'y', 0xff, 0x00, // stray bytes and a stuffed zero
		0xff, 0xfe, 0x00, 0x05, 'h', 'i', '!', // COM
	}
	b := append(pre, j[2:]...)
	for name, f := range map[string]func([]byte) (ImageInfo, error){
		"Sniff":   Sniff,
		"SniffAt": func(b []byte) (ImageInfo, error) { return SniffAt(bytes.NewReader(b), len(b)) },
	} {
		if info, err := f(b); err != nil || info.Width != 37 || info.Height != 21 {
			t.Errorf("%s: %+v %v", name, info, err)
		}
	}
	// No frame header before the scan, a damaged length, a file that ends
	// inside a segment: errors for SniffAt (Sniff cannot tell the last
	// from a cut read).
	sos := append([]byte{0xff, 0xd8, 0xff, 0xda, 0x00, 0x02}, j[2:]...)
	badLen := []byte{0xff, 0xd8, 0xff, 0xe1, 0x00, 0x01, 0xff, 0xc0}
	cut := withMetadata(j, 70000)[:70000]
	for name, c := range map[string]struct {
		b    []byte
		want string
	}{"scan first": {sos, "no frame header"}, "damaged length": {badLen, "damaged"}, "cut": {cut, "ends before"}} {
		if _, err := SniffAt(bytes.NewReader(c.b), len(c.b)); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error saying %q", name, err, c.want)
		}
	}
	if info, err := Sniff(cut); err != nil || info.Width != 0 {
		t.Errorf("Sniff of a cut JPEG: %+v %v", info, err)
	}
}

// TestCheckImageAt is the page's check of an upload (wasm checkFile):
// the 16,000 × 16,000 JPEG whose frame header follows 1 MB of metadata is
// refused before it is decoded, whereas the first SniffBytes alone let
// it through to the decoder.
func TestCheckImageAt(t *testing.T) {
	big := withMetadata(declare(t, smallJPEG(t, 16, 8), 16000, 16000), 1<<20)
	if _, err := CheckImageFile("big.jpg", len(big), big[:SniffBytes]); err != nil {
		t.Fatalf("the first %d bytes alone: %v (the test needs them not to tell the size)", SniffBytes, err)
	}
	_, err := CheckImageAt("big.jpg", len(big), bytes.NewReader(big))
	if err == nil || !IsInput(err) || !strings.Contains(err.Error(), "16,000 × 16,000 pixels") {
		t.Errorf("16,000 × 16,000 JPEG with 1 MB of metadata: %v", err)
	}
	ok := withMetadata(smallJPEG(t, 37, 21), 1<<20)
	if info, err := CheckImageAt("ok.jpg", len(ok), bytes.NewReader(ok)); err != nil || info.Width != 37 || info.Height != 21 {
		t.Errorf("37 × 21 JPEG with 1 MB of metadata: %+v %v", info, err)
	}
	cut := ok[:200000]
	if _, err := CheckImageAt("cut.jpg", len(cut), bytes.NewReader(cut)); err == nil || !strings.Contains(err.Error(), "ends before its frame header") {
		t.Errorf("JPEG cut before its frame header: %v", err)
	}
	png := pngHeader(5000, 10)
	if _, err := CheckImageAt("wide.png", len(png), bytes.NewReader(png)); err == nil || !strings.Contains(err.Error(), "5,000 × 10") {
		t.Errorf("5,000 × 10 PNG: %v", err)
	}
	if _, err := CheckImageAt("huge.jpg", MaxFileBytes+1, bytes.NewReader(nil)); err == nil || !strings.Contains(err.Error(), "MB") {
		t.Errorf("a file over MaxFileBytes, not read: %v", err)
	}
	if _, err := CheckImageAt("empty.jpg", 0, bytes.NewReader(nil)); err == nil || !strings.Contains(err.Error(), "empty") {
		t.Errorf("an empty file: %v", err)
	}
}

func FuzzSniff(f *testing.F) {
	f.Add(pngHeader(1, 1))
	f.Add([]byte("\xff\xd8\xff\xe0\x00\x10JFIF"))
	f.Add([]byte("RIFF\x00\x00\x00\x00WEBPVP8X\x0a\x00\x00\x00"))
	f.Add([]byte("BM"))
	f.Add([]byte("\xff\xd8\xff\xff\xe1\x00\x04ab\xff\xd0xy\xff\x00\xff\xc0\x00\x11\x08\x00\x15\x00\x25\x03"))
	f.Add([]byte("\xff\xd8\xff\xe1\xff\xff"))
	f.Fuzz(func(t *testing.T, b []byte) {
		info, err := Sniff(b)
		if err == nil && (info.Width < 0 || info.Height < 0) {
			t.Fatalf("%+v", info)
		}
		// SniffAt reads the same headers from the whole file.
		at, errAt := SniffAt(bytes.NewReader(b), len(b))
		if err == nil && (info.Width != 0 || info.Height != 0) && (errAt != nil || at != info) {
			t.Fatalf("Sniff %+v, SniffAt %+v %v", info, at, errAt)
		}
		if errAt == nil && at.Format == "jpeg" && at != info {
			t.Fatalf("JPEG: SniffAt %+v, Sniff %+v %v", at, info, err)
		}
		CheckImageFile("x", len(b)+1, b)
		CheckImageAt("x", len(b), bytes.NewReader(b))
	})
}
