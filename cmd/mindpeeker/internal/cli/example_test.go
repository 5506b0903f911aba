package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/mindpeeker/mindpeeker-go/client"
	"github.com/mindpeeker/mindpeeker-go/cmd/mindpeeker/internal/cli"
	"github.com/mindpeeker/mindpeeker-go/mindpeekertest"
	"github.com/mindpeeker/mindpeeker-go/sessions"
)

// Run is the whole command with its environment passed in: here it lists the
// sessions of a fake server as JSON, the way a script would, and an unknown
// subcommand exits with the usage code.
func ExampleRun() {
	srv := mindpeekertest.NewServer()
	defer srv.Close()
	srv.CreateSession("Target 4471-9823")
	srv.CreateSession("Lost keys, kitchen or garage?")

	env := map[string]string{
		client.EnvBaseURL:      srv.APIURL(),
		client.EnvTokenURL:     srv.TokenURL(),
		client.EnvClientID:     mindpeekertest.DefaultClientID,
		client.EnvClientSecret: mindpeekertest.DefaultClientSecret,
	}
	getenv := func(k string) string { return env[k] }
	ctx := context.Background()

	var stdout, stderr bytes.Buffer
	code := cli.Run(ctx, []string{"sessions", "list", "-o", "json"}, nil, &stdout, &stderr, getenv)
	var list []sessions.Session
	if err := json.Unmarshal(stdout.Bytes(), &list); err != nil {
		fmt.Println(err)
	}
	fmt.Println("exit code", code)
	for _, s := range list {
		fmt.Println(s.Status, s.Title)
	}

	code = cli.Run(ctx, []string{"sessions", "lst"}, nil, &stdout, &stderr, getenv)
	fmt.Println("exit code", code)
	// Output:
	// exit code 0
	// pending Target 4471-9823
	// pending Lost keys, kitchen or garage?
	// exit code 2
}
