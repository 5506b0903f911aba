package fleettest_test

import (
	"fmt"
	"time"

	"github.com/mindpeeker/mindpeeker-go/internal/testing/fleettest"
)

// A fleet running 4 seconds with 2-second tokens renews every 1.5 seconds at
// most: a refresh count above this bound means replicas renewed on their own.
func ExampleMaxRenewals() {
	fmt.Println(fleettest.MaxRenewals(4*time.Second, 2*time.Second))
	fmt.Println(fleettest.MaxRenewals(10*time.Second, time.Hour))
	// Output:
	// 3
	// 1
}

// Fingerprint names a token in a replica's Result without revealing it.
func ExampleFingerprint() {
	fmt.Println(fleettest.Fingerprint("an access token"))
	fmt.Println(len(fleettest.Fingerprint("another")))
	// Output:
	// 14f95c33ed545e28
	// 16
}
