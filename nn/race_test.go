//go:build race

package nn

// raceEnabled: the race detector allocates, so allocation counts are off.
const raceEnabled = true
