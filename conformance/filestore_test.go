package conformance_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mindpeeker/mindpeeker-go/auth"
	"github.com/mindpeeker/mindpeeker-go/conformance/internal/oauthtest"
)

// The environment that turns TestHelperProcessRefresher on and configures it.
const (
	envHelper      = "AUTH_TEST_HELPER_REFRESHER"
	envTokenURL    = "AUTH_TEST_TOKEN_URL"
	envResourceURL = "AUTH_TEST_RESOURCE_URL"
	envStorePath   = "AUTH_TEST_STORE_PATH"
	envRunFor      = "AUTH_TEST_RUN_FOR"
	summaryPrefix  = "HELPER-SUMMARY "
)

// helperSummary is what a helper process reports on its standard output.
type helperSummary struct {
	Calls        int `json:"calls"`         // requests to the protected resource, all answered 200
	AccessTokens int `json:"access_tokens"` // distinct access tokens it used
}

// Several processes share one token file: however their renewals interleave,
// fosite never sees a spent refresh token, one password login serves them all,
// and no process is ever handed an expired token.
func TestFositeProcessesShareFileStore(t *testing.T) {
	if testing.Short() {
		t.Skip("runs helper processes for about 4 seconds")
	}
	t.Parallel()
	const children = 3
	srv := oauthtest.NewFosite(t, oauthtest.Options{AccessTokenLifespan: realLifespan})
	path := filepath.Join(t.TempDir(), "shared", "token.json")
	ctx := testCtx(t)

	summaries := make([]helperSummary, children)
	errs := make([]error, children)
	outs := make([]bytes.Buffer, children)
	var wg sync.WaitGroup
	for i := range children {
		wg.Go(func() {
			cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestHelperProcessRefresher$", "-test.count=1", "-test.v")
			cmd.Env = append(os.Environ(), envHelper+"=1", envTokenURL+"="+srv.TokenURL,
				envResourceURL+"="+srv.ResourceURL, envStorePath+"="+path, envRunFor+"=4s")
			cmd.Stdout, cmd.Stderr = &outs[i], &outs[i]
			if errs[i] = cmd.Run(); errs[i] != nil {
				return
			}
			sc := bufio.NewScanner(bytes.NewReader(outs[i].Bytes()))
			for sc.Scan() {
				if js, ok := strings.CutPrefix(sc.Text(), summaryPrefix); ok {
					errs[i] = json.Unmarshal([]byte(js), &summaries[i])
				}
			}
		})
	}
	wg.Wait()

	calls := 0
	for i := range children {
		require.NoError(t, errs[i], "helper %d exited with an error; its output:\n%s", i, outs[i].String())
		require.Positive(t, summaries[i].Calls, "helper %d reported nothing; its output:\n%s", i, outs[i].String())
		calls += summaries[i].Calls
	}
	st := srv.Stats()
	t.Logf("token requests %v, resource calls %d, access tokens per helper %v",
		st.ByGrant, calls, []int{summaries[0].AccessTokens, summaries[1].AccessTokens, summaries[2].AccessTokens})
	assert.Zero(t, st.ReuseDetections, "fosite saw a spent refresh token")
	assert.Zero(t, st.RefreshReuse, "a refresh token was presented twice")
	assert.Empty(t, st.Errors, "a token request failed")
	assert.Equal(t, 1, st.ByGrant["password"], "one login, shared through the file")
	assert.GreaterOrEqual(t, st.ByGrant["refresh_token"], 2, "the helpers renewed several times")
	assert.Zero(t, st.ResourceExpired, "a helper was handed an expired token")
	// fosite revokes the access token whose refresh token is spent: the other
	// helpers, and this one's requests racing its own renewal ahead of expiry,
	// meet a 401 once per renewal at most, and the Transport's one retry with the
	// token adopted from the file succeeds (the helpers saw only 200s).
	assert.Equal(t, calls+st.ResourceRejected, st.ResourceRequests, "one retry per rejection")
	assert.LessOrEqual(t, st.ResourceRejected, children*st.ByGrant["refresh_token"])
	t.Logf("401s for a token revoked by a renewal elsewhere: %d", st.ResourceRejected)
}

// TestHelperProcessRefresher is not a test: TestFositeProcessesShareFileStore
// runs it in child processes. Each uses a Source over the shared FileStore and
// calls the protected resource with its token until its time is up.
func TestHelperProcessRefresher(t *testing.T) {
	if os.Getenv(envHelper) != "1" {
		t.Skip("helper process for TestFositeProcessesShareFileStore")
	}
	runFor, err := time.ParseDuration(os.Getenv(envRunFor))
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), runFor+10*time.Second)
	defer cancel()
	tokenURL, resourceURL := os.Getenv(envTokenURL), os.Getenv(envResourceURL)
	src := auth.NewSource(auth.Password{TokenURL: tokenURL, ClientID: oauthtest.PublicClientID,
		Username: oauthtest.Username, Password: oauthtest.Password, Scopes: []string{"read"}},
		auth.WithStore(auth.NewFileStore(os.Getenv(envStorePath))))
	tr, err := auth.NewTransport(nil, resourceURL, src)
	require.NoError(t, err)
	hc := &http.Client{Transport: tr, Timeout: 5 * time.Second}

	var sum helperSummary
	seen := map[string]bool{}
	for deadline := time.Now().Add(runFor); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		tok, err := src.TokenContext(ctx)
		require.NoError(t, err)
		if !seen[tok.AccessToken] {
			seen[tok.AccessToken] = true
			sum.AccessTokens++
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, resourceURL, nil)
		require.NoError(t, err)
		resp, err := hc.Do(req)
		require.NoError(t, err)
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
		sum.Calls++
	}
	js, err := json.Marshal(sum)
	require.NoError(t, err)
	os.Stdout.WriteString(summaryPrefix + string(js) + "\n")
}
