//go:build race

package main

// raceFlags builds the binary under test with the race detector when the
// tests themselves run with -race, so that the child processes are checked too.
var raceFlags = []string{"-race"}
