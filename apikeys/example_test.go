package apikeys_test

import (
	"context"
	"fmt"
	"log"

	"github.com/mindpeeker/mindpeeker-go/apikeys"
	"github.com/mindpeeker/mindpeeker-go/client"
	"github.com/mindpeeker/mindpeeker-go/mindpeekertest"
)

// Rotate returns the new key, once; the old key stops working.
func ExampleService_Rotate() {
	srv := mindpeekertest.NewServer()
	defer srv.Close()
	c, err := client.New(client.Config{BaseURL: srv.APIURL(), TokenURL: srv.TokenURL(),
		ClientID: mindpeekertest.DefaultClientID, ClientSecret: mindpeekertest.DefaultClientSecret})
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	k, err := c.APIKeys.Create(ctx, &apikeys.CreateParams{Name: "ci", Scopes: []string{client.ScopeRemoteViewingRead}})
	if err != nil {
		log.Fatal(err)
	}
	rotated, err := c.APIKeys.Rotate(ctx, k.ID)
	if err != nil {
		log.Fatal(err)
	}
	old, err := c.APIKeys.Get(ctx, k.ID)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(rotated.ID != k.ID, old.RevokedAt != nil)
	fmt.Println(len(fmt.Sprint(rotated)) > 0, rotated.MaskedKey() == rotated.Prefix+"…")
	// Output:
	// true true
	// true true
}
