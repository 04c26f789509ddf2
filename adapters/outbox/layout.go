package outbox

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/lib/pq"
)

// schemaDDL creates the tables all outboxes share: the recorded layouts and
// the dead letters.
var schemaDDL = []string{
	`CREATE TABLE IF NOT EXISTS outbox_layouts (
		name       TEXT        PRIMARY KEY,
		shards     INTEGER     NOT NULL CHECK (shards BETWEEN 1 AND 256),
		changed_at TIMESTAMPTZ NOT NULL DEFAULT now()
	)`,
	`CREATE TABLE IF NOT EXISTS outbox_dead_letters (
		id               BIGSERIAL   PRIMARY KEY,
		outbox           TEXT        NOT NULL,
		sql_topic        TEXT        NOT NULL,
		"offset"         BIGINT      NOT NULL,
		transaction_id   XID8        NOT NULL,
		uuid             TEXT        NOT NULL,
		payload          BYTEA,
		metadata         JSON,
		reason           TEXT        NOT NULL,
		created_at       TIMESTAMPTZ,
		dead_lettered_at TIMESTAMPTZ NOT NULL DEFAULT now()
	)`,
}

// execer runs statements: a *sql.DB or a *sql.Tx.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func execAll(ctx context.Context, tx execer, stmts ...string) error {
	for _, s := range stmts {
		if _, err := tx.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("%s: %w", firstLine(s), err)
		}
	}
	return nil
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// CreateLayout creates an outbox in a migration: the shared tables if
// needed, each shard's messages and offsets tables, the consumer group's
// position at the start of each shard, the view over all shards, and the
// recorded shard count.
func CreateLayout(ctx context.Context, tx *sql.Tx, cfg Config, consumerGroup string) error {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return err
	}
	if err := execAll(ctx, tx, schemaDDL...); err != nil {
		return err
	}
	if err := createShards(ctx, tx, cfg, []string{consumerGroup}); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO outbox_layouts (name, shards) VALUES ($1, $2)`, cfg.Name, cfg.Shards); err != nil {
		return fmt.Errorf("record layout of outbox %s: %w", cfg.Name, err)
	}
	return nil
}

// DropLayout removes an outbox: the reverse of CreateLayout, for a
// migration's down step. The shared tables stay.
func DropLayout(ctx context.Context, tx *sql.Tx, name string) error {
	shards, err := recordedShards(ctx, tx, name)
	if err != nil {
		return err
	}
	cfg := Config{Name: name, Shards: shards}
	if err := dropShards(ctx, tx, cfg); err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `DELETE FROM outbox_layouts WHERE name = $1`, name)
	return err
}

func createShards(ctx context.Context, tx *sql.Tx, cfg Config, consumerGroups []string) error {
	for _, topic := range cfg.SQLTopics() {
		if err := execAll(ctx, tx, topicDDL(topic)...); err != nil {
			return err
		}
		for _, group := range consumerGroups {
			if _, err := tx.ExecContext(ctx, `INSERT INTO `+OffsetsTable(topic)+
				` (consumer_group, offset_acked, last_processed_transaction_id) VALUES ($1, 0, '0')`, group); err != nil {
				return fmt.Errorf("position of %s in %s: %w", group, topic, err)
			}
		}
	}
	selects := make([]string, cfg.Shards)
	for i, topic := range cfg.SQLTopics() {
		selects[i] = fmt.Sprintf(`SELECT %d AS shard, "offset", uuid, created_at, encode(payload, 'escape') AS payload, metadata, transaction_id FROM %s`,
			i, MessagesTable(topic))
	}
	view := pq.QuoteIdentifier(cfg.ViewName())
	return execAll(ctx, tx,
		`DROP VIEW IF EXISTS `+view,
		`CREATE VIEW `+view+` AS `+strings.Join(selects, " UNION ALL "),
		`COMMENT ON VIEW `+view+` IS 'All shards of the outbox, for inspection (payload as text)'`)
}

func dropShards(ctx context.Context, tx *sql.Tx, cfg Config) error {
	stmts := []string{`DROP VIEW IF EXISTS ` + pq.QuoteIdentifier(cfg.ViewName())}
	for _, topic := range cfg.SQLTopics() {
		stmts = append(stmts, `DROP TABLE IF EXISTS `+MessagesTable(topic), `DROP TABLE IF EXISTS `+OffsetsTable(topic))
	}
	return execAll(ctx, tx, stmts...)
}

func recordedShards(ctx context.Context, q queryRower, name string) (int, error) {
	var shards int
	err := q.QueryRowContext(ctx, `SELECT shards FROM outbox_layouts WHERE name = $1`, name).Scan(&shards)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("outbox %s does not exist: run `orders migrate`", name)
	}
	if err != nil {
		return 0, fmt.Errorf("read layout of outbox %s: %w", name, err)
	}
	return shards, nil
}

// CheckLayout is the start-up check of a process that writes to or
// forwards from the outbox: the configured shard count must be the
// recorded one (ErrLayoutMismatch otherwise), and no shard may be stalled
// for consumerGroup (a missing or impossible position; see Status).
func CheckLayout(ctx context.Context, db *sql.DB, cfg Config, consumerGroup string) error {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return err
	}
	shards, err := recordedShards(ctx, db, cfg.Name)
	if err != nil {
		return err
	}
	if shards != cfg.Shards {
		return fmt.Errorf("%w: outbox %s is configured with %d shards (OUTBOX_SHARDS) but the database has %d; "+
			"set OUTBOX_SHARDS=%d, or change the database's count with `orders outbox reshard -shards %d` (see docs/forwarder.md)",
			ErrLayoutMismatch, cfg.Name, cfg.Shards, shards, shards, cfg.Shards)
	}
	var stalled []string
	for _, topic := range cfg.SQLTopics() {
		state, err := readShardState(ctx, db, topic, consumerGroup)
		if err != nil {
			return fmt.Errorf("read position in %s: %w", topic, err)
		}
		if state.stalled() {
			stalled = append(stalled, fmt.Sprintf("%s (%s)", topic, state.problem()))
		}
	}
	if len(stalled) > 0 {
		return fmt.Errorf("%w: %s; see `orders outbox status`, then run `orders outbox repair` (docs/forwarder.md)",
			ErrStalled, strings.Join(stalled, ", "))
	}
	return nil
}

// ErrStalled is returned when a shard's position is missing or impossible.
var ErrStalled = errors.New("outbox stalled")

func (s shardState) problem() string {
	switch {
	case s.Missing:
		return "position missing"
	case s.Impossible:
		return "position or rows ahead of the database's transaction IDs (restored from a dump?)"
	case s.Pending:
		return "messages waiting"
	default:
		return "ok"
	}
}

// ChangeShards changes the number of shards of an outbox, safely: in one
// transaction it locks the current shards against writers, checks that
// every consumer group has forwarded every message (otherwise it refuses:
// messages of one order could be forwarded out of order), creates the new
// shards with each group at their start, records the new count and drops
// the old shards. Writers and forwarders still running with the old count
// then fail on the missing tables, and refuse to start again until their
// OUTBOX_SHARDS is the new count.
func ChangeShards(ctx context.Context, db *sql.DB, name string, shards int) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()

	var current int
	if err := tx.QueryRowContext(ctx, `SELECT shards FROM outbox_layouts WHERE name = $1 FOR UPDATE`, name).Scan(&current); err != nil {
		return fmt.Errorf("outbox %s: %w", name, err)
	}
	old, next := Config{Name: name, Shards: current}, Config{Name: name, Shards: shards}
	if err := next.Validate(); err != nil {
		return err
	}
	if current == shards {
		return fmt.Errorf("outbox %s already has %d shards", name, shards)
	}
	groups := map[string]bool{}
	for _, topic := range old.SQLTopics() {
		if _, err := tx.ExecContext(ctx, `LOCK TABLE `+MessagesTable(topic)+` IN EXCLUSIVE MODE`); err != nil {
			return fmt.Errorf("lock %s: %w", topic, err)
		}
		var rows, undelivered int
		err := tx.QueryRowContext(ctx, `
			SELECT (SELECT count(*) FROM `+MessagesTable(topic)+`),
				(SELECT count(*) FROM `+MessagesTable(topic)+` m, `+OffsetsTable(topic)+` o
				 WHERE (m.transaction_id, m."offset") > (o.last_processed_transaction_id, o.offset_acked))`).
			Scan(&rows, &undelivered)
		if err != nil {
			return fmt.Errorf("check %s: %w", topic, err)
		}
		topicGroups, err := consumerGroups(ctx, tx, topic)
		if err != nil {
			return err
		}
		if undelivered > 0 || (rows > 0 && len(topicGroups) == 0) {
			return fmt.Errorf("outbox %s is not drained: %s still has messages to forward; stop the writers, let the forwarder drain it, and try again", name, topic)
		}
		for _, g := range topicGroups {
			groups[g] = true
		}
	}
	groupList := make([]string, 0, len(groups))
	for g := range groups {
		groupList = append(groupList, g)
	}
	if err := dropShards(ctx, tx, old); err != nil {
		return err
	}
	if err := createShards(ctx, tx, next, groupList); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE outbox_layouts SET shards = $2, changed_at = now() WHERE name = $1`, name, shards); err != nil {
		return err
	}
	return tx.Commit()
}

func consumerGroups(ctx context.Context, q execer, topic string) (_ []string, err error) {
	rows, err := q.QueryContext(ctx, `SELECT consumer_group FROM `+OffsetsTable(topic)+` ORDER BY consumer_group`)
	if err != nil {
		return nil, fmt.Errorf("consumer groups of %s: %w", topic, err)
	}
	defer func() { err = errors.Join(err, rows.Close()) }()
	var groups []string
	for rows.Next() {
		var g string
		if err := rows.Scan(&g); err != nil {
			return nil, err
		}
		groups = append(groups, g)
	}
	return groups, rows.Err()
}

// ShardStatus is the state of one shard for one consumer group.
type ShardStatus struct {
	SQLTopic string
	// Position is (transaction ID, offset) of the last forwarded row, ""
	// when missing.
	Position string
	// Backlog counts the rows after the position; OldestAge is the age of
	// the first of them.
	Backlog   int64
	OldestAge time.Duration
	// Problem is "ok", "messages waiting", or what stalls the shard.
	Problem string
	Stalled bool
}

// Status reports every shard of the outbox for consumerGroup.
func Status(ctx context.Context, db *sql.DB, cfg Config, consumerGroup string) ([]ShardStatus, error) {
	shards, err := recordedShards(ctx, db, cfg.Name)
	if err != nil {
		return nil, err
	}
	cfg.Shards = shards
	statuses := make([]ShardStatus, 0, shards)
	for _, topic := range cfg.SQLTopics() {
		state, err := readShardState(ctx, db, topic, consumerGroup)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", topic, err)
		}
		st := ShardStatus{SQLTopic: topic, Problem: state.problem(), Stalled: state.stalled()}
		backlog, err := readBacklog(ctx, db, topic, consumerGroup)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", topic, err)
		}
		st.Position, st.Backlog, st.OldestAge = backlog.position, backlog.count, backlog.oldestAge
		statuses = append(statuses, st)
	}
	return statuses, nil
}

type backlog struct {
	position  string
	count     int64
	oldestAge time.Duration
}

// readBacklog counts the rows after the group's position: with a missing
// position, every row.
func readBacklog(ctx context.Context, q queryRower, topic, consumerGroup string) (backlog, error) {
	var (
		b        backlog
		position sql.NullString
		ageSecs  sql.NullFloat64
	)
	err := q.QueryRowContext(ctx, `
		SELECT '(' || o.last_processed_transaction_id || ', ' || o.offset_acked || ')',
			count(m.*), EXTRACT(EPOCH FROM now() - min(m.created_at))
		FROM (SELECT 1) AS one
		LEFT JOIN `+OffsetsTable(topic)+` o ON o.consumer_group = $1
		LEFT JOIN `+MessagesTable(topic)+` m
			ON o.consumer_group IS NULL
			OR (m.transaction_id, m."offset") > (o.last_processed_transaction_id, o.offset_acked)
		GROUP BY o.last_processed_transaction_id, o.offset_acked`, consumerGroup).
		Scan(&position, &b.count, &ageSecs)
	if err != nil {
		return backlog{}, err
	}
	b.position = position.String
	if ageSecs.Valid && ageSecs.Float64 > 0 {
		b.oldestAge = time.Duration(ageSecs.Float64 * float64(time.Second))
	}
	return b, nil
}

// Repair mends every stalled shard of the outbox for consumerGroup, each
// in a transaction that holds the shard against forwarders and writers,
// and returns what it did:
//
//   - a missing position is created at the start of the shard: every
//     retained message is forwarded again (duplicates, nothing lost);
//   - an impossible one (rows or position ahead of the transaction IDs, as
//     after restoring a logical dump into a new cluster) is rebased: the
//     shard's rows are renumbered, in their order, under a transaction ID
//     below any new one, and the position is moved to the same place among
//     them, so that what was forwarded stays forwarded and the rest follows
//     in order.
func Repair(ctx context.Context, db *sql.DB, cfg Config, consumerGroup string) ([]string, error) {
	shards, err := recordedShards(ctx, db, cfg.Name)
	if err != nil {
		return nil, err
	}
	cfg.Shards = shards
	var done []string
	for _, topic := range cfg.SQLTopics() {
		action, err := repairShard(ctx, db, topic, consumerGroup)
		if err != nil {
			return done, fmt.Errorf("repair %s: %w", topic, err)
		}
		if action != "" {
			done = append(done, topic+": "+action)
		}
	}
	return done, nil
}

func repairShard(ctx context.Context, db *sql.DB, topic, consumerGroup string) (string, error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return "", err
	}
	defer func() { _ = tx.Rollback() }()
	if err := lockShard(ctx, tx, topic, consumerGroup); err != nil {
		return "", err
	}
	if _, err := tx.ExecContext(ctx, `LOCK TABLE `+MessagesTable(topic)+` IN EXCLUSIVE MODE`); err != nil {
		return "", err
	}
	state, err := readShardState(ctx, tx, topic, consumerGroup)
	if err != nil {
		return "", err
	}
	var action string
	switch {
	case state.Missing:
		_, err = tx.ExecContext(ctx, `INSERT INTO `+OffsetsTable(topic)+
			` (consumer_group, offset_acked, last_processed_transaction_id) VALUES ($1, 0, '0')`, consumerGroup)
		action = "position created at the start: retained messages are forwarded again"
	case state.Impossible:
		var delivered int64
		delivered, err = rebase(ctx, tx, topic, consumerGroup)
		action = fmt.Sprintf("rows rebased below the current transaction IDs; %d already forwarded stay behind the position", delivered)
	default:
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return action, tx.Commit()
}

// rebase renumbers the rows of a shard (tx ID 1, offsets 1..n in their
// current order) and moves the group's position to the last row it had
// passed.
func rebase(ctx context.Context, tx *sql.Tx, topic, consumerGroup string) (int64, error) {
	var delivered int64
	err := tx.QueryRowContext(ctx, `
		SELECT count(*) FROM `+MessagesTable(topic)+` m, `+OffsetsTable(topic)+` o
		WHERE o.consumer_group = $1 AND (m.transaction_id, m."offset") <= (o.last_processed_transaction_id, o.offset_acked)`,
		consumerGroup).Scan(&delivered)
	if err != nil {
		return 0, err
	}
	err = execAll(ctx, tx,
		`UPDATE `+MessagesTable(topic)+` m SET transaction_id = '1', "offset" = -r.n
		FROM (SELECT transaction_id, "offset", row_number() OVER (ORDER BY transaction_id, "offset") AS n
		      FROM `+MessagesTable(topic)+`) r
		WHERE (m.transaction_id, m."offset") = (r.transaction_id, r."offset")`,
		`UPDATE `+MessagesTable(topic)+` SET "offset" = -"offset"`)
	if err != nil {
		return 0, err
	}
	_, err = tx.ExecContext(ctx, `UPDATE `+OffsetsTable(topic)+
		` SET last_processed_transaction_id = '1', offset_acked = $2 WHERE consumer_group = $1`, consumerGroup, delivered)
	return delivered, err
}
