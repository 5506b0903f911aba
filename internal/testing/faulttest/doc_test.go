package faulttest_test

import (
	"os"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestFaultsDocListsEveryRow keeps docs/faults.md in step with faultMatrix:
// every row is named there once, and the page names no row that is gone.
func TestFaultsDocListsEveryRow(t *testing.T) {
	raw, err := os.ReadFile("../../../docs/faults.md")
	require.NoError(t, err)
	documented := map[string]int{}
	for _, m := range regexp.MustCompile("(?m)^\\| `([a-z0-9-]+/[a-z0-9-]+)`").FindAllStringSubmatch(string(raw), -1) {
		documented[m[1]]++
	}
	for _, r := range faultMatrix {
		assert.Equal(t, 1, documented[r.name], "row %q in docs/faults.md", r.name)
		delete(documented, r.name)
	}
	assert.Empty(t, documented, "docs/faults.md names rows that TestFaultMatrix does not have")
}
