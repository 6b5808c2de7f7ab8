//go:build race

package rule

// The race detector slows evaluation several times over.
const raceEnabled = true
