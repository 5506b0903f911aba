package redistest_test

import (
	"fmt"

	"github.com/mindpeeker/mindpeeker-go/internal/testing/redistest"
)

// A helper process started by StartChild ends by printing its result on one
// line, which the parent test decodes with Child.Result.
func ExamplePrintResult() {
	type lockLoopResult struct{ Violations int }
	if err := redistest.PrintResult(lockLoopResult{Violations: 0}); err != nil {
		fmt.Println(err)
	}
	// Output: RESULT {"Violations":0}
}

// Outside a helper process HelperMode is empty: the helper test skips.
func ExampleHelperMode() {
	fmt.Printf("%q\n", redistest.HelperMode())
	// Output: ""
}
