package redisstore_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"

	"github.com/redis/go-redis/v9"

	"github.com/mindpeeker/mindpeeker-go/auth"
	"github.com/mindpeeker/mindpeeker-go/auth/redisstore"
)

// New refuses to store tokens unencrypted unless told to, and a Store never
// prints its keys.
func ExampleNew() {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"}) // New does not connect
	defer rdb.Close()

	_, err := redisstore.New(rdb, redisstore.Options{Namespace: "myapp", Key: "client-id/alice"})
	fmt.Println(errors.Is(err, redisstore.ErrNoEncryptionKey))

	key := make([]byte, redisstore.KeySize) // in production: 32 random bytes from a secret manager
	st, err := redisstore.New(rdb, redisstore.Options{Namespace: "myapp", Key: "client-id/alice",
		EncryptionKeys: [][]byte{key}})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(st)
	fmt.Println(st.TokenKey())
	// Output:
	// true
	// redisstore.Store{namespace: "myapp", key: "client-id/alice", encryption: AES-256-GCM}
	// mindpeeker:{myapp:client-id/alice}:token
}

// Each replica of a service builds the same Store and gives it to its Source:
// the fleet then shares one token and renews it once.
func Example() {
	opts, err := redis.ParseURL(os.Getenv("REDIS_URL")) // e.g. redis://redis:6379/0, rediss:// for TLS
	if err != nil {
		log.Fatal(err)
	}
	rdb := redis.NewClient(opts)
	defer rdb.Close()

	st, err := redisstore.New(rdb, redisstore.Options{
		Namespace:      "myapp",
		Key:            "mp-client/alice",
		EncryptionKeys: [][]byte{[]byte(os.Getenv("TOKEN_KEY"))}, // 32 bytes, the same in every replica
	})
	if err != nil {
		log.Fatal(err)
	}
	src := auth.NewSource(auth.Password{
		TokenURL: "https://auth.mindpeeker.com/oauth2/token",
		ClientID: "mp-client",
		Username: "alice",
		Password: os.Getenv("MINDPEEKER_PASSWORD"),
	}, auth.WithStore(st))

	tok, err := src.TokenContext(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	_ = tok // use it, or give src to auth.NewTransport
}
