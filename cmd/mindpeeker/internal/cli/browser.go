package cli

import (
	"fmt"
	"io"
	"net/url"
	"os/exec"
	"runtime"
)

// openBrowser opens u in the user's browser (xdg-open, open or rundll32) and
// tells the user on prompt, with the URL in case no browser shows up. It
// returns an error, and prints nothing, when no opener could be started; the
// caller then prints the URL itself.
func openBrowser(prompt io.Writer, u string) error {
	if p, err := url.Parse(u); err != nil || (p.Scheme != "https" && p.Scheme != "http") {
		return fmt.Errorf("refusing to open %q: not an http(s) URL", u)
	}
	var cmd *exec.Cmd
	switch runtime.GOOS {
	case "darwin":
		cmd = exec.Command("open", u)
	case "windows":
		cmd = exec.Command("rundll32", "url.dll,FileProtocolHandler", u)
	default:
		cmd = exec.Command("xdg-open", u)
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	go cmd.Wait() //nolint:errcheck // the opener's outcome is the browser showing up or not
	fmt.Fprintf(prompt, "Opened your browser to log in. If it did not open, visit:\n\n    %s\n\n", u)
	return nil
}
