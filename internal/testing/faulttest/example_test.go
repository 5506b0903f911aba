package faulttest_test

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/mindpeeker/mindpeeker-go/client"
	"github.com/mindpeeker/mindpeeker-go/mindpeekertest"
)

// A rotation whose answer is lost on the wire: the server rotates, then closes
// the connection. The client retries with the same Idempotency-Key, the server
// replays its first answer, and the caller gets the one new key.
func Example_rotateAnswerLost() {
	srv := mindpeekertest.NewServer()
	defer srv.Close()
	id, _ := srv.CreateAPIKey("deploy", client.ScopeRemoteViewingRead)

	c, err := client.New(client.Config{
		BaseURL: srv.APIURL(), TokenURL: srv.TokenURL(),
		ClientID: mindpeekertest.DefaultClientID, ClientSecret: mindpeekertest.DefaultClientSecret,
		HTTPClient:   &http.Client{Transport: &http.Transport{DisableKeepAlives: true}},
		MaxRetryWait: 20 * time.Millisecond,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	srv.Inject(mindpeekertest.Fault{Kind: mindpeekertest.FaultDropAfter, Target: "POST /v1/api-keys/"})

	k, err := c.APIKeys.Rotate(context.Background(), id)
	if err != nil {
		fmt.Println(err)
		return
	}
	attempts := 0
	for _, r := range srv.Requests() {
		if r.Method == http.MethodPost && r.Path == "/v1/api-keys/"+id+"/rotate" {
			attempts++
		}
	}
	fmt.Println("new key received:", k.Key != "")
	fmt.Println("rotate attempts:", attempts)
	fmt.Println("rotations on the server:", srv.Stats().Rotations)
	// Output:
	// new key received: true
	// rotate attempts: 2
	// rotations on the server: 1
}
