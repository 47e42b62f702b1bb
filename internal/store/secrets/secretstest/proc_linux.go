package secretstest

import "syscall"

// procAttr makes the kernel kill our daemons if the test binary dies without running cleanups (a panic or a
// go test timeout), so no keyring daemon outlives its test.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
