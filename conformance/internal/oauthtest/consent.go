package oauthtest

import (
	"context"
	"html/template"
	"net/http"
	"net/url"
	"strings"
)

// consentPage asks the user to allow or deny an authorization request. The
// form posts the request's parameters back with the user's decision.
var consentPage = template.Must(template.New("consent").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>Authorize {{.ClientID}}</title></head>
<body><h1>Authorize {{.ClientID}}</h1>
<p>{{.ClientID}} asks for: {{.Scope}}</p>
<form method="post" action="">
{{range $k, $vs := .Params}}{{range $vs}}<input type="hidden" name="{{$k}}" value="{{.}}">
{{end}}{{end}}<button id="allow" type="submit" name="consent" value="allow">Allow</button>
<button id="deny" type="submit" name="consent" value="deny">Deny</button>
</form></body></html>
`))

type userDeniedKey struct{}

// userDenied reports whether the user pressed Deny on the consent page for
// the request of ctx.
func userDenied(ctx context.Context) bool {
	denied, _ := ctx.Value(userDeniedKey{}).(bool)
	return denied
}

// withConsentPage puts a consent page in front of an authorization endpoint
// that consents at once: GET shows the page, POST hands the request (its
// parameters as a query, as the library expects them) to next, marked denied
// when the user pressed Deny.
func withConsentPage(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet:
			q := r.URL.Query()
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Header().Set("Cache-Control", "no-store")
			_ = consentPage.Execute(w, struct {
				ClientID, Scope string
				Params          url.Values
			}{q.Get("client_id"), strings.ReplaceAll(q.Get("scope"), " ", ", "), q})
		case http.MethodPost:
			if err := r.ParseForm(); err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			params := r.PostForm
			denied := params.Get("consent") != "allow"
			params.Del("consent")
			req := r.Clone(context.WithValue(r.Context(), userDeniedKey{}, denied))
			req.Method = http.MethodGet
			req.URL.RawQuery = params.Encode()
			req.Body, req.ContentLength, req.Form, req.PostForm = http.NoBody, 0, nil, nil
			req.Header.Del("Content-Type")
			next.ServeHTTP(w, req)
		default:
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		}
	})
}
