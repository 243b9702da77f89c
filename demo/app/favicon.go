package app

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"net/http"
)

// faviconPNG is the demo's icon: a 32×32 PNG, a door (white) in the demo's blue. Browsers
// ask every site for /favicon.ico by themselves; envoy.yaml routes it to App One with the
// filter switched off. Answered with a 404, each page of Exeunt and of the apps logged
// "Failed to load resource: 404" in the browser's console, which hides real errors there
// (e2e/browser checks that the pages log none).
var faviconPNG = drawFavicon()

func drawFavicon() []byte {
	const size = 32
	blue := color.RGBA{0x24, 0x56, 0xa6, 0xff}
	img := image.NewRGBA(image.Rect(0, 0, size, size))
	for y := 0; y < size; y++ {
		for x := 0; x < size; x++ {
			c := blue
			if x >= 10 && x < 22 && y >= 6 && y < 28 && !(x >= 18 && x < 20 && y >= 16 && y < 18) {
				c = color.RGBA{0xff, 0xff, 0xff, 0xff} // the door, and its handle in blue
			}
			img.SetRGBA(x, y, c)
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		panic(err) // an in-memory image always encodes
	}
	return b.Bytes()
}

// favicon answers /favicon.ico. The content type says PNG: browsers take any image format
// they decode under that name.
func (a *App) favicon(w http.ResponseWriter, r *http.Request) {
	if !onlyMethods(w, r, http.MethodGet, http.MethodHead) {
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "public, max-age=86400")
	w.Write(faviconPNG)
}
