package jsonlogin_test

import (
	"context"
	"fmt"
	"time"

	"github.com/mindpeeker/mindpeeker-go/auth"
	"github.com/mindpeeker/mindpeeker-go/auth/jsonlogin"
	"github.com/mindpeeker/mindpeeker-go/auth/jsonlogin/jsonlogintest"
)

func ExampleGrant() {
	// A fake service and a simulated clock stand in for the real ones.
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	srv := jsonlogintest.NewServer(jsonlogintest.WithClock(clock))
	defer srv.Close()
	ctx := context.Background()

	key, err := jsonlogin.Register(ctx, srv.URL, "alice", "correct horse battery staple")
	if err != nil {
		fmt.Println(err)
		return
	}
	grant := jsonlogin.Grant{BaseURL: srv.URL, UserKey: key, UserSecret: "correct horse battery staple"}
	src := auth.NewSource(grant, auth.WithClock(clock))

	tok, err := src.TokenContext(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("token expires", tok.Expiry.UTC().Format(time.TimeOnly))

	now = now.Add(time.Hour) // the token has expired: the Source renews it
	tok, err = src.TokenContext(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	st := srv.Stats()
	fmt.Println("token expires", tok.Expiry.UTC().Format(time.TimeOnly))
	fmt.Printf("/authenticate %d, /refresh %d\n", st.Authenticates, st.Refreshes)
	// Output:
	// token expires 13:00:00
	// token expires 14:00:00
	// /authenticate 1, /refresh 1
}
