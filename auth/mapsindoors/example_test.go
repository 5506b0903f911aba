package mapsindoors_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/mindpeeker/mindpeeker-go/auth/mapsindoors"
	"github.com/mindpeeker/mindpeeker-go/auth/mapsindoors/mapsindoorstest"
)

func ExampleClient_Rotate() {
	// A fake MapsIndoors stands in for https://auth.mapsindoors.com.
	srv := mapsindoorstest.NewServer()
	defer srv.Close()
	id, secret := srv.AddSecret("issued by MapsPeople")

	// In a real program the store is a file (NewFileSecretStore) or a vault,
	// holding the secret together with its id.
	store := mapsindoors.NewMemorySecretStore(mapsindoors.StoredSecret{ID: id, Secret: secret})
	client, err := mapsindoors.New(mapsindoors.Config{
		ClientID: srv.ClientID, CustomerID: srv.CustomerID, Store: store,
		TokenURL: srv.TokenURL(), BaseURL: srv.URL, // omit both for the real service
	})
	if err != nil {
		fmt.Println(err)
		return
	}

	ctx := context.Background()
	created, err := client.Rotate(ctx)
	var partial *mapsindoors.PartialRotationError
	switch {
	case errors.As(err, &partial):
		fmt.Println("rotated, but the old secret is still valid:", err)
	case err != nil:
		fmt.Println("not rotated; the old secret stays in use:", err)
		return
	}
	now, _ := store.Load(ctx)
	fmt.Println("store holds the new secret:", now.ID == created.ID)
	fmt.Println("old secret logs in:", srv.CanLogin(secret))
	fmt.Println("new secret logs in:", srv.CanLogin(now.Secret))
	// Output:
	// store holds the new secret: true
	// old secret logs in: false
	// new secret logs in: true
}
