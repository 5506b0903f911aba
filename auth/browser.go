package auth

import (
	"fmt"
	"net/url"
	"os/exec"
	"runtime"
)

// SystemBrowser opens rawURL in the user's default browser (open on macOS,
// rundll32 on Windows, xdg-open elsewhere), without waiting for it. Use it as
// [LoopbackOptions.OpenBrowser]; when it fails, LoginLoopback prints the URL.
// Only http and https URLs are opened.
func SystemBrowser(rawURL string) error {
	if u, err := url.Parse(rawURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") {
		return fmt.Errorf("auth: refusing to open %s in a browser: not an http(s) URL", RedactURL(rawURL))
	}
	var cmd *exec.Cmd
	switch runtime.GOOS {
	case "darwin":
		cmd = exec.Command("open", rawURL)
	case "windows":
		cmd = exec.Command("rundll32", "url.dll,FileProtocolHandler", rawURL)
	default:
		cmd = exec.Command("xdg-open", rawURL)
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	go cmd.Wait() // reap the opener; its outcome is the browser showing up or not
	return nil
}
