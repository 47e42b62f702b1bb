package store

import (
	"context"
	"testing"
)

// A profile that finished ChartHop's old combined hire-webhook step (the
// webhook secret typed in it) keeps its progress when the secret becomes a
// step of its own: migration 0005 records the new step as done. A profile
// that never stored the secret gets nothing.
func TestMigrationKeepsChartHopWebhookSecretProgress(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t)
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.sql.ExecContext(ctx, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	// The database as version 4 left it: the combined step done, its secret
	// recorded, for acme; the step done without a secret for globex.
	for _, p := range []string{"acme", "globex"} {
		exec("INSERT INTO profiles (name, created_at) VALUES (?, 1)", p)
		exec(`INSERT INTO step_state (profile, integration, step, status, proof, values_json, completed_at, updated_at)
			VALUES (?, 'charthop-lever', 'charthop-hire-webhook', 'done', 'attested', '{"confirmed":"true"}', 1700, 1700)`, p)
	}
	exec(`INSERT INTO secrets (profile, integration, key, backend, last4, created_at) VALUES ('acme', 'charthop-lever', 'webhook_secret', 'keyring', 'ab12', 1700)`)
	// Back to version 4: migration 5 and those after it run again on open.
	exec("DROP TABLE profile_tombstones")
	exec("DELETE FROM schema_migrations WHERE version >= 5")
	path := db.Path()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	again, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	for profile, want := range map[string]int{"acme": 1, "globex": 0} {
		n := count(t, again, `SELECT count(*) FROM step_state WHERE profile = ? AND step = 'charthop-webhook-secret'
			AND status = 'done' AND proof = 'checked' AND completed_at = 1700`, profile)
		if n != want {
			t.Errorf("%s: %d charthop-webhook-secret rows done, want %d", profile, n, want)
		}
	}
}
