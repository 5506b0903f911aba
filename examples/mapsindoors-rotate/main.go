// Command mapsindoors-rotate rotates a MapsIndoors client secret with package
// auth/mapsindoors: it creates a new secret, saves it, proves it logs in, and
// only then deletes the old one.
//
// With no credentials it runs against an in-process fake (package
// mapsindoorstest), shows a rotation, then a rotation whose final delete fails
// and one whose new secret does not work, then calls the API through a
// client.Client with the stored secret, printing only ids and masked secrets:
//
//	go run ./examples/mapsindoors-rotate
//
// Against the real service, set:
//
//	MAPSINDOORS_CLIENT_ID      the client_id MapsPeople issued
//	MAPSINDOORS_CUSTOMER_ID    the customerId MapsPeople issued
//	MAPSINDOORS_CLIENT_SECRET  the current secret (optional when the secret file holds one)
//	MAPSINDOORS_SECRET_ID      the current secret's id; without it the program lists
//	                           the client's secrets so that you can find it, and stops
//	MAPSINDOORS_SECRET_FILE    optional: a JSON file that keeps the secret and its id
//	                           (created 0600); it wins over the two variables above
//	                           once it exists, and receives each new secret
//	MAPSINDOORS_TOKEN_URL, MAPSINDOORS_BASE_URL  optional endpoint overrides
//
// Without MAPSINDOORS_SECRET_FILE the new secret is printed once, since handing
// it over is then the program's purpose: the old one is deleted.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"time"

	"github.com/mindpeeker/mindpeeker-go/auth"
	"github.com/mindpeeker/mindpeeker-go/auth/mapsindoors"
	"github.com/mindpeeker/mindpeeker-go/auth/mapsindoors/mapsindoorstest"
	"github.com/mindpeeker/mindpeeker-go/client"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	if err := run(ctx, os.Stdout, os.Getenv); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, out io.Writer, getenv func(string) string) error {
	if getenv("MAPSINDOORS_CLIENT_ID") == "" && getenv("MAPSINDOORS_CUSTOMER_ID") == "" &&
		getenv("MAPSINDOORS_CLIENT_SECRET") == "" && getenv("MAPSINDOORS_SECRET_FILE") == "" {
		return runFake(ctx, out)
	}
	return runReal(ctx, out, getenv)
}

func logger(out io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(out, &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}}))
}

// runReal rotates the secret of a real client.
func runReal(ctx context.Context, out io.Writer, getenv func(string) string) error {
	clientID, customerID := getenv("MAPSINDOORS_CLIENT_ID"), getenv("MAPSINDOORS_CUSTOMER_ID")
	if clientID == "" || customerID == "" {
		return errors.New("set MAPSINDOORS_CLIENT_ID and MAPSINDOORS_CUSTOMER_ID (and MAPSINDOORS_CLIENT_SECRET or MAPSINDOORS_SECRET_FILE)")
	}
	fromEnv := mapsindoors.StoredSecret{ID: getenv("MAPSINDOORS_SECRET_ID"), Secret: getenv("MAPSINDOORS_CLIENT_SECRET")}
	var store mapsindoors.SecretStore = mapsindoors.NewMemorySecretStore(fromEnv)
	file := getenv("MAPSINDOORS_SECRET_FILE")
	if file != "" {
		fs := mapsindoors.NewFileSecretStore(file)
		cur, err := fs.Load(ctx)
		if err != nil {
			return err
		}
		if cur.Secret == "" {
			if fromEnv.Secret == "" {
				return fmt.Errorf("%s is empty: set MAPSINDOORS_CLIENT_SECRET (and MAPSINDOORS_SECRET_ID) to start it", file)
			}
			if err := fs.Save(ctx, fromEnv); err != nil {
				return err
			}
			fmt.Fprintf(out, "Saved the secret from MAPSINDOORS_CLIENT_SECRET to %s\n", file)
		} else {
			fmt.Fprintf(out, "Using the secret kept in %s (id %s)\n", file, cur.ID)
		}
		store = fs
	} else if fromEnv.Secret == "" {
		return errors.New("set MAPSINDOORS_CLIENT_SECRET, or MAPSINDOORS_SECRET_FILE to a file holding it")
	}

	mi, err := mapsindoors.New(mapsindoors.Config{
		ClientID: clientID, CustomerID: customerID, Store: store,
		TokenURL: getenv("MAPSINDOORS_TOKEN_URL"), BaseURL: getenv("MAPSINDOORS_BASE_URL"),
		Logger: logger(out),
	})
	if err != nil {
		return err
	}
	cur, err := store.Load(ctx)
	if err != nil {
		return err
	}
	if cur.ID == "" {
		secrets, err := mi.List(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "The client's secrets (%d):\n", len(secrets))
		for _, s := range secrets {
			fmt.Fprintf(out, "  id %s  created %s  %q\n", s.ID, s.CreatedAt.Format(time.RFC3339), s.Description)
		}
		return errors.New("set MAPSINDOORS_SECRET_ID to the id of the secret in MAPSINDOORS_CLIENT_SECRET: it is deleted after the rotation")
	}

	fmt.Fprintf(out, "Rotating client secret %s of client %s\n", cur.ID, clientID)
	created, err := mi.Rotate(ctx)
	if created != nil {
		if file != "" {
			fmt.Fprintf(out, "The new secret (id %s, %s) is saved in %s\n", created.ID, created.Masked(), file)
		} else {
			fmt.Fprintf(out, "NEW CLIENT SECRET, shown only this once; keep it now: %s\n", created.Secret)
			fmt.Fprintf(out, "Its id, for MAPSINDOORS_SECRET_ID: %s\n", created.ID)
		}
	}
	return err
}

// runFake shows rotations against the fake: a clean one, one whose delete
// fails, and one whose new secret does not log in.
func runFake(ctx context.Context, out io.Writer) error {
	srv := mapsindoorstest.NewServer()
	defer srv.Close()
	id, secret := srv.AddSecret("issued by MapsPeople")
	fmt.Fprintf(out, "No MAPSINDOORS_* credentials set: using an in-process fake MapsIndoors at %s\n", srv.URL)
	fmt.Fprintf(out, "Client %s starts with secret id %s (secrets are shown masked)\n\n", srv.ClientID, id)

	store := mapsindoors.NewMemorySecretStore(mapsindoors.StoredSecret{ID: id, Secret: secret})
	mi, err := mapsindoors.New(mapsindoors.Config{
		ClientID: srv.ClientID, CustomerID: srv.CustomerID, Store: store,
		TokenURL: srv.TokenURL(), BaseURL: srv.URL, RotationDescription: "example rotation",
		Logger: logger(out),
	})
	if err != nil {
		return err
	}

	fmt.Fprintln(out, "1. A rotation:")
	created, err := mi.Rotate(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "   new secret id %s (%s); old secret logs in: %t; new secret logs in: %t\n\n",
		created.ID, created.Masked(), srv.CanLogin(secret), srv.CanLogin(created.Secret))

	fmt.Fprintln(out, "2. A rotation whose final delete fails (the fake refuses deletions):")
	srv.FailDeletes(true)
	second, err := mi.Rotate(ctx)
	var partial *mapsindoors.PartialRotationError
	if !errors.As(err, &partial) {
		return fmt.Errorf("expected a partial rotation, got %v", err)
	}
	fmt.Fprintf(out, "   error: %v\n", err)
	fmt.Fprintf(out, "   both log in: %t/%t; the store holds %s\n", srv.CanLogin(created.Secret), srv.CanLogin(second.Secret), mustLoad(ctx, store).ID)
	srv.FailDeletes(false)
	if err := mi.Delete(ctx, partial.OldSecretID); err != nil {
		return err
	}
	fmt.Fprintf(out, "   deleted %s later; secrets now: %v\n\n", partial.OldSecretID, srv.SecretIDs())

	fmt.Fprintln(out, "3. A rotation whose new secret does not log in (the fake breaks new secrets):")
	srv.BreakNewSecrets(true)
	if _, err := mi.Rotate(ctx); err == nil {
		return errors.New("expected the rotation to fail")
	} else {
		fmt.Fprintf(out, "   error: %v\n", err)
	}
	fmt.Fprintf(out, "   the store still holds %s, which logs in: %t; secrets now: %v\n\n",
		mustLoad(ctx, store).ID, srv.CanLogin(mustLoad(ctx, store).Secret), srv.SecretIDs())

	fmt.Fprintln(out, "4. Calling a MapsIndoors API with the stored secret, through a client.Client:")
	return callAPI(ctx, out, mi, srv.URL, "/api/clientcredentials?customerId="+url.QueryEscape(srv.CustomerID))
}

// callAPI GETs path under base with a token from the secret the store holds
// now (mi.Grant keeps working across rotations), through a client.Client: the
// token to base's origin only, a 401 renewed and retried once, 429 and 5xx
// retried, a failure answer a *client.APIError.
func callAPI(ctx context.Context, out io.Writer, mi *mapsindoors.Client, base, path string) error {
	api, err := client.New(client.Config{BaseURL: base, TokenSource: auth.NewSource(mi.Grant())})
	if err != nil {
		return err
	}
	var secrets []json.RawMessage
	resp, err := api.Do(ctx, http.MethodGet, path, nil, &secrets)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "   GET %s -> %d (%d secrets), attempts: %d\n", path, resp.StatusCode, len(secrets), resp.Attempts)
	return nil
}

func mustLoad(ctx context.Context, st mapsindoors.SecretStore) mapsindoors.StoredSecret {
	s, err := st.Load(ctx)
	if err != nil {
		panic(err) // a MemorySecretStore never fails
	}
	return s
}
