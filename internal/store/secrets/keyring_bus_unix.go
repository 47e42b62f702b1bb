//go:build (dragonfly && cgo) || (freebsd && cgo) || linux || netbsd || openbsd

package secrets

import (
	"os"
	"os/user"
	"path/filepath"
)

// checkSessionBus fails when no D-Bus session bus can be found the way godbus looks for one (the environment,
// then /run/user/UID). Without this check godbus would try to autolaunch a bus with dbus-launch, which needs an
// X11 display, can hang or leave a stray daemon behind, and is never what a headless admin wants.
func checkSessionBus() error {
	if addr := os.Getenv("DBUS_SESSION_BUS_ADDRESS"); addr != "" && addr != "autolaunch:" {
		return nil
	}
	if u, err := user.Current(); err == nil {
		for _, name := range []string{"bus", "dbus-session"} {
			if _, err := os.Stat(filepath.Join("/run/user", u.Uid, name)); err == nil {
				return nil
			}
		}
	}
	return &noSessionBusError{reason: "there is no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set)"}
}
