// Command patchbay walks admins through connecting their hiring stack.
package main

import (
	"context"
	"os"
)

func main() {
	os.Exit(Main(context.Background(), os.Args[1:], SystemIO(), takeSecretEnv()))
}
