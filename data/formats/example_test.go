package formats_test

import (
	"fmt"
	"image"
	"image/color"
	"image/png"
	"log"
	"os"
	"path/filepath"

	"aeir/data/formats"
)

// Load a CSV table of image–text pairs: two domains, one image shared by
// two captions.
func ExampleLoad() {
	dir, err := os.MkdirTemp("", "formats-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	// A 4×2 image, red on the left and blue on the right.
	m := image.NewNRGBA(image.Rect(0, 0, 4, 2))
	for x := 0; x < 4; x++ {
		for y := 0; y < 2; y++ {
			c := color.NRGBA{255, 0, 0, 255}
			if x >= 2 {
				c = color.NRGBA{0, 0, 255, 255}
			}
			m.SetNRGBA(x, y, c)
		}
	}
	f, err := os.Create(filepath.Join(dir, "flag.png"))
	if err != nil {
		log.Fatal(err)
	}
	if err := png.Encode(f, m); err != nil {
		log.Fatal(err)
	}
	f.Close()
	table := "image,text,domain,split\n" +
		"flag.png,a red and blue flag,photos,test\n" +
		"flag.png,two colours side by side,photos,test\n" +
		"flag.png,\"flag: red, blue\",icons,train\n"
	if err := os.WriteFile(filepath.Join(dir, "pairs.csv"), []byte(table), 0o644); err != nil {
		log.Fatal(err)
	}

	cs, err := formats.Load(filepath.Join(dir, "pairs.csv"), formats.Options{Size: 2})
	if err != nil {
		log.Fatal(err)
	}
	for _, c := range cs {
		fmt.Printf("%s/%s: %d image(s) %v, texts %q aligned to %v\n", c.Domain, c.Split, c.Images.N, c.ImageIDs, c.Texts, c.TextImage)
	}
	// The centred 2×2 square, resized to 2×2: red, then blue.
	fmt.Println(cs[0].Images.At(0).NRGBAAt(0, 0), cs[0].Images.At(0).NRGBAAt(1, 0))

	// Errors name the file, the line and what to do.
	os.WriteFile(filepath.Join(dir, "bad.csv"), []byte("image,text,domain\nflag.png,,photos\n"), 0o644)
	_, err = formats.Load(filepath.Join(dir, "bad.csv"), formats.Options{})
	fmt.Println(filepath.Base(err.Error()))
	// Output:
	// icons/train: 1 image(s) [flag.png], texts ["flag: red, blue"] aligned to [0]
	// photos/test: 1 image(s) [flag.png], texts ["a red and blue flag" "two colours side by side"] aligned to [0 0]
	// {255 0 0 255} {0 0 255 255}
	// bad.csv:2: row 1: text is empty; write the text, or remove the row
}
