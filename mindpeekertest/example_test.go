package mindpeekertest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"golang.org/x/oauth2/clientcredentials"

	"github.com/mindpeeker/mindpeeker-go/mindpeekertest"
)

// Start the fake, obtain a token with the client credentials grant and list
// sessions, as the SDK would.
func Example() {
	srv := mindpeekertest.NewServer(mindpeekertest.WithSeedData())
	defer srv.Close()

	cfg := clientcredentials.Config{
		ClientID:     mindpeekertest.DefaultClientID,
		ClientSecret: mindpeekertest.DefaultClientSecret,
		TokenURL:     srv.TokenURL(),
		Scopes:       []string{"remote-viewing:read"},
	}
	httpClient := cfg.Client(context.Background()) // adds "Authorization: Bearer ..."

	resp, err := httpClient.Get(srv.APIURL() + "/sessions?limit=2")
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	var page struct {
		Data []struct {
			Title  string `json:"title"`
			Status string `json:"status"`
		} `json:"data"`
		HasMore bool `json:"has_more"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&page); err != nil {
		panic(err)
	}
	for _, s := range page.Data {
		fmt.Printf("%s (%s)\n", s.Title, s.Status)
	}
	fmt.Println("more:", page.HasMore)
	fmt.Println("token requests:", srv.Stats().TokenRequests)
	// Output:
	// Target 4471-9823: coordinates only (completed)
	// Lost keys, kitchen or garage? (active)
	// more: true
	// token requests: 1
}

// Inject a rate limit to check that the code under test honours
// Retry-After. Faults are consumed in order; once used up, the server
// answers normally again.
func ExampleServer_Inject() {
	srv := mindpeekertest.NewServer()
	defer srv.Close()
	srv.Inject(mindpeekertest.Fault{
		Kind:       mindpeekertest.FaultStatus,
		Target:     "GET /v1/sessions",
		Status:     http.StatusTooManyRequests,
		RetryAfter: "2",
	})

	get := func() {
		req, _ := http.NewRequest("GET", srv.APIURL()+"/sessions", nil)
		req.Header.Set("Authorization", "Bearer "+srv.IssueAccessToken("remote-viewing:read"))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			panic(err)
		}
		defer resp.Body.Close()
		var e struct {
			Error struct{ Code string } `json:"error"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&e)
		fmt.Printf("status=%d code=%q retry-after=%q\n", resp.StatusCode, e.Error.Code, resp.Header.Get("Retry-After"))
	}
	get()
	get()
	fmt.Println("API requests:", srv.Stats().APIRequests)
	// Output:
	// status=429 code="rate_limited" retry-after="2"
	// status=200 code="" retry-after=""
	// API requests: 2
}
