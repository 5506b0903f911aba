package mapsindoors_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mindpeeker/mindpeeker-go/auth/mapsindoors"
	"github.com/mindpeeker/mindpeeker-go/auth/mapsindoors/mapsindoorstest"
)

// flakyStore is a MemorySecretStore whose Saves fail while fail > 0.
type flakyStore struct {
	mapsindoors.MemorySecretStore
	mu   sync.Mutex
	fail int // number of Saves to fail
}

var errDiskFull = errors.New("disk full")

func (f *flakyStore) Save(ctx context.Context, s mapsindoors.StoredSecret) error {
	f.mu.Lock()
	if f.fail > 0 {
		f.fail--
		f.mu.Unlock()
		return errDiskFull
	}
	f.mu.Unlock()
	return f.MemorySecretStore.Save(ctx, s)
}

type fixture struct {
	srv    *mapsindoorstest.Server
	store  *flakyStore
	client *mapsindoors.Client
	old    mapsindoors.StoredSecret
	logs   *bytes.Buffer
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	srv := mapsindoorstest.NewServer()
	t.Cleanup(srv.Close)
	id, value := srv.AddSecret("issued by MapsPeople")
	f := &fixture{srv: srv, store: &flakyStore{}, old: mapsindoors.StoredSecret{ID: id, Secret: value}, logs: &bytes.Buffer{}}
	require.NoError(t, f.store.MemorySecretStore.Save(context.Background(), f.old))
	c, err := mapsindoors.New(mapsindoors.Config{
		ClientID: srv.ClientID, CustomerID: srv.CustomerID, Store: f.store,
		TokenURL: srv.TokenURL(), BaseURL: srv.URL, RotationDescription: "nightly",
		Logger: slog.New(slog.NewTextHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	require.NoError(t, err)
	f.client = c
	return f
}

func (f *fixture) stored(t *testing.T) mapsindoors.StoredSecret {
	t.Helper()
	s, err := f.store.Load(context.Background())
	require.NoError(t, err)
	return s
}

// noSecrets checks that no secret value ever reached an error or a log line.
func (f *fixture) noSecrets(t *testing.T, texts []string, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		for _, text := range append(texts, f.logs.String()) {
			assert.NotContains(t, text, s)
		}
	}
}

func TestRotateHappyPath(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()

	created, err := f.client.Rotate(ctx)
	require.NoError(t, err)
	assert.Equal(t, "nightly", created.Description)
	assert.False(t, created.CreatedAt.IsZero())
	assert.Equal(t, created.Stored(), f.stored(t), "the store holds the new secret")
	assert.True(t, f.srv.CanLogin(created.Secret), "the new secret logs in")
	assert.False(t, f.srv.CanLogin(f.old.Secret), "the old secret no longer logs in")
	assert.Equal(t, []string{created.ID}, f.srv.SecretIDs())

	// Management calls continue, with the new secret (the old token died with
	// the old secret), and a second rotation replaces the first one's secret.
	list, err := f.client.List(ctx)
	require.NoError(t, err)
	require.Len(t, list, 1)
	assert.Equal(t, created.ID, list[0].ID)

	second, err := f.client.Rotate(ctx)
	require.NoError(t, err)
	assert.Equal(t, []string{second.ID}, f.srv.SecretIDs())
	assert.Equal(t, second.Stored(), f.stored(t))
	f.noSecrets(t, []string{fmt.Sprintf("%+v %#v", created, second)}, f.old.Secret, created.Secret, second.Secret)
	assert.Contains(t, f.logs.String(), "deleted the old client secret")
}

func TestRotateDeleteFails(t *testing.T) {
	f := newFixture(t)
	f.srv.FailDeletes(true)

	created, err := f.client.Rotate(context.Background())
	var pe *mapsindoors.PartialRotationError
	require.ErrorAs(t, err, &pe)
	require.NotNil(t, created, "the new secret is returned with the partial error")
	assert.Equal(t, created.ID, pe.NewSecretID)
	assert.Equal(t, f.old.ID, pe.OldSecretID)
	var apiErr *mapsindoors.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, 500, apiErr.StatusCode)
	assert.Contains(t, err.Error(), "both are valid")

	assert.True(t, f.srv.CanLogin(f.old.Secret))
	assert.True(t, f.srv.CanLogin(created.Secret))
	assert.Equal(t, created.Stored(), f.stored(t), "the store already holds the new secret")

	// Finishing the job later works.
	f.srv.FailDeletes(false)
	require.NoError(t, f.client.Delete(context.Background(), pe.OldSecretID))
	assert.False(t, f.srv.CanLogin(f.old.Secret))
	f.noSecrets(t, []string{err.Error()}, f.old.Secret, created.Secret)
}

func TestRotatePersistFails(t *testing.T) {
	f := newFixture(t)
	f.store.fail = 1

	created, err := f.client.Rotate(context.Background())
	require.ErrorIs(t, err, errDiskFull)
	assert.Nil(t, created)
	assert.Contains(t, err.Error(), "was deleted")
	assert.Equal(t, f.old, f.stored(t))
	assert.True(t, f.srv.CanLogin(f.old.Secret), "the old secret still works")
	assert.Equal(t, []string{f.old.ID}, f.srv.SecretIDs(), "the unsaved new secret was deleted")
	assert.Equal(t, mapsindoorstest.Stats{Logins: 1, Lists: 1, Creates: 1, Deletes: 1}, f.srv.Stats())
	f.noSecrets(t, []string{err.Error()}, f.old.Secret)
}

func TestRotatePersistAndCleanupFail(t *testing.T) {
	f := newFixture(t)
	f.store.fail = 1
	f.srv.FailDeletes(true)

	_, err := f.client.Rotate(context.Background())
	require.ErrorIs(t, err, errDiskFull)
	var apiErr *mapsindoors.APIError
	require.ErrorAs(t, err, &apiErr, "the failed cleanup is reported too")
	assert.Contains(t, err.Error(), "delete it by hand")
	assert.Equal(t, f.old, f.stored(t))
	assert.True(t, f.srv.CanLogin(f.old.Secret))
	assert.Len(t, f.srv.SecretIDs(), 2)
}

func TestRotateNewSecretDoesNotLogIn(t *testing.T) {
	f := newFixture(t)
	f.srv.BreakNewSecrets(true)

	created, err := f.client.Rotate(context.Background())
	require.Error(t, err)
	assert.Nil(t, created)
	assert.Contains(t, err.Error(), "does not log in")
	assert.Equal(t, f.old, f.stored(t), "the old secret is back in the store")
	assert.True(t, f.srv.CanLogin(f.old.Secret))
	assert.Equal(t, []string{f.old.ID}, f.srv.SecretIDs(), "the broken new secret was deleted")

	// The client still works with the old secret.
	_, err = f.client.List(context.Background())
	require.NoError(t, err)
}

func TestRotateNewSecretDoesNotLogInAndRestoreFails(t *testing.T) {
	f := newFixture(t)
	f.srv.BreakNewSecrets(true)
	// Fail only the second Save (the restore), not the first.
	var saves int
	f.client = mustClient(t, f, &hookStore{SecretStore: f.store, before: func() error {
		saves++
		if saves == 2 {
			return errDiskFull
		}
		return nil
	}})

	_, err := f.client.Rotate(context.Background())
	require.ErrorIs(t, err, errDiskFull)
	assert.Contains(t, err.Error(), "the store holds the new secret")
	assert.True(t, f.srv.CanLogin(f.old.Secret), "the old secret was not deleted")
	assert.Len(t, f.srv.SecretIDs(), 2, "nothing deleted when the store could not be restored")
}

func TestRotateRefusesUnknownOldID(t *testing.T) {
	for _, id := range []string{"", "not-a-secret-id"} {
		t.Run(id, func(t *testing.T) {
			f := newFixture(t)
			require.NoError(t, f.store.Save(context.Background(), mapsindoors.StoredSecret{ID: id, Secret: f.old.Secret}))
			_, err := f.client.Rotate(context.Background())
			require.ErrorIs(t, err, mapsindoors.ErrUnknownSecretID)
			assert.Zero(t, f.srv.Stats().Creates, "nothing created")
			assert.Equal(t, []string{f.old.ID}, f.srv.SecretIDs())
		})
	}
	f := newFixture(t)
	require.NoError(t, f.store.Save(context.Background(), mapsindoors.StoredSecret{}))
	_, err := f.client.Rotate(context.Background())
	require.ErrorIs(t, err, mapsindoors.ErrNoSecret)
}

func TestRotateConcurrent(t *testing.T) {
	f := newFixture(t)
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Go(func() { _, errs[i] = f.client.Rotate(context.Background()) })
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	cur := f.stored(t)
	assert.Equal(t, []string{cur.ID}, f.srv.SecretIDs(), "exactly one secret left, the stored one")
	assert.True(t, f.srv.CanLogin(cur.Secret))
}

func TestRotateCancelledMidSaveKeepsBothSecrets(t *testing.T) {
	f := newFixture(t)
	ctx, cancel := context.WithCancel(context.Background())
	// The store's Save cancels the context and fails, as if the program were
	// shutting down in the middle of the rotation.
	f.client = mustClient(t, f, &hookStore{SecretStore: f.store, before: func() error { cancel(); return context.Canceled }})

	_, err := f.client.Rotate(ctx)
	require.ErrorIs(t, err, context.Canceled)
	// Every Save fails, putting the old secret back too: the store might
	// hold either, so neither is deleted, and the error says both are valid.
	ids := f.srv.SecretIDs()
	assert.Len(t, ids, 2)
	assert.Contains(t, ids, f.old.ID)
	assert.ErrorContains(t, err, "both remain valid")
}

// hookStore runs before ahead of each Save and fails the Save with its error.
type hookStore struct {
	mapsindoors.SecretStore
	before func() error
}

func (h *hookStore) Save(ctx context.Context, s mapsindoors.StoredSecret) error {
	if err := h.before(); err != nil {
		return err
	}
	return h.SecretStore.Save(ctx, s)
}

func mustClient(t *testing.T, f *fixture, store mapsindoors.SecretStore) *mapsindoors.Client {
	t.Helper()
	c, err := mapsindoors.New(mapsindoors.Config{ClientID: f.srv.ClientID, CustomerID: f.srv.CustomerID,
		Store: store, TokenURL: f.srv.TokenURL(), BaseURL: f.srv.URL})
	require.NoError(t, err)
	return c
}
