package auth

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
)

const redactedText = "[REDACTED]"

// Redact returns what any output shows for a secret: "[REDACTED]" when it is
// set, "" when it is empty (so that a missing secret stays visible).
func Redact(secret string) string {
	if secret == "" {
		return ""
	}
	return redactedText
}

// View is the redacted face of a value that holds secrets: its type name and
// the attributes that may be shown, a secret only as [Redact] of it. It is
// the module's one redaction mechanism: a type holding a secret builds its
// View in one method (an allow-list: a field added later appears nowhere
// until it is listed there) and hands every output to it, so that fmt (every
// verb, %#v included), slog and encoding/json all show the same safe view:
//
//	func (g T) view() auth.View  { return auth.View{Type: "pkg.T", Attrs: ...} }
//	func (g T) String() string   { return g.view().String() }
//	func (g T) Format(f fmt.State, verb rune) { g.view().Format(f, verb) }
//	func (g T) LogValue() slog.Value          { return g.view().LogValue() }
//	func (g T) MarshalJSON() ([]byte, error)  { return g.view().MarshalJSON() }
type View struct {
	Type  string      // "auth.ClientCredentials"
	Attrs []slog.Attr // what may be shown, in order
}

// String renders the view as Type{key: value, ...}, strings quoted.
func (v View) String() string {
	var b strings.Builder
	b.WriteString(v.Type + "{")
	for i, a := range v.Attrs {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(a.Key + ": ")
		if val := a.Value.Resolve(); val.Kind() == slog.KindString && val.String() != redactedText {
			b.WriteString(strconv.Quote(val.String()))
		} else {
			fmt.Fprint(&b, val.Any())
		}
	}
	return b.String() + "}"
}

// Format prints String for every verb and flag, %q quoting it.
func (v View) Format(f fmt.State, verb rune) {
	if verb == 'q' {
		fmt.Fprint(f, strconv.Quote(v.String()))
		return
	}
	fmt.Fprint(f, v.String())
}

// LogValue is the attributes as a group.
func (v View) LogValue() slog.Value { return slog.GroupValue(v.Attrs...) }

// MarshalJSON renders the attributes as one JSON object.
func (v View) MarshalJSON() ([]byte, error) {
	b := []byte{'{'}
	for i, a := range v.Attrs {
		if i > 0 {
			b = append(b, ',')
		}
		key, _ := json.Marshal(a.Key)
		val, err := json.Marshal(a.Value.Resolve().Any())
		if err != nil {
			return nil, err
		}
		b = append(append(append(b, key...), ':'), val...)
	}
	return append(b, '}'), nil
}
