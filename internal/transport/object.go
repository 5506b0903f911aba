package transport

import (
	"errors"
	"fmt"
)

// ErrNotObject is wrapped by the *DecodeError of a 2xx answer that is not the
// object asked for: "null", "{}" without the id, an empty body. It is
// re-exported as client.ErrNotObject.
var ErrNotObject = errors.New("the answer is not the object expected")

// Object wraps out (a pointer to decode a 2xx answer into) for [Engine.Do], so
// that an answer that decodes without being the object is refused: check is
// called after decoding, and its error (wrapped with ErrNotObject) fails the
// call with a *DecodeError. For a POST that error is an *UnconfirmedError too:
// the server acted, and the same Idempotency-Key gets its stored answer.
func Object(out any, check func() error) any { return &object{out: out, check: check} }

type object struct {
	out   any
	check func() error
}

// unwrapObject returns where to decode the answer, and the checks to make
// after (nil for a plain out). No closure: it is on every call's path.
func unwrapObject(out any) (any, *object) {
	if o, ok := out.(*object); ok {
		return o.out, o
	}
	return out, nil
}

// verify runs the check of an Object (o may be nil: nothing to check).
func (o *object) verify() error {
	if o == nil {
		return nil
	}
	if err := o.check(); err != nil {
		return fmt.Errorf("%w: %w", ErrNotObject, err)
	}
	return nil
}
