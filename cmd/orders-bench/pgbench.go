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

	"github.com/lib/pq"
)

// pgbenchScripts turns the captured transaction into pgbench scripts, one
// per outbox shard table (pgbench picks one at random for each
// transaction, as the order IDs' hashes spread orders over the shards).
// Arguments become literals of the parameter's type, and every UUID a
// fresh random one per transaction (scriptVariables).
func pgbenchScripts(ctx context.Context, db *sql.DB, stmts []statement, dir string, shards int) ([]string, string, error) {
	script, err := renderScript(ctx, db, []capturedTx{{Statements: stmts}}, newScriptVariables("", nil))
	if err != nil {
		return nil, "", err
	}
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

// renderScript renders captured transactions as one pgbench script, each
// transaction between BEGIN and COMMIT as it ran, a statement sent outside
// one on its own. Arguments become literals of their parameters' types,
// with vars's substitutions.
func renderScript(ctx context.Context, db *sql.DB, txs []capturedTx, vars *scriptVariables) (string, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return "", err
	}
	defer func() { _ = conn.Close() }()

	var body strings.Builder
	probe := 0
	for _, tx := range txs {
		if !tx.Standalone {
			body.WriteString("BEGIN;\n")
		}
		for _, s := range tx.Statements {
			probe++
			types, err := parameterTypes(ctx, conn, s.Query, probe)
			if err != nil {
				return "", err
			}
			if len(types) != len(s.Args) {
				return "", fmt.Errorf("statement %d: %d parameters, %d arguments", probe, len(types), len(s.Args))
			}
			literals := make([]string, len(s.Args))
			for j, arg := range s.Args {
				if literals[j], err = vars.literal(arg, types[j]); err != nil {
					return "", fmt.Errorf("statement %d argument %d: %w", probe, j+1, err)
				}
			}
			query := placeholder.ReplaceAllStringFunc(s.Query, func(p string) string {
				n, _ := strconv.Atoi(p[1:])
				return literals[n-1]
			})
			// pgbench takes one statement per line unless it ends with ';'.
			body.WriteString(strings.Join(strings.Fields(query), " ") + ";\n")
		}
		if !tx.Standalone {
			body.WriteString("COMMIT;\n")
		}
	}
	return vars.sets.String() + body.String(), nil
}

var placeholder = regexp.MustCompile(`\$\d+`)

// scriptVariables are what varies between a script's runs: every UUID in
// an argument, whole or inside a text (a JSON document, an array, a key
// such as "charge:<order ID>", a message's framing), becomes a fresh
// random one per run, the same wherever the captured one recurs, so that
// concurrent clients write rows of their own; and fixed captured texts
// (the order's SKUs) become the expressions given.
type scriptVariables struct {
	sets    strings.Builder
	exprs   map[string]string // captured text -> SQL expression of type text
	pattern *regexp.Regexp
	uuids   int
}

const uuidPattern = `[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}`

// newScriptVariables substitutes UUIDs, and each key of fixed by its
// value, an SQL expression of type text that may use the variables that
// the pgbench lines sets set.
func newScriptVariables(sets string, fixed map[string]string) *scriptVariables {
	v := &scriptVariables{exprs: map[string]string{}}
	v.sets.WriteString(sets)
	alternatives := []string{uuidPattern}
	for captured, expr := range fixed {
		v.exprs[captured] = expr
		alternatives = append(alternatives, regexp.QuoteMeta(captured))
	}
	v.pattern = regexp.MustCompile(strings.Join(alternatives, "|"))
	return v
}

// expr is the expression that stands for the captured text match.
func (v *scriptVariables) expr(match string) string {
	if e, ok := v.exprs[match]; ok {
		return e
	}
	k := v.uuids
	v.uuids++
	fmt.Fprintf(&v.sets, "\\set u%dhi random(0, 9223372036854775806)\n\\set u%dlo random(0, 9223372036854775806)\n", k, k)
	e := fmt.Sprintf("((lpad(to_hex(:u%dhi::bigint), 16, '0') || lpad(to_hex(:u%dlo::bigint), 16, '0'))::uuid)::text", k, k)
	v.exprs[match] = e
	return e
}

// literal renders a captured argument for a parameter of type typ.
func (v *scriptVariables) literal(arg driver.Value, typ string) (string, error) {
	var text string
	switch x := arg.(type) {
	case string:
		text = x
	case []byte:
		text = string(x)
	default:
		return literal(arg, typ)
	}
	matches := v.pattern.FindAllStringIndex(text, -1)
	if len(matches) == 0 {
		return literal(arg, typ)
	}
	binary := typ == "bytea"
	var parts []string
	constant := func(s string) {
		switch {
		case s == "":
		case binary:
			parts = append(parts, "'\\x"+hex.EncodeToString([]byte(s))+"'::bytea")
		default:
			parts = append(parts, pq.QuoteLiteral(s))
		}
	}
	at := 0
	for _, m := range matches {
		constant(text[at:m[0]])
		e := v.expr(text[m[0]:m[1]])
		if binary {
			e = "convert_to(" + e + ", 'UTF8')"
		}
		parts = append(parts, e)
		at = m[1]
	}
	constant(text[at:])
	return "(" + strings.Join(parts, " || ") + ")::" + typ, nil
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
