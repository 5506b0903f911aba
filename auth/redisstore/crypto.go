package redisstore

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
)

// KeySize is the length of an encryption key: 32 bytes, for AES-256.
const KeySize = 32

// ErrNoEncryptionKey is returned (wrapped) by [New] when [Options] holds no
// encryption key and does not set AllowPlaintext.
var ErrNoEncryptionKey = errors.New("redisstore: no encryption key (set Options.EncryptionKeys, or AllowPlaintext to store tokens unencrypted)")

// ErrUndecryptable is returned (wrapped) by [Store.Load] when the stored value
// cannot be decrypted: it was encrypted with a key that is not in
// Options.EncryptionKeys, altered, or copied from another key name. The stored
// token is unusable. A Source without a refresh token renews from its grant and
// overwrites it; one holding a refresh token refuses to spend it (the store
// cannot show it is the newest) until the value is replaced or removed with
// [Store.Delete].
var ErrUndecryptable = errors.New("redisstore: the stored token cannot be decrypted")

// ErrNotEncrypted is returned (wrapped) by [Store.Load] when the stored token is
// in plaintext but the Store encrypts and does not set AllowPlaintext. Whoever
// wrote it did not hold the encryption key, so it is not trusted.
var ErrNotEncrypted = errors.New("redisstore: the stored token is not encrypted")

// The layout of a stored value: a format byte, the id of the key that
// encrypted it, a random nonce, then the AES-GCM ciphertext and tag.
const (
	formatSealed = 0x01 // a plaintext value is JSON and starts with '{'
	keyIDSize    = 4
	nonceSize    = 12
	headerSize   = 1 + keyIDSize + nonceSize
)

// sealer encrypts with the first key and decrypts with any of them.
type sealer struct {
	keys []sealKey
}

type sealKey struct {
	id   [keyIDSize]byte
	aead cipher.AEAD
}

func newSealer(keys [][]byte) (*sealer, error) {
	s := &sealer{}
	for i, k := range keys {
		if len(k) != KeySize {
			return nil, fmt.Errorf("redisstore: encryption key %d is %d bytes, want %d (AES-256)", i, len(k), KeySize)
		}
		block, err := aes.NewCipher(k)
		if err != nil {
			return nil, fmt.Errorf("redisstore: encryption key %d: %w", i, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("redisstore: encryption key %d: %w", i, err)
		}
		s.keys = append(s.keys, sealKey{id: keyID(k), aead: aead})
	}
	return s, nil
}

// keyID names a key without revealing it: the first bytes of an HMAC keyed by it.
func keyID(key []byte) (id [keyIDSize]byte) {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("mindpeeker-go redisstore key id v1"))
	copy(id[:], m.Sum(nil))
	return id
}

// seal encrypts plaintext with the current key, bound to name (the Redis key
// the value is stored under) as additional authenticated data.
func (s *sealer) seal(plaintext []byte, name string) ([]byte, error) {
	k := s.keys[0]
	out := make([]byte, headerSize, headerSize+len(plaintext)+k.aead.Overhead())
	out[0] = formatSealed
	copy(out[1:], k.id[:])
	nonce := out[1+keyIDSize : headerSize]
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("redisstore: generating a nonce: %w", err)
	}
	return k.aead.Seal(out, nonce, plaintext, additionalData(out[:1+keyIDSize], name)), nil
}

// open decrypts a value written by seal under the same name with any known key.
func (s *sealer) open(value []byte, name string) ([]byte, error) {
	if len(value) < headerSize+16 || value[0] != formatSealed {
		return nil, fmt.Errorf("%w: not a value this version writes", ErrUndecryptable)
	}
	id, nonce, ciphertext := value[1:1+keyIDSize], value[1+keyIDSize:headerSize], value[headerSize:]
	ad := additionalData(value[:1+keyIDSize], name)
	known := false
	for _, k := range s.keys {
		if string(k.id[:]) != string(id) {
			continue
		}
		known = true
		if plain, err := k.aead.Open(nil, nonce, ciphertext, ad); err == nil {
			return plain, nil
		}
	}
	if !known {
		return nil, fmt.Errorf("%w: encrypted with a key that is not in Options.EncryptionKeys (key id %x)", ErrUndecryptable, id)
	}
	return nil, fmt.Errorf("%w: authentication failed (the value was altered, or stored under another key name)", ErrUndecryptable)
}

// additionalData binds a ciphertext to its header and to the Redis key name, so
// that a value copied to another user's or client's key does not decrypt.
func additionalData(header []byte, name string) []byte {
	ad := make([]byte, 0, len(header)+len(name))
	return append(append(ad, header...), name...)
}
