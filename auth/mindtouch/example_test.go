package mindtouch_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/mindpeeker/mindpeeker-go/auth/mindtouch"
)

func ExampleServerToken_Sign() {
	tok := mindtouch.ServerToken{Key: "key", Secret: "secret", User: "=jane@example.com"}
	fmt.Println(tok.Sign(time.Unix(1700000000, 0)))
	fmt.Println(tok) // the secret is redacted
	// Output:
	// tkn_key_1700000000_=jane@example.com_ca24e7ef51a90bedc7c38afd4ef3804f35c9d0cced11d675a48131808aa46cda
	// mindtouch.ServerToken{key: "key", secret: [REDACTED], user: "=jane@example.com"}
}

func ExampleServerToken_Transport() {
	tok := mindtouch.ServerToken{Key: "key", Secret: "secret", User: "2"}

	// A stand-in for https://yoursite.mindtouch.us that checks the signature.
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := mindtouch.Verify(r.Header.Get(mindtouch.HeaderName), tok.Secret, time.Now(), mindtouch.SignatureLifetime); err != nil {
			http.Error(w, "bad token", http.StatusUnauthorized)
			return
		}
		fmt.Fprint(w, `<page id="1"><title>Home</title></page>`)
	}))
	defer site.Close()

	rt, err := tok.Transport(site.URL, nil) // every request is signed afresh
	if err != nil {
		fmt.Println(err)
		return
	}
	hc := &http.Client{Transport: rt}
	resp, err := hc.Get(site.URL + "/@api/deki/pages/home/info")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	fmt.Println(resp.Status, string(body))
	// Output: 200 OK <page id="1"><title>Home</title></page>
}
