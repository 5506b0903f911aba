// Package fleettest proves that a fleet of processes sharing one token through
// auth/redisstore behaves as a single OAuth client: [Run] starts a redis-server
// and several replicas (helper processes, each a Source over one Redis store
// calling a protected API through auth.Transport), and checks that the
// authorization server saw one password login, then one refresh per renewal,
// no refresh token spent twice and no failed call.
//
// It is shared by the Redis store's own tests (against mindpeekertest) and by
// the conformance module (against ory/fosite), whose test binaries both run
// the replicas: each has a helper test that calls [RunChild] when
// redistest.HelperMode() is [Mode].
//
//	func TestHelperProcessFleet(t *testing.T) {
//		if redistest.HelperMode() != fleettest.Mode {
//			t.Skip("helper process for the fleet tests")
//		}
//		var a fleettest.Args
//		err := redistest.HelperArgs(&a)
//		if err == nil {
//			err = fleettest.RunChild(a)
//		}
//		... // exit 1 on error, 0 otherwise
//	}
package fleettest
