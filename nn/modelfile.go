package nn

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"unicode/utf8"

	"aeir/internal/atomicfile"
)

// Model file format, versions 1 and 2. All integers are little-endian.
//
//	magic    8 bytes   "AEIRMDL1"
//	version  uint32    1 or 2
//	cfglen   uint32    length of the configuration
//	config   cfglen bytes of JSON (may be empty)
//	count    uint32    number of tensors
//	count times:
//	  namelen uint16, name (UTF-8, non-empty, unique)
//	  rank    uint8 (≤ 8), then rank × uint32 dimensions
//	  dtype   uint8, version 2 only: 0 float32, 1 float16
//	  data    Π dims values, IEEE 754 bits (float32 in version 1)
//	sha256   32 bytes  SHA-256 of every byte before it
//
// Save writes version 1 (all float32), so files of float32 tensors are
// byte for byte what they always were; SaveAs with Float16 writes version
// 2, half the size, for downloads such as the browser demo's model. Load
// reads both and always returns float32 tensors.
const (
	modelMagic   = "AEIRMDL1"
	modelVersion = 1 // float32 only
	halfVersion  = 2 // per-tensor dtype
	maxRank      = 8
	// MaxModelSize is the largest model file Load accepts (1 GiB).
	MaxModelSize = 1 << 30
)

// Errors that Load wraps; test for them with errors.Is.
var (
	ErrNotModel  = errors.New("not an AEIR model (bad magic)")
	ErrTruncated = errors.New("truncated")
	ErrChecksum  = errors.New("checksum mismatch: the file is corrupted")
)

// Dtype is how a model file stores tensor values.
type Dtype uint8

// Storage types of SaveAs.
const (
	Float32 Dtype = 0 // IEEE binary32: exact (version 1 files)
	Float16 Dtype = 1 // IEEE binary16, round to nearest even: half the size (version 2 files)
)

func (d Dtype) size() int {
	if d == Float16 {
		return 2
	}
	return 4
}

func (d Dtype) String() string {
	switch d {
	case Float32:
		return "float32"
	case Float16:
		return "float16"
	}
	return fmt.Sprintf("dtype(%d)", uint8(d))
}

// Save writes config (JSON, may be empty) and tensors in the model file
// format. Only Name, Shape and W of each tensor are stored. It returns an
// error, before writing anything, if a tensor's name is empty, longer than
// 65535 bytes, not UTF-8 or repeated, if its rank exceeds 8, if len(W)
// does not match Shape, or if config is not valid JSON.
func Save(w io.Writer, config []byte, tensors []*Param) error {
	return SaveAs(w, config, tensors, Float32)
}

// SaveAs is Save with the values stored as dt. With Float16 every value
// is rounded to the nearest half (see HalfBits) and a value a half cannot
// hold (NaN, ±Inf, beyond ±MaxHalf) is an error, reported before
// anything is written.
func SaveAs(w io.Writer, config []byte, tensors []*Param, dt Dtype) error {
	if dt != Float32 && dt != Float16 {
		return fmt.Errorf("model file: unknown dtype %v", dt)
	}
	if err := checkSave(config, tensors); err != nil {
		return err
	}
	version := uint32(modelVersion)
	if dt == Float16 {
		version = halfVersion
		for _, t := range tensors {
			for i, v := range t.W {
				if _, ok := HalfBits(v); !ok {
					return fmt.Errorf("model file: tensor %q value #%d (%v) does not fit in float16", t.Name, i, v)
				}
			}
		}
	}
	h := sha256.New()
	bw := bufio.NewWriterSize(io.MultiWriter(w, h), 1<<16)
	var b [8]byte
	put32 := func(v uint32) {
		binary.LittleEndian.PutUint32(b[:4], v)
		bw.Write(b[:4])
	}
	bw.WriteString(modelMagic)
	put32(version)
	put32(uint32(len(config)))
	bw.Write(config)
	put32(uint32(len(tensors)))
	for _, t := range tensors {
		binary.LittleEndian.PutUint16(b[:2], uint16(len(t.Name)))
		bw.Write(b[:2])
		bw.WriteString(t.Name)
		bw.WriteByte(byte(len(t.Shape)))
		for _, d := range t.Shape {
			put32(uint32(d))
		}
		if version == halfVersion {
			bw.WriteByte(byte(dt))
		}
		if dt == Float16 {
			for _, v := range t.W {
				h, _ := HalfBits(v)
				binary.LittleEndian.PutUint16(b[:2], h)
				bw.Write(b[:2])
			}
			continue
		}
		for _, v := range t.W {
			put32(math.Float32bits(v))
		}
	}
	// bufio keeps the first write error; flush it out before the checksum.
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("model file: %w", err)
	}
	if _, err := w.Write(h.Sum(nil)); err != nil {
		return fmt.Errorf("model file: %w", err)
	}
	return nil
}

func checkSave(config []byte, tensors []*Param) error {
	if len(config) > 0 && !json.Valid(config) {
		return errors.New("model file: config is not valid JSON")
	}
	if uint64(len(config)) > math.MaxUint32 || uint64(len(tensors)) > math.MaxUint32 {
		return errors.New("model file: config or tensor list too large")
	}
	seen := make(map[string]bool, len(tensors))
	for i, t := range tensors {
		switch {
		case t.Name == "":
			return fmt.Errorf("model file: tensor #%d has no name", i)
		case len(t.Name) > math.MaxUint16 || !utf8.ValidString(t.Name):
			return fmt.Errorf("model file: tensor #%d: name is not UTF-8 of at most 65535 bytes", i)
		case seen[t.Name]:
			return fmt.Errorf("model file: two tensors are named %q", t.Name)
		case len(t.Shape) > maxRank:
			return fmt.Errorf("model file: tensor %q has rank %d (at most %d)", t.Name, len(t.Shape), maxRank)
		}
		seen[t.Name] = true
		n := 1
		for _, d := range t.Shape {
			if d < 0 || d > math.MaxInt32 {
				return fmt.Errorf("model file: tensor %q has bad shape %v", t.Name, t.Shape)
			}
			n *= d
		}
		if n != len(t.W) {
			return fmt.Errorf("model file: tensor %q has %d values for shape %v", t.Name, len(t.W), t.Shape)
		}
	}
	return nil
}

// Load reads a model file written by Save and returns its config and
// tensors (with G nil). A file that is not a model, is truncated, is
// corrupted or is larger than MaxModelSize yields an error that says so
// (wrapping ErrNotModel, ErrTruncated or ErrChecksum where they apply);
// Load never trusts a size in the file before checking it against the
// bytes actually present.
func Load(r io.Reader) (config []byte, tensors []*Param, err error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxModelSize+1))
	if err != nil {
		return nil, nil, fmt.Errorf("model file: %w", err)
	}
	if len(data) > MaxModelSize {
		return nil, nil, fmt.Errorf("model file: larger than %d bytes", MaxModelSize)
	}
	return LoadBytes(data)
}

// LoadBytes is Load from a byte slice (as fetched by the browser demo).
// The returned config does not alias data.
func LoadBytes(data []byte) (config []byte, tensors []*Param, err error) {
	defer func() {
		if err != nil {
			config, tensors, err = nil, nil, fmt.Errorf("model file: %w", err)
		}
	}()
	if len(data) > MaxModelSize {
		return nil, nil, fmt.Errorf("larger than %d bytes", MaxModelSize)
	}
	if len(data) < len(modelMagic) {
		if bytes.HasPrefix([]byte(modelMagic), data) {
			return nil, nil, fmt.Errorf("%w: %d bytes, shorter than the header", ErrTruncated, len(data))
		}
		return nil, nil, ErrNotModel
	}
	if string(data[:len(modelMagic)]) != modelMagic {
		return nil, nil, ErrNotModel
	}
	d := decoder{buf: data[len(modelMagic):]}
	d.where = "header"
	version := d.u32()
	if d.err != nil {
		return nil, nil, d.err
	}
	if version != modelVersion && version != halfVersion {
		return nil, nil, fmt.Errorf("version %d is not supported (this program reads versions %d and %d); use a matching aeir", version, modelVersion, halfVersion)
	}
	n := d.u32()
	d.where = "config"
	config = bytes.Clone(d.bytes(int64(n)))
	d.where = "header"
	count := d.u32()
	if d.err != nil {
		return nil, nil, d.err
	}
	// Each tensor takes at least 3 bytes: bound count by what is left.
	if int64(count) > int64(len(d.buf))/3 {
		return nil, nil, fmt.Errorf("%w: header says %d tensors but only %d bytes follow", ErrTruncated, count, len(d.buf))
	}
	seen := make(map[string]bool)
	for i := range int(count) {
		d.where = fmt.Sprintf("tensor #%d", i)
		name := string(d.bytes(int64(d.u16())))
		if d.err != nil {
			return nil, nil, d.err
		}
		if name == "" || !utf8.ValidString(name) {
			return nil, nil, fmt.Errorf("tensor #%d has an empty or non-UTF-8 name", i)
		}
		if seen[name] {
			return nil, nil, fmt.Errorf("two tensors are named %q", name)
		}
		seen[name] = true
		d.where = fmt.Sprintf("tensor %q", name)
		rank := int(d.u8())
		if d.err == nil && rank > maxRank {
			return nil, nil, fmt.Errorf("tensor %q has rank %d (at most %d)", name, rank, maxRank)
		}
		shape := make([]int, rank)
		size, tooBig := int64(1), false
		for j := range shape {
			v := d.u32()
			if v > math.MaxInt32 {
				tooBig = true
			}
			shape[j] = int(v) // used only if the size checks below pass
			// Stop multiplying once past any file size: no overflow.
			if !tooBig {
				size *= int64(v)
				tooBig = size > MaxModelSize
			}
		}
		if d.err != nil {
			return nil, nil, d.err
		}
		dt := Float32
		if version == halfVersion {
			dt = Dtype(d.u8())
			if d.err != nil {
				return nil, nil, d.err
			}
			if dt != Float32 && dt != Float16 {
				return nil, nil, fmt.Errorf("tensor %q has unknown dtype %d", name, uint8(dt))
			}
		}
		if tooBig {
			return nil, nil, fmt.Errorf("%w in tensor %q: shape %v needs more data than the %d bytes that remain", ErrTruncated, name, shape, len(d.buf))
		}
		es := int64(dt.size())
		if size*es > int64(len(d.buf)) {
			return nil, nil, fmt.Errorf("%w in tensor %q: shape %v needs %d bytes of data, %d remain", ErrTruncated, name, shape, size*es, len(d.buf))
		}
		raw := d.bytes(size * es)
		w := make([]float32, size)
		if dt == Float16 {
			for j := range w {
				w[j] = HalfToFloat32(binary.LittleEndian.Uint16(raw[2*j:]))
			}
		} else {
			for j := range w {
				w[j] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*j:]))
			}
		}
		tensors = append(tensors, &Param{Name: name, Shape: shape, W: w})
	}
	body := len(data) - len(d.buf)
	switch {
	case len(d.buf) < sha256.Size:
		return nil, nil, fmt.Errorf("%w in checksum: %d of %d bytes", ErrTruncated, len(d.buf), sha256.Size)
	case len(d.buf) > sha256.Size:
		return nil, nil, fmt.Errorf("%d unexpected bytes after the tensors", len(d.buf)-sha256.Size)
	}
	if sum := sha256.Sum256(data[:body]); !bytes.Equal(sum[:], d.buf) {
		return nil, nil, ErrChecksum
	}
	if len(config) > 0 && !json.Valid(config) {
		return nil, nil, errors.New("config is not valid JSON")
	}
	return config, tensors, nil
}

// decoder reads little-endian fields from buf, recording the first
// shortfall as an ErrTruncated error that names where it happened.
type decoder struct {
	buf   []byte
	where string
	err   error
}

func (d *decoder) bytes(n int64) []byte {
	if d.err != nil {
		return nil
	}
	if n > int64(len(d.buf)) {
		d.err = fmt.Errorf("%w in %s: needs %d bytes, %d remain", ErrTruncated, d.where, n, len(d.buf))
		d.buf = nil
		return nil
	}
	b := d.buf[:n]
	d.buf = d.buf[n:]
	return b
}

func (d *decoder) u8() uint8 {
	if b := d.bytes(1); b != nil {
		return b[0]
	}
	return 0
}

func (d *decoder) u16() uint16 {
	if b := d.bytes(2); b != nil {
		return binary.LittleEndian.Uint16(b)
	}
	return 0
}

func (d *decoder) u32() uint32 {
	if b := d.bytes(4); b != nil {
		return binary.LittleEndian.Uint32(b)
	}
	return 0
}

// SaveFile writes a model file at path atomically: it writes a temporary
// file in the same directory, syncs it and renames it over path, so path
// is either the old file or the complete new one, never a partial write.
func SaveFile(path string, config []byte, tensors []*Param) (err error) {
	return SaveFileAs(path, config, tensors, Float32)
}

// SaveFileAs is SaveFile with the values stored as dt (see SaveAs).
func SaveFileAs(path string, config []byte, tensors []*Param, dt Dtype) (err error) {
	if err := checkSave(config, tensors); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	err = atomicfile.Write(path, func(w io.Writer) error { return SaveAs(w, config, tensors, dt) })
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// LoadFile reads the model file at path; errors name the file.
func LoadFile(path string) (config []byte, tensors []*Param, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	config, tensors, err = Load(f)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return config, tensors, nil
}

// CopyTensors copies the weights of src into dst by name, as when loading a
// model file into a freshly built network. Every tensor of dst must be
// present in src with the same shape; tensors of src not in dst are
// ignored.
func CopyTensors(dst, src []*Param) error {
	by := make(map[string]*Param, len(src))
	for _, p := range src {
		by[p.Name] = p
	}
	var missing []string
	for _, p := range dst {
		s := by[p.Name]
		if s == nil {
			missing = append(missing, p.Name)
			continue
		}
		if !slices.Equal(s.Shape, p.Shape) || len(s.W) != len(p.W) {
			return fmt.Errorf("tensor %q has shape %v in the file but %v in the model", p.Name, s.Shape, p.Shape)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("model file lacks %d tensors the model needs: %q", len(missing), missing)
	}
	for _, p := range dst {
		copy(p.W, by[p.Name].W)
	}
	return nil
}
