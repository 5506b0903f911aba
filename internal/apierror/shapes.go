package apierror

import (
	"bytes"
	"cmp"
	"encoding/json"
	"encoding/xml"

	"github.com/mindpeeker/mindpeeker-go/auth"
)

// describe finds the code and message in an error body of any of the shapes
// the APIs this SDK serves use, cleaned and bounded:
//
//   - MindPeeker: {"error":{"code":"not_found","message":"…"}}
//   - OAuth 2.0 (RFC 6749 §5.2; Mindbaz SSO): {"error":"invalid_grant","error_description":"…"}
//   - JSON-login services: {"error":"…","message":"…"}
//   - RFC 9457 problem details: {"title":"…","detail":"…"}; or just {"message":"…"}
//   - MindTouch: <error><status>403</status><title>Forbidden</title><message>…</message></error>
//
// Anything else (HTML or text from a proxy) gives an excerpt of the body as
// the message, markup removed, and no code.
func describe(body []byte) (code, message string) {
	trimmed := bytes.TrimSpace(body)
	switch {
	case len(trimmed) > 0 && trimmed[0] == '{':
		if code, message, ok := describeJSON(trimmed); ok {
			return auth.Excerpt(code, 64), auth.Excerpt(message, auth.MaxServerText)
		}
	case bytes.HasPrefix(trimmed, []byte("<?xml")) || bytes.HasPrefix(trimmed, []byte("<error")):
		var x struct {
			Title   string `xml:"title"`
			Message string `xml:"message"`
		}
		if xml.Unmarshal(trimmed, &x) == nil && (x.Message != "" || x.Title != "") {
			return "", auth.Excerpt(cmp.Or(x.Message, x.Title), auth.MaxServerText)
		}
	}
	return "", auth.Excerpt(withoutTags(body), 120)
}

func describeJSON(body []byte) (code, message string, ok bool) {
	var v struct {
		Error            json.RawMessage `json:"error"`
		ErrorDescription string          `json:"error_description"`
		Message          string          `json:"message"`
		Title            string          `json:"title"`
		Detail           string          `json:"detail"`
	}
	if json.Unmarshal(body, &v) != nil {
		return "", "", false
	}
	var nested struct{ Code, Message string }
	if json.Unmarshal(v.Error, &code) != nil && json.Unmarshal(v.Error, &nested) == nil {
		code, message = nested.Code, nested.Message
	}
	message = cmp.Or(message, v.ErrorDescription, v.Message)
	if message == "" && v.Title != "" {
		message = v.Title
		if v.Detail != "" {
			message += ": " + v.Detail
		}
	}
	message = cmp.Or(message, v.Detail)
	return code, message, code != "" || message != ""
}
