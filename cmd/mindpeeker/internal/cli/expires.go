package cli

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// maxExpiresIn bounds --expires-in (about 100 years), far below overflow.
const maxExpiresIn = 100 * 365 * 24 * time.Hour

// parseExpiresIn reads an --expires-in value: a whole number of days ("90d"),
// optionally followed by a Go duration ("1d12h"), or a Go duration alone
// ("36h", "30m", "1h30m"; m is minutes). The result must be positive.
func parseExpiresIn(s string) (time.Duration, error) {
	bad := func() (time.Duration, error) {
		return 0, fmt.Errorf("invalid --expires-in %q: use days (90d), hours (36h), minutes (30m) or a Go duration (1h30m)", s)
	}
	rest := strings.TrimSpace(s)
	var d time.Duration
	if i := strings.IndexByte(rest, 'd'); i >= 0 {
		days, err := strconv.Atoi(rest[:i])
		if err != nil || strings.TrimLeft(rest[:i], "0123456789") != "" || days > int(maxExpiresIn/(24*time.Hour)) {
			return bad()
		}
		d, rest = time.Duration(days)*24*time.Hour, rest[i+1:]
		if strings.HasPrefix(rest, "-") || strings.HasPrefix(rest, "+") {
			return bad()
		}
	}
	if rest != "" {
		more, err := time.ParseDuration(rest)
		if err != nil || more < 0 {
			return bad()
		}
		d += more
	}
	if d <= 0 || d > maxExpiresIn {
		return bad()
	}
	return d, nil
}
