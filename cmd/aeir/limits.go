package main

import (
	"flag"
	"fmt"
	"math"
	"strconv"
	"strings"

	"aeir/data/formats"
)

// addLimitFlags registers on fs the flags that set the image limits of
// lim (data/formats.Limits; see docs/limits.md): -max-image-bytes,
// -max-image-side, -max-image-pixels, -max-decode-bytes and
// -max-decode-in-flight. Each flag's default is the field's value when
// it is set, else formats.DefaultLimits()'s; byte counts take a KiB,
// MiB, GiB or TiB suffix (or K, M, G, T: also powers of 1024).
func addLimitFlags(fs *flag.FlagSet, lim *formats.Limits) {
	def := formats.DefaultLimits()
	for _, f := range []struct{ v, d *int64 }{{&lim.MaxImageBytes, &def.MaxImageBytes}, {&lim.MaxImagePixels, &def.MaxImagePixels},
		{&lim.MaxDecodeBytes, &def.MaxDecodeBytes}, {&lim.MaxDecodeInFlight, &def.MaxDecodeInFlight}} {
		if *f.v <= 0 {
			*f.v = *f.d
		}
	}
	if lim.MaxImageSide <= 0 {
		lim.MaxImageSide = def.MaxImageSide
	}
	fs.Var((*byteCount)(&lim.MaxImageBytes), "max-image-bytes",
		"largest image file to read (data sets of images: tables and Karpathy files)")
	fs.IntVar(&lim.MaxImageSide, "max-image-side", lim.MaxImageSide,
		"largest width or height of a source image, in pixels (also the largest -size)")
	fs.Int64Var(&lim.MaxImagePixels, "max-image-pixels", lim.MaxImagePixels,
		"largest width × height of a source image, in pixels")
	fs.Var((*byteCount)(&lim.MaxDecodeBytes), "max-decode-bytes",
		"refuse an image whose estimated memory to decode and resize is larger (the error gives the estimate)")
	fs.Var((*byteCount)(&lim.MaxDecodeInFlight), "max-decode-in-flight",
		"memory the parallel image decoders may hold at once, by their estimates; an image larger than this decodes alone")
}

// byteCount is an int64 flag of bytes that takes a binary suffix.
type byteCount int64

func (b *byteCount) String() string {
	if b == nil {
		return "0"
	}
	n := int64(*b)
	for _, u := range []string{"TiB", "GiB", "MiB", "KiB"} {
		if s := byteUnits[strings.ToUpper(u)]; n >= s && n%s == 0 {
			return strconv.FormatInt(n/s, 10) + u
		}
	}
	return strconv.FormatInt(n, 10)
}

// byteUnits are the suffixes byteCount takes, in upper case; all are
// powers of 1024.
var byteUnits = map[string]int64{"K": 1 << 10, "KB": 1 << 10, "KIB": 1 << 10, "M": 1 << 20, "MB": 1 << 20, "MIB": 1 << 20,
	"G": 1 << 30, "GB": 1 << 30, "GIB": 1 << 30, "T": 1 << 40, "TB": 1 << 40, "TIB": 1 << 40}

// Set parses "1073741824", "1GiB", "512M" or "1.5GiB".
func (b *byteCount) Set(s string) error {
	num, unit := strings.TrimSpace(s), ""
	if i := strings.IndexFunc(num, func(r rune) bool { return r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' }); i >= 0 {
		num, unit = strings.TrimSpace(num[:i]), strings.ToUpper(num[i:])
	}
	mult, ok := byteUnits[unit]
	if unit == "" || unit == "B" {
		mult, ok = 1, true
	}
	if !ok {
		return fmt.Errorf("%q: unknown unit; want a number of bytes, optionally with KiB, MiB, GiB or TiB", s)
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || v*float64(mult) < 1 || math.IsInf(v, 0) || v*float64(mult) >= math.MaxInt64 {
		return fmt.Errorf("%q: want a positive number of bytes, such as 1073741824 or 1GiB", s)
	}
	*b = byteCount(v * float64(mult))
	return nil
}
