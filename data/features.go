package data

import "fmt"

// PixelFeatures turns pixel images into feature rows: the image composited
// on white (Composite, channel-major), then (v − mean[c]) / std[c].
func PixelFeatures(im *Images, mean, std [3]float32) (*Images, error) {
	if !im.IsPixels() {
		return nil, fmt.Errorf("pixels backbone: images are already features (dim %d)", im.Dim)
	}
	plane := im.W * im.H
	dim := 3 * plane
	out := &Images{N: im.N, Dim: dim, Feat: make([]float32, im.N*dim)}
	for i := range im.N {
		dst := out.Feat[i*dim : (i+1)*dim]
		Composite(dst, im.Pix[i*plane*4:(i+1)*plane*4], im.W, im.H)
		for c := range 3 {
			for k := c * plane; k < (c+1)*plane; k++ {
				dst[k] = (dst[k] - mean[c]) / std[c]
			}
		}
	}
	return out, nil
}
