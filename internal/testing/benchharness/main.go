// Command benchharness measures what a typed call of the SDK costs against raw
// net/http and against the naive composition of the same libraries
// (oauth2.ReuseTokenSource + oauth2.Transport + go-retryablehttp), and what
// per-user clients cost. BENCHMARKS.md is its output.
//
//	go run ./internal/testing/benchharness            # the full table
//	go run ./internal/testing/benchharness -h         # the knobs
//
// Method. The server runs in a child process (the harness re-executes itself
// on a loopback port), so every allocation counted is the client's. Timing:
// in each repeat, at each concurrency, every goroutine makes its calls
// interleaved one by one (each round the three in one of their six orders,
// chosen at random, so that none always follows the same other), timing each call, so that machine drift affects the
// three alike; a repeat's ratio is the ratio of the implementations' median
// call times, and the table gives the median of the repeats' ratios and their
// range. Throughput is the ratio of mean call times, which under interleaving
// is the inverse ratio of calls per second. A fourth implementation, raw's
// code over the SDK's HTTPClient, is counted but not timed. Allocations are
// testing.AllocsPerRun at one goroutine, deterministic.
//
// Noise floor. With -first raw, raw's code over a second pool of its own takes
// the sdk's place, so the first ratio compares an implementation with itself:
// how far from 1.000x it reads, run after run, is how finely the harness can
// tell two implementations apart on the machine. With -first raw-stall, raw's
// code runs over the SDK's default transport instead, whose stall bound is
// then all that differs from raw.
package main

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mindpeeker/mindpeeker-go/internal/stall"
)

var execCommand = exec.Command

func main() {
	if os.Getenv(serverEnv) != "" {
		if err := serve(); err != nil {
			fmt.Fprintln(os.Stderr, "benchharness server:", err)
			os.Exit(1)
		}
		return
	}
	repeats := flag.Int("repeats", 9, "interleaved repeats at each concurrency (the table gives their median)")
	concurrency := flag.String("concurrency", "1,8,64,256", "goroutine counts, comma-separated")
	calls := flag.Int("calls", 3000, "calls of each implementation per repeat at each concurrency")
	users := flag.Int("users", 10000, "per-user clients for the many-users measurement (0: skip)")
	cpuProfile := flag.String("cpuprofile", "", "write the client's CPU profile to this file")
	first := flag.String("first", "sdk", "what is timed in the sdk's place: sdk; raw (raw net/http over a second pool\n"+
		"of its own: the harness's noise floor); raw-stall (raw net/http over the SDK's default,\n"+
		"stall-bounded transport: what the stall bound costs)")
	flag.Parse()
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "benchharness:", err)
			os.Exit(1)
		}
		defer pprof.StopCPUProfile()
	}
	if err := run(*repeats, *concurrency, *calls, *users, *first); err != nil {
		fmt.Fprintln(os.Stderr, "benchharness:", err)
		os.Exit(1)
	}
}

func run(repeats int, concurrency string, calls, users int, first string) error {
	base, stop, err := startServer()
	if err != nil {
		return err
	}
	defer stop()
	impls, err := newImpls(base)
	if err != nil {
		return err
	}
	switch first {
	case "sdk":
	case "raw": // an A/A comparison: the same code in the sdk's place, timed the same way
		impls[0] = rawImpl(base, "raw, second pool", rawClient())
	case "raw-stall":
		impls[0] = rawImpl(base, "raw over stall.Client", stall.Client(0))
	default:
		return fmt.Errorf("-first %q: want sdk, raw or raw-stall", first)
	}
	ctx := context.Background()
	fmt.Printf("%s, %s/%s, GOMAXPROCS=%d, %d CPUs; server in a child process on loopback\n\n",
		runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.GOMAXPROCS(0), runtime.NumCPU())
	if users > 0 { // first, while the shared pool is cold
		if err := printUsers(ctx, base, users); err != nil {
			return err
		}
	}
	if err := warmUp(ctx, impls); err != nil {
		return err
	}
	if err := printAllocs(ctx, impls); err != nil {
		return err
	}
	timed := slices.DeleteFunc(slices.Clone(impls), func(im impl) bool { return im.allocsOnly })
	return printTiming(ctx, timed, repeats, concurrency, calls)
}

// warmUp fills every pool and the SDK's token cache.
func warmUp(ctx context.Context, impls []impl) error {
	for _, im := range impls {
		if err := parallel(64, 20, func(int) error { return im.get(ctx) }); err != nil {
			return fmt.Errorf("%s: %w", im.name, err)
		}
	}
	return nil
}

// parallel runs f n times in each of g goroutines and returns the first error.
func parallel(g, n int, f func(goroutine int) error) error {
	var wg sync.WaitGroup
	errs := make([]error, g)
	for i := range g {
		wg.Go(func() {
			for range n {
				if err := f(i); err != nil {
					errs[i] = err
					return
				}
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func printAllocs(ctx context.Context, impls []impl) error {
	fmt.Println("Client-side cost of one call (1 goroutine; testing.AllocsPerRun, bytes from runtime.MemStats):")
	fmt.Println()
	fmt.Println("| call | impl | allocs/op | B/op | B/item |")
	fmt.Println("|---|---|---:|---:|---:|")
	for _, what := range []string{"Sessions.Get", "List, one page of 100"} {
		for _, im := range impls {
			f, items := func() error { return im.get(ctx) }, 1
			if what != "Sessions.Get" {
				if im.list == nil {
					continue
				}
				f, items = func() error {
					n, err := im.list(ctx)
					if err == nil && n != pageItems {
						err = fmt.Errorf("%d items", n)
					}
					return err
				}, pageItems
			}
			allocs, bytes, err := cost(f)
			if err != nil {
				return fmt.Errorf("%s %s: %w", im.name, what, err)
			}
			perItem := "—"
			if items > 1 {
				perItem = strconv.FormatFloat(bytes/float64(items), 'f', 0, 64)
			}
			fmt.Printf("| %s | %s | %.0f | %.0f | %s |\n", what, im.name, allocs, bytes, perItem)
		}
	}
	fmt.Println()
	return nil
}

// cost returns the allocations and bytes one call of f costs.
func cost(f func() error) (allocs, bytes float64, err error) {
	const runs = 2000
	allocs = testing.AllocsPerRun(runs, func() {
		if e := f(); e != nil && err == nil {
			err = e
		}
	})
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range runs {
		if e := f(); e != nil && err == nil {
			err = e
		}
	}
	runtime.ReadMemStats(&after)
	return allocs, float64(after.TotalAlloc-before.TotalAlloc) / runs, err
}

func printTiming(ctx context.Context, impls []impl, repeats int, concurrency string, calls int) error {
	fmt.Printf("Time per call against raw net/http: median of %d interleaved repeats (range); throughput = raw's mean call time / the impl's:\n\n", repeats)
	first := impls[0].name
	fmt.Printf("| goroutines | %s / raw (median call) | %s throughput vs raw | naive / raw (median call) | naive throughput vs raw | raw median call |\n", first, first)
	fmt.Println("|---:|---:|---:|---:|---:|---:|")
	for _, field := range strings.Split(concurrency, ",") {
		g, err := strconv.Atoi(strings.TrimSpace(field))
		if err != nil || g < 1 {
			return fmt.Errorf("bad concurrency %q", field)
		}
		var ratios, throughput [][]float64 // [impl][repeat], impl 0 is sdk (or -first's), 1 naive
		ratios, throughput = make([][]float64, 2), make([][]float64, 2)
		var rawMedian []float64
		for range repeats {
			runtime.GC() // each repeat starts from the same heap
			med, mean, err := interleaved(ctx, impls, g, max(calls/g, 20))
			if err != nil {
				return fmt.Errorf("%d goroutines: %w", g, err)
			}
			for i, im := range []int{0, 2} {
				ratios[i] = append(ratios[i], med[im]/med[1])
				throughput[i] = append(throughput[i], mean[1]/mean[im])
			}
			rawMedian = append(rawMedian, med[1])
		}
		fmt.Printf("| %d | %s | %s | %s | %s | %.1f µs |\n", g, summary(ratios[0], "x"), summary(throughput[0], "x"),
			summary(ratios[1], "x"), summary(throughput[1], "x"), median(rawMedian)/1e3)
	}
	fmt.Println()
	return nil
}

// interleaved runs n rounds in each of g goroutines, each round one call of
// every implementation in a random order, and returns each implementation's
// median and mean call time in nanoseconds.
func interleaved(ctx context.Context, impls []impl, g, n int) (med, mean []float64, err error) {
	samples := make([][][]float64, g) // [goroutine][impl][call]
	for i := range samples {
		samples[i] = make([][]float64, len(impls))
		for j := range impls {
			samples[i][j] = make([]float64, 0, n)
		}
	}
	orders := permutations(len(impls))
	err = parallel(g, n, func(gi int) error {
		for _, j := range orders[rand.IntN(len(orders))] {
			start := time.Now()
			if err := impls[j].get(ctx); err != nil {
				return fmt.Errorf("%s: %w", impls[j].name, err)
			}
			samples[gi][j] = append(samples[gi][j], float64(time.Since(start)))
		}
		return nil
	})
	for j := range impls {
		var all []float64
		for i := range samples {
			all = append(all, samples[i][j]...)
		}
		med, mean = append(med, median(all)), append(mean, average(all))
	}
	return med, mean, err
}

// permutations returns every order of 0..n-1: each round picks one at
// random, so that no implementation always follows the same other one.
func permutations(n int) [][]int {
	if n == 0 {
		return [][]int{{}}
	}
	var out [][]int
	for _, p := range permutations(n - 1) {
		for i := 0; i <= len(p); i++ {
			q := append(append(slices.Clone(p[:i]), n-1), p[i:]...)
			out = append(out, q)
		}
	}
	return out
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func average(xs []float64) float64 {
	sum := 0.0
	for _, x := range xs {
		sum += x
	}
	return sum / float64(max(len(xs), 1))
}

// summary is "median (min–max)".
func summary(xs []float64, unit string) string {
	return fmt.Sprintf("**%.3f%s** (%.3f–%.3f)", median(xs), unit, slices.Min(xs), slices.Max(xs))
}
