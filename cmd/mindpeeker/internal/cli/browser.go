package cli

import (
	"fmt"
	"io"

	"github.com/mindpeeker/mindpeeker-go/auth"
)

// openBrowser opens u in the user's browser and tells the user on prompt, with
// the URL in case no browser shows up. It returns an error, and prints nothing,
// when no opener could be started; the caller then prints the URL itself.
func openBrowser(prompt io.Writer, u string) error {
	if err := auth.SystemBrowser(u); err != nil {
		return err
	}
	fmt.Fprintf(prompt, "Opened your browser to log in. If it did not open, visit:\n\n    %s\n\n", u)
	return nil
}
