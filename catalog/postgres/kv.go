package postgres

import (
	"context"
	"fmt"
	"strings"
)

// KVGet returns a plugin's value for key.
func (s *Store) KVGet(ctx context.Context, ns, key string) ([]byte, bool, error) {
	var v []byte
	err := s.pool.QueryRow(ctx, `SELECT value FROM kv WHERE ns = $1 AND key = $2`, ns, key).Scan(&v)
	if isNoRows(err) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("postgres: kv get %s/%s: %w", ns, key, err)
	}
	if v == nil {
		v = []byte{}
	}
	return v, true, nil
}

// KVSet stores value under key, replacing any previous value.
func (s *Store) KVSet(ctx context.Context, ns, key string, value []byte) error {
	if value == nil {
		value = []byte{}
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO kv (ns, key, value) VALUES ($1, $2, $3)
		ON CONFLICT (ns, key) DO UPDATE SET value = EXCLUDED.value`, ns, key, value)
	if err != nil {
		return fmt.Errorf("postgres: kv set %s/%s: %w", ns, key, err)
	}
	return nil
}

// KVDelete removes key; deleting an absent key is not an error.
func (s *Store) KVDelete(ctx context.Context, ns, key string) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM kv WHERE ns = $1 AND key = $2`, ns, key); err != nil {
		return fmt.Errorf("postgres: kv delete %s/%s: %w", ns, key, err)
	}
	return nil
}

// KVList returns the keys of ns starting with prefix, in byte order, at most
// limit of them (0 = all).
func (s *Store) KVList(ctx context.Context, ns, prefix string, limit int) ([]string, error) {
	q := `SELECT key FROM kv WHERE ns = $1 AND starts_with(key, $2) ORDER BY key`
	a := []any{ns, prefix}
	if limit > 0 {
		q += ` LIMIT $3`
		a = append(a, limit)
	}
	rows, err := s.pool.Query(ctx, q, a...)
	if err != nil {
		return nil, fmt.Errorf("postgres: kv list %s/%s*: %w", ns, prefix, err)
	}
	defer rows.Close()
	keys := []string{}
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, fmt.Errorf("postgres: kv list %s: %w", ns, err)
		}
		keys = append(keys, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: kv list %s/%s*: %w", ns, strings.TrimSpace(prefix), err)
	}
	return keys, nil
}
