package sessions_test

import (
	"context"
	"fmt"
	"log"

	"github.com/mindpeeker/mindpeeker-go/client"
	"github.com/mindpeeker/mindpeeker-go/mindpeekertest"
	"github.com/mindpeeker/mindpeeker-go/sessions"
)

// List yields every session; pages are fetched as the loop reaches them.
func ExampleService_List() {
	srv := mindpeekertest.NewServer()
	defer srv.Close()
	for _, title := range []string{"first", "second", "third"} {
		srv.CreateSession(title)
	}
	c, err := client.New(client.Config{BaseURL: srv.APIURL(), TokenURL: srv.TokenURL(),
		ClientID: mindpeekertest.DefaultClientID, ClientSecret: mindpeekertest.DefaultClientSecret})
	if err != nil {
		log.Fatal(err)
	}
	for s, err := range c.Sessions.List(context.Background(), &sessions.ListParams{Limit: 2}) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(s.Title)
	}
	// Output:
	// first
	// second
	// third
}
