package secrets

import (
	"context"
	"slices"
	"strings"
	"sync"
)

// Memory keeps secrets in this process only, for the demo and tests. Nothing is written anywhere.
type Memory struct {
	mu      sync.Mutex
	entries map[string]string
}

var (
	_ Store  = (*Memory)(nil)
	_ Lister = (*Memory)(nil)
)

// NewMemory returns an empty in-memory store.
func NewMemory() *Memory {
	return &Memory{entries: map[string]string{}}
}

// Backend reports "memory".
func (m *Memory) Backend() Info {
	return Info{Name: BackendMemory, Detail: "in this process only; forgotten when patchbay exits"}
}

// Set stores secret under account.
func (m *Memory) Set(ctx context.Context, account, secret string) error {
	if err := checkCall(ctx, account); err != nil {
		return err
	}
	if secret == "" {
		return ErrEmptySecret
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.entries[account] = secret
	return nil
}

// Get returns the secret stored under account.
func (m *Memory) Get(ctx context.Context, account string) (string, error) {
	if err := checkCall(ctx, account); err != nil {
		return "", err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.entries[account]
	if !ok {
		return "", ErrNotFound
	}
	return v, nil
}

// Delete removes account.
// Move moves the value of from to to.
func (m *Memory) Move(ctx context.Context, from, to string) error {
	if err := checkCall(ctx, from); err != nil {
		return err
	}
	if err := validAccount(to); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	val, ok := m.entries[from]
	if !ok {
		return ErrNotFound
	}
	m.entries[to] = val
	delete(m.entries, from)
	return nil
}

func (m *Memory) Delete(ctx context.Context, account string) error {
	if err := checkCall(ctx, account); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.entries[account]; !ok {
		return ErrNotFound
	}
	delete(m.entries, account)
	return nil
}

// List returns the accounts starting with prefix, sorted.
func (m *Memory) List(ctx context.Context, prefix string) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return listPrefix(m.entries, prefix), nil
}

func listPrefix(entries map[string]string, prefix string) []string {
	out := []string{}
	for a := range entries {
		if strings.HasPrefix(a, prefix) {
			out = append(out, a)
		}
	}
	slices.Sort(out)
	return out
}

func checkCall(ctx context.Context, account string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return validAccount(account)
}
