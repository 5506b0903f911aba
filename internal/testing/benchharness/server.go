package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
)

// serverEnv makes the harness binary the server child.
const serverEnv = "MINDPEEKER_BENCHHARNESS_SERVER"

const (
	benchToken  = "bench-token"
	pageItems   = 100
	sessionJSON = `{"id":"ses_123","title":"Coordinates 4471","status":"active","target_id":"tgt_9","notes":"first impressions: water, a tower","created_at":"2026-11-23T10:00:00Z","updated_at":"2026-11-23T10:05:00Z"}`
)

var pageJSON = `{"data":[` + strings.TrimSuffix(strings.Repeat(sessionJSON+",", pageItems), ",") + `],"has_more":false}`

// serve runs the server child: the API (a session, a page of 100, a token
// endpoint) on a loopback port it prints, and /stats (connections accepted so
// far). It exits when its stdin closes, that is when the parent exits.
func serve() error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	var conns atomic.Int64
	mux := http.NewServeMux()
	authed := func(h http.HandlerFunc) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") {
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			h(w, r)
		}
	}
	mux.HandleFunc("GET /v1/sessions/{id}", authed(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, sessionJSON) }))
	mux.HandleFunc("GET /v1/sessions", authed(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, pageJSON) }))
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"access_token":%q,"token_type":"bearer","expires_in":3600}`, benchToken)
	})
	mux.HandleFunc("GET /stats", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, conns.Load()) })
	srv := &http.Server{Handler: mux, ConnState: func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}}
	go func() {
		io.Copy(io.Discard, os.Stdin)
		os.Exit(0)
	}()
	fmt.Println(ln.Addr().String())
	return srv.Serve(ln)
}

// startServer re-executes the harness as the server child and returns its
// base URL: its allocations are not the client's.
func startServer() (string, func(), error) {
	exe, err := os.Executable()
	if err != nil {
		return "", nil, err
	}
	cmd := execCommand(exe)
	cmd.Env = append(os.Environ(), serverEnv+"=1")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return "", nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return "", nil, err
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	addr, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		cmd.Process.Kill()
		return "", nil, fmt.Errorf("server child: %w", err)
	}
	stop := func() { stdin.Close(); cmd.Wait() }
	return "http://" + strings.TrimSpace(addr), stop, nil
}
