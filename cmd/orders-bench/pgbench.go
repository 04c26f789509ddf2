package main

import (
	"bytes"
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/google/uuid"
	"github.com/lib/pq"
)

// pgbenchScripts turns the captured transaction into pgbench scripts, one
// per outbox shard table (pgbench picks one at random for each
// transaction, as the order IDs' hashes spread orders over the shards).
// Arguments become literals of the parameter's type, and every UUID a
// fresh random one per transaction, the same UUID wherever it recurs.
func pgbenchScripts(ctx context.Context, db *sql.DB, stmts []statement, dir string, shards int) ([]string, string, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, "", err
	}
	defer func() { _ = conn.Close() }()

	uuids := map[string]string{} // captured value -> expression
	var sets strings.Builder
	var body strings.Builder
	body.WriteString("BEGIN;\n")
	for i, s := range stmts {
		types, err := parameterTypes(ctx, conn, s.Query, i)
		if err != nil {
			return nil, "", err
		}
		if len(types) != len(s.Args) {
			return nil, "", fmt.Errorf("statement %d: %d parameters, %d arguments", i, len(types), len(s.Args))
		}
		literals := make([]string, len(s.Args))
		for j, arg := range s.Args {
			if str, ok := arg.(string); ok && isUUID(str) {
				expr, seen := uuids[str]
				if !seen {
					k := len(uuids)
					fmt.Fprintf(&sets, "\\set u%dhi random(0, 9223372036854775806)\n\\set u%dlo random(0, 9223372036854775806)\n", k, k)
					expr = fmt.Sprintf("(lpad(to_hex(:u%dhi::bigint), 16, '0') || lpad(to_hex(:u%dlo::bigint), 16, '0'))::uuid", k, k)
					uuids[str] = expr
				}
				literals[j] = "(" + expr + ")::" + types[j]
				continue
			}
			lit, err := literal(arg, types[j])
			if err != nil {
				return nil, "", fmt.Errorf("statement %d argument %d: %w", i, j+1, err)
			}
			literals[j] = lit
		}
		query := placeholder.ReplaceAllStringFunc(s.Query, func(p string) string {
			n, _ := strconv.Atoi(p[1:])
			return literals[n-1]
		})
		// pgbench takes one statement per line unless it ends with ';'.
		body.WriteString(strings.Join(strings.Fields(query), " ") + ";\n")
	}
	body.WriteString("COMMIT;\n")

	script := sets.String() + body.String()
	shardTables := regexp.MustCompile(`watermill_orders_outbox_\d+_of_\d+`)
	if !shardTables.MatchString(script) {
		return nil, "", fmt.Errorf("the captured transaction writes no outbox shard table:\n%s", script)
	}
	var files []string
	for shard := range shards {
		f := filepath.Join(dir, fmt.Sprintf("order-write-shard-%d.sql", shard))
		text := shardTables.ReplaceAllString(script, fmt.Sprintf("watermill_orders_outbox_%d_of_%d", shard, shards))
		if err := os.WriteFile(f, []byte(text), 0o600); err != nil {
			return nil, "", err
		}
		files = append(files, f)
	}
	return files, script, nil
}

var placeholder = regexp.MustCompile(`\$\d+`)

func isUUID(s string) bool {
	_, err := uuid.Parse(s)
	return err == nil && len(s) == 36
}

// parameterTypes asks the server for the types of a statement's parameters.
func parameterTypes(ctx context.Context, conn *sql.Conn, query string, i int) ([]string, error) {
	name := fmt.Sprintf("ordersbench_probe_%d", i)
	if _, err := conn.ExecContext(ctx, "PREPARE "+name+" AS "+query); err != nil {
		return nil, fmt.Errorf("prepare captured statement: %w\n%s", err, query)
	}
	defer func() { _, _ = conn.ExecContext(context.WithoutCancel(ctx), "DEALLOCATE "+name) }()
	var types []string
	err := conn.QueryRowContext(ctx, `SELECT parameter_types::text[] FROM pg_prepared_statements WHERE name = $1`, name).
		Scan(pq.Array(&types))
	return types, err
}

// literal renders a captured argument as a SQL literal of type typ.
func literal(v driver.Value, typ string) (string, error) {
	var text string
	switch x := v.(type) {
	case nil:
		return "NULL::" + typ, nil
	case []byte:
		if typ == "bytea" {
			return "'\\x" + hex.EncodeToString(x) + "'::bytea", nil
		}
		text = string(x)
	case string:
		text = x
	case int64:
		text = strconv.FormatInt(x, 10)
	case float64:
		text = strconv.FormatFloat(x, 'g', -1, 64)
	case bool:
		text = strconv.FormatBool(x)
	case time.Time:
		text = x.Format("2006-01-02 15:04:05.999999999Z07:00")
	default:
		return "", fmt.Errorf("no literal for %T", v)
	}
	return pq.QuoteLiteral(text) + "::" + typ, nil
}

// pgbenchResult is one pgbench run.
type pgbenchResult struct {
	TPS float64
	CPU time.Duration // pgbench's own CPU
}

var tpsLine = regexp.MustCompile(`tps = ([0-9.]+) \(without initial connection time\)`)

// runPgbench runs the scripts with clients connections for d, prepared
// statements (the cheapest way to send them: the physical limit).
func runPgbench(ctx context.Context, bin, dbURL string, scripts []string, clients int, d time.Duration) (pgbenchResult, error) {
	u, err := url.Parse(dbURL)
	if err != nil {
		return pgbenchResult{}, err
	}
	password, _ := u.User.Password()
	args := []string{"-n", "-M", "prepared", "-c", strconv.Itoa(clients), "-j", strconv.Itoa(min(clients, 2)),
		"-T", strconv.Itoa(max(1, int(d.Round(time.Second).Seconds())))}
	for _, s := range scripts {
		args = append(args, "-f", s+"@1")
	}
	args = append(args, strings.TrimPrefix(u.Path, "/"))
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), "PGHOST="+u.Hostname(), "PGPORT="+u.Port(), "PGUSER="+u.User.Username(),
		"PGPASSWORD="+password, "PGSSLMODE="+u.Query().Get("sslmode"))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return pgbenchResult{}, fmt.Errorf("pgbench: %w\n%s", err, out.String())
	}
	m := tpsLine.FindStringSubmatch(out.String())
	if m == nil {
		return pgbenchResult{}, fmt.Errorf("pgbench printed no tps:\n%s", out.String())
	}
	tps, _ := strconv.ParseFloat(m[1], 64)
	var cpu time.Duration
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	return pgbenchResult{TPS: tps, CPU: cpu}, nil
}
