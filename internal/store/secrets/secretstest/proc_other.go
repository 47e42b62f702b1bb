//go:build !linux

package secretstest

import "syscall"

func procAttr() *syscall.SysProcAttr { return nil }
